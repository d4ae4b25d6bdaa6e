"""Intelligence-led selection: watch lists and tips (pure matching, services, selection, API, pages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pandas as pd
import pytest
from sqlalchemy import select

from mainport import flows
from mainport.audit.models import AuditEntry
from mainport.errors import PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind, Role
from mainport.shipments.models import Declaration, Inspection, Party
from mainport.targeting import intelligence, service
from mainport.targeting.models import SelectionItem
from mainport.targeting.selection import Capacity
from mainport.targeting.watchlist import normalise, tip_hits, watch_hits
from tests.targeting.seed import seed_flow

NOW = datetime.now(UTC)
TODAY = NOW.date()


def _decls() -> pd.DataFrame:
    t = pd.Timestamp("2025-05-01 10:00", tz="UTC")
    return pd.DataFrame(
        {
            "declaration_id": [1, 2, 3],
            "filed_at": [t, t, t + pd.Timedelta(days=20)],
            "hub": ["rotterdam", "rotterdam", "zeeland_west_brabant"],
            "consignor_eori": ["EC1", "CN2", "EC1"],
            "consignee_eori": ["NL123456789", "NL5", "NL6"],
            "notify_eori": [None, "NL123456789", None],
            "declarant_eori": [None, None, None],
            "container_number": ["MSKU1234565", "TGHU0000000", "MSKU1234565"],
            "vessel_imo": ["9321483", "9811000", "9811000"],
            "place_of_loading": ["ECGYE", "CNSHA", "COCTG"],
            "place_of_discharge": ["NLRTM", "NLRTM", "BEANR"],
            "place_of_delivery": ["NLRTM", None, "NLVLI"],
            "countries_of_routing": [["EC", "PA", "NL"], ["CN", "NL"], ["CO", "BE", "NL"]],
            "hs_code": ["080390", "847130", "090111"],
        }
    )


def _entry(kind: str, value: str, **kw) -> SimpleNamespace:
    base = {
        "id": 1,
        "owner": "team",
        "reason": "why",
        "source": "police",
        "weight": 0.5,
        "hub": None,
        "valid_from": datetime(2025, 1, 1, tzinfo=UTC),
        "valid_to": None,
    }
    return SimpleNamespace(kind=kind, value=normalise(kind, value), **{**base, **kw})


def test_watch_list_matches_parties_containers_vessels_and_routes() -> None:
    d = _decls()
    cases = {
        ("party", "NL123456789"): [True, True, False],  # consignee of 1, notify party of 2
        ("container", "MSKU1234565"): [True, False, True],
        ("vessel", "9811000"): [False, True, True],
        ("route", "ECGYE>NLRTM"): [True, False, False],
        ("route", "CO>*>NL"): [False, False, True],  # delivered in NL via a neighbour
        ("route", "*>PA>NL"): [True, False, False],
    }
    for (kind, value), want in cases.items():
        score, reasons, _ = watch_hits(d, [_entry(kind, value)])
        assert list(score > 0) == want, (kind, value)
        assert all(("watch list" in r[0]) == w for r, w in zip(reasons, want, strict=True) if r or w)
    ended = _entry("vessel", "9811000", valid_to=datetime(2025, 5, 10, tzinfo=UTC))
    assert list(watch_hits(d, [ended])[0] > 0) == [False, True, False]  # not in force on the 21st
    local = _entry("vessel", "9811000", hub="rotterdam")
    assert list(watch_hits(d, [local])[0] > 0) == [False, True, False]
    two = watch_hits(d, [_entry("vessel", "9811000"), _entry("container", "MSKU1234565", weight=0.6)])[0]
    assert two[2] == pytest.approx(1 - 0.5 * 0.4)  # noisy-or of the weights


@pytest.mark.parametrize(
    ("kind", "value"), [("party", "x"), ("container", "MSKU1234566"), ("vessel", "1234568"), ("route", "*>*")]
)
def test_values_that_cannot_be_of_their_kind_are_refused(kind: str, value: str) -> None:
    with pytest.raises(ValidationFailed):
        normalise(kind, value)


def test_tips_match_all_criteria_within_their_window() -> None:
    d = _decls()
    tip = SimpleNamespace(
        id=7,
        reference="SIENA-1",
        source="police",
        summary="load in bananas",
        hub=None,
        container_number=None,
        vessel_imo="9321483",
        party_eori=None,
        place_of_loading="EC",
        hs_prefix="0803",
        window_from=datetime(2025, 4, 30, tzinfo=UTC),
        window_to=datetime(2025, 5, 2, tzinfo=UTC),
    )
    forced, reasons, ids = tip_hits(d, [tip])
    assert list(forced) == [True, False, False] and ids[0] == [7] and "SIENA-1" in reasons[0][0]
    later = SimpleNamespace(
        **{
            **vars(tip),
            "window_from": datetime(2025, 6, 1, tzinfo=UTC),
            "window_to": datetime(2025, 6, 2, tzinfo=UTC),
        }
    )
    assert not tip_hits(d, [later])[0].any()


def _first_parties(session, ids: list[int]) -> tuple[Declaration, str]:
    decl = session.get(Declaration, ids[0])
    eori = session.get(Party, decl.consignee_id).eori
    return decl, eori


def test_services_need_government_users_and_are_audited(session, principal_factory) -> None:
    police = principal_factory(kind=OrgKind.police, role=Role.officer)
    terminal = principal_factory(kind=OrgKind.terminal, role=Role.admin)
    viewer = principal_factory(kind=OrgKind.customs, role=Role.viewer)
    entry = intelligence.add_watch_entry(
        session=session,
        actor=police,
        kind="vessel",
        value="9321483",
        owner="HARC",
        reason="known",
        source="police",
    )
    for wrong in (terminal, viewer):
        with pytest.raises(PermissionDenied):
            intelligence.add_watch_entry(
                session=session,
                actor=wrong,
                kind="vessel",
                value="9321483",
                owner="x",
                reason="x",
                source="x",
            )
        with pytest.raises(PermissionDenied):
            intelligence.add_tip(
                session=session,
                actor=wrong,
                reference="r",
                source="s",
                summary="s",
                window_from=NOW,
                window_to=NOW + timedelta(days=1),
                vessel_imo="9321483",
            )
        with pytest.raises(PermissionDenied):
            intelligence.revoke_watch_entry(session=session, actor=wrong, entry_id=entry.id, reason="x")
    for wrong in (terminal, viewer):
        with pytest.raises(PermissionDenied):
            intelligence.list_watch_entries(session=session, actor=wrong)
        with pytest.raises(PermissionDenied):
            intelligence.list_tips(session=session, actor=wrong)
    customs = principal_factory(kind=OrgKind.customs, role=Role.officer)
    assert [e.id for e in intelligence.list_watch_entries(session=session, actor=customs)] == [entry.id]
    intelligence.revoke_watch_entry(session=session, actor=police, entry_id=entry.id, reason="closed case")
    assert intelligence.list_watch_entries(session=session, actor=police) == []
    with pytest.raises(ValidationFailed, match="31 days"):
        intelligence.add_tip(
            session=session,
            actor=police,
            reference="r",
            source="s",
            summary="s",
            window_from=NOW,
            window_to=NOW + timedelta(days=60),
            vessel_imo="9321483",
        )
    with pytest.raises(ValidationFailed, match="at least one"):
        intelligence.add_tip(
            session=session,
            actor=police,
            reference="r",
            source="s",
            summary="s",
            window_from=NOW,
            window_to=NOW + timedelta(days=1),
        )
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"targeting.watch.add", "targeting.watch.revoke", "targeting.watch.view"} <= actions


def test_tips_force_selection_and_watch_list_raises_the_score(session, principal_factory) -> None:
    analyst = principal_factory(role=Role.analyst)
    police = principal_factory(kind=OrgKind.police, role=Role.officer)
    ids = seed_flow(session, n=60, seed=12)
    decls = {d.id: d for d in session.scalars(select(Declaration).where(Declaration.id.in_(ids)))}
    tipped = decls[ids[5]]
    watched = decls[ids[9]]
    watched_eori = session.get(Party, watched.consignee_id).eori
    tip = intelligence.add_tip(
        session=session,
        actor=police,
        reference="KMAR-77",
        source="KMar",
        summary="cocaine in this box",
        window_from=NOW - timedelta(days=2),
        window_to=NOW + timedelta(days=2),
        container_number=tipped.container_number,
        hub="rotterdam",
    )
    intelligence.add_watch_entry(
        session=session,
        actor=police,
        kind="party",
        value=watched_eori,
        owner="HARC",
        reason="front company",
        source="liaison officer Guayaquil",
        weight=0.9,
    )
    sel = service.run_selection(
        session=session,
        actor=analyst,
        hub="rotterdam",
        day=TODAY,
        capacity=Capacity(scan=4, physical=1),
        seed=3,
    )
    first = sel.items[0]
    assert first.declaration_id == tipped.id and first.strategy == "tip" and first.propensity == 1.0
    assert first.kind == "physical" and any("KMAR-77" in r for r in first.reasons)
    assert len(sel.items) == 5  # the tip took one of the five slots
    by_decl = {i.declaration_id: i for i in sel.items}
    watched_rows = [d.id for d in decls.values() if d.consignee_id == watched.consignee_id]
    hit = [by_decl[i] for i in watched_rows if i in by_decl]
    assert hit and all(any("watch list" in r and "front company" in r for r in i.reasons) for i in hit)
    # an inspection a tip forced does not teach the model (its outcome came from outside information)
    flows.record_outcome(session=session, actor=analyst, declaration_id=tipped.id, result="found", kg=50)
    ts = service.training_set(session, NOW + timedelta(days=1))
    assert tipped.id not in set(ts.features["declaration_id"])
    assert session.scalar(select(Inspection).where(Inspection.declaration_id == tipped.id)) is not None
    detail = session.scalars(select(AuditEntry).where(AuditEntry.action == "targeting.select")).one().detail
    assert detail["tips_forced"] == 1 and detail["watch_list_hits"] >= 1
    intelligence.close_tip(session=session, actor=police, tip_id=tip.id, note="seized 50 kg")
    assert intelligence.list_tips(session=session, actor=police) == []
    assert session.scalars(select(SelectionItem).where(SelectionItem.strategy == "tip")).one()


def test_api_and_pages(session, principal_factory, app_client, token_for) -> None:
    fiod = principal_factory(kind=OrgKind.fiscal_investigation, role=Role.analyst)
    terminal = principal_factory(kind=OrgKind.terminal, role=Role.officer)
    h = token_for(fiod)
    session.commit()
    body = {
        "kind": "route",
        "value": "ecgye>nlrtm",
        "owner": "FIOD",
        "reason": "laundering",
        "source": "FIOD",
    }
    r = app_client.post("/api/v1/targeting/watch-list", headers=h, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["value"] == "ECGYE>NLRTM"
    assert (
        app_client.post("/api/v1/targeting/watch-list", headers=token_for(terminal), json=body).status_code
        == 403
    )
    bad = app_client.post("/api/v1/targeting/watch-list", headers=h, json={**body, "value": "nowhere"})
    assert bad.status_code == 422
    tip = {
        "reference": "T-1",
        "source": "police",
        "summary": "s",
        "vessel_imo": "9321483",
        "window_from": NOW.isoformat(),
        "window_to": (NOW + timedelta(days=3)).isoformat(),
    }
    t = app_client.post("/api/v1/targeting/tips", headers=h, json=tip)
    assert t.status_code == 201, t.text
    assert [x["reference"] for x in app_client.get("/api/v1/targeting/tips", headers=h).json()] == ["T-1"]
    closed = app_client.post(
        f"/api/v1/targeting/tips/{t.json()['id']}/close", headers=h, json={"note": "done"}
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert app_client.get("/api/v1/targeting/tips", headers=token_for(terminal)).status_code == 403
    page = app_client.get("/targeting/intel", headers=h)
    assert (
        page.status_code == 200 and "ECGYE&gt;NLRTM" in page.text and 'data-testid="watch-form"' in page.text
    )
    assert app_client.get("/targeting/intel", headers=token_for(terminal)).status_code == 403
    hub = app_client.get("/targeting/rotterdam", headers=h)
    assert hub.status_code == 200 and "Intelligence in force" in hub.text
