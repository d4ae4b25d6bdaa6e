from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from mainport import flows
from mainport.audit.models import AuditEntry
from mainport.cases.models import Alert
from mainport.errors import Conflict, PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind, Role
from mainport.shipments.models import Inspection, Seizure
from mainport.targeting import service
from mainport.targeting.models import ModelVersion, SelectionItem
from mainport.targeting.selection import Capacity
from tests.targeting.seed import seed_flow

TODAY = datetime.now(UTC).date()


def _actions(session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action)))


def test_selection_records_strategy_reasons_alerts_and_audit(session, principal_factory) -> None:
    admin = principal_factory(role=Role.analyst)
    seed_flow(session, n=80)
    sel = service.run_selection(
        session=session,
        actor=admin,
        hub="rotterdam",
        day=TODAY,
        capacity=Capacity(scan=18, physical=2),
        seed=1,
    )
    assert sel.candidates == 80 and len(sel.items) == 20
    strategies = {i.strategy for i in sel.items}
    # the default: half random audit, half Thompson sampling over profiles (no model and no outcomes
    # yet: the rule score is the prior)
    assert sel.strategy == "thompson" and "risk" in strategies and strategies & {"random_audit", "thompson"}
    assert strategies <= {"risk", "random_audit", "thompson"}
    assert all(i.reasons for i in sel.items if i.strategy != "risk" or i.rule_hits)
    assert any(r.startswith("rule ") for i in sel.items for r in i.reasons)
    alerts = session.scalars(select(Alert).where(Alert.source == "targeting")).all()
    assert len(alerts) == 20 and all(a.declaration_id for a in alerts)
    assert {"targeting.score", "targeting.select"} <= set(_actions(session))
    with pytest.raises(Conflict):
        service.run_selection(session=session, actor=admin, hub="rotterdam", day=TODAY)


def test_outcome_flows_back_and_model_trains_on_revealed_labels(session, principal_factory) -> None:
    analyst = principal_factory(role=Role.analyst)
    yesterday = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    seed_flow(session, n=150, day=yesterday, seed=4)
    sel = service.run_selection(
        session=session,
        actor=analyst,
        hub="rotterdam",
        day=yesterday.date(),
        capacity=Capacity(scan=60),
        exploration_share=0.2,
        seed=2,
    )
    for n, item in enumerate(sel.items):
        found = n % 6 == 0
        flows.record_outcome(
            session=session,
            actor=analyst,
            declaration_id=item.declaration_id,
            result="found" if found else "not_found",
            kg=25.0 if found else 0.0,
        )
    linked = session.scalars(select(SelectionItem).where(SelectionItem.inspection_id.is_not(None))).all()
    assert len(linked) == 60
    assert session.scalar(select(Seizure.kg).limit(1)) == 25.0
    assert {"inspection.outcome", "targeting.outcome.link"} <= set(_actions(session))
    with pytest.raises(ValidationFailed):
        flows.record_outcome(
            session=session,
            actor=analyst,
            declaration_id=sel.items[0].declaration_id,
            result="not_found",
            kg=3.0,
        )
    now = datetime.now(UTC)
    ts = service.training_set(session, now)
    # Unweighted by default (learning.py); the propensities are kept, and the explored ones are below 1.
    assert len(ts.labels) == 60 and (ts.weights == 1.0).all() and ts.weighting == "unweighted"
    assert ts.propensity is not None and ts.propensity.min() < 1.0
    # Features as at the selection moment: no declaration's own (later) inspection leaks into them.
    assert (ts.features["consignee_past_inspections"] == 0).all()
    clipped = service.training_set(session, now, weighting="clipped_ipw")
    assert clipped.weights.max() > clipped.weights.min()  # explored items weigh more, at most 10 x
    assert clipped.weights.max() / clipped.weights.min() == pytest.approx(min(10.0, 1 / ts.propensity.min()))
    # Scoring as of a later moment sees those inspections (as an analyst would).
    inspected = set(session.scalars(select(Inspection.declaration_id)))
    decls = service.declarations_frame(session, service.Declaration.id.in_(inspected))
    later = now + timedelta(seconds=1)
    seen = service.feature_frame(session, decls, later, as_of=later)
    assert (seen["consignee_past_inspections"] >= 1).all()
    assert (service.feature_frame(session, decls, later)["consignee_past_inspections"] == 0).all()
    stats = service.profile_stats(session, later)
    assert stats["inspections"].sum() == 60 and stats["hits"].sum() == ts.labels.sum()
    with pytest.raises(ValidationFailed):
        service.train_model(session=session, actor=analyst, rounds=20, weighting="bogus")
    mv = service.train_model(session=session, actor=analyst, rounds=20)
    assert session.get(ModelVersion, mv.id).active and mv.rows == 60 and mv.weighting == "unweighted"
    # the next day is scored with the model: model probability and model reasons are present
    seed_flow(session, n=40, seed=5)
    sel2 = service.run_selection(
        session=session,
        actor=analyst,
        hub="rotterdam",
        day=TODAY,
        capacity=Capacity(scan=10),
        exploration_share=0.3,
        strategy="thompson",
        seed=3,
    )
    assert sel2.model_version_id == mv.id and all(i.model_p is not None for i in sel2.items)
    by = {i.strategy for i in sel2.items}
    assert by == {"risk", "random_audit", "thompson"} and sel2.strategy == "thompson"
    explored = [i for i in sel2.items if i.strategy != "risk"]
    assert len(explored) == 3 and all(0 < i.propensity < 1 for i in explored)
    assert all("few outcomes yet for profile" in i.reasons[0] for i in explored if i.strategy == "thompson")
    assert any(r.startswith("model: ") for i in sel2.items for r in i.reasons)
    rates = service.hit_rates(session=session, actor=analyst, hub="rotterdam")
    assert sum(v["inspected"] for v in rates["by_strategy"].values()) == 60


@pytest.mark.parametrize(("kind", "role"), [(OrgKind.terminal, Role.officer), (OrgKind.customs, Role.viewer)])
def test_wrong_users_are_refused(session, principal_factory, kind, role) -> None:
    other = principal_factory(kind=kind, role=role)
    with pytest.raises(PermissionDenied):
        service.run_selection(session=session, actor=other, hub="rotterdam", day=TODAY)
    with pytest.raises(PermissionDenied):
        service.add_rule_profile(session=session, actor=other, yaml_text="profile: x\nrules: []")
    if kind is OrgKind.terminal:
        with pytest.raises(PermissionDenied):
            service.get_selection(session=session, actor=other, hub="rotterdam", day=TODAY)
        with pytest.raises(PermissionDenied):
            flows.record_outcome(session=session, actor=other, declaration_id=1, result="found", kg=1.0)


PROFILE = """
profile: analyst_added
owner: a.analyst
rules:
  - id: every-reefer
    rationale: Test rule added without code.
    valid_from: 2020-01-01
    weight: 0.9
    when: reefer
"""


def test_analyst_adds_a_rule_profile_without_code(session, principal_factory) -> None:
    analyst = principal_factory(role=Role.analyst)
    v1 = service.add_rule_profile(session=session, actor=analyst, yaml_text=PROFILE)
    v2 = service.add_rule_profile(session=session, actor=analyst, yaml_text=PROFILE.replace("0.9", "0.8"))
    assert (v1.version, v2.version) == (1, 2)
    rules = {r.id: r for r in service.list_rules(session=session, actor=analyst)}
    assert rules["every-reefer"].weight == 0.8 and "fresh-fruit-new-consignee" in rules
    with pytest.raises(ValidationFailed, match="unknown features"):
        service.add_rule_profile(
            session=session, actor=analyst, yaml_text=PROFILE.replace("reefer\n", "magic\n")
        )


def test_api_selection_detail_outcome_and_refusals(session, principal_factory, app_client, token_for) -> None:
    analyst = principal_factory(role=Role.analyst)
    terminal = principal_factory(kind=OrgKind.terminal, role=Role.officer)
    ids = seed_flow(session, n=30, seed=6)
    session.commit()
    h = token_for(analyst)
    r = app_client.post(
        "/api/v1/targeting/selections/rotterdam",
        headers=h,
        json={"day": str(TODAY), "capacity_scan": 8, "capacity_physical": 2, "seed": 1},
    )
    assert r.status_code == 201, r.text
    assert len(r.json()["items"]) == 10
    got = app_client.get("/api/v1/targeting/selections/rotterdam", headers=h, params={"day": str(TODAY)})
    assert got.status_code == 200 and got.json()["items"][0]["rank"] == 1
    did = got.json()["items"][0]["declaration_id"]
    detail = app_client.get(f"/api/v1/targeting/declarations/{did}", headers=h)
    assert detail.status_code == 200 and len(detail.json()["journey"]) == 2
    out = app_client.post(
        f"/api/v1/targeting/declarations/{did}/outcome",
        headers=h,
        json={"result": "found", "kg_found": 120.5},
    )
    assert out.status_code == 201 and out.json()["kg_found"] == 120.5
    assert app_client.get("/api/v1/targeting/rules", headers=h).status_code == 200
    ht = token_for(terminal)
    for method, url, body in [
        ("get", "/api/v1/targeting/selections/rotterdam", None),
        ("post", "/api/v1/targeting/selections/rotterdam", {"day": str(TODAY)}),
        ("get", f"/api/v1/targeting/declarations/{ids[0]}", None),
        ("post", f"/api/v1/targeting/declarations/{ids[0]}/outcome", {"result": "not_found"}),
        ("get", "/api/v1/targeting/rules", None),
        ("post", "/api/v1/targeting/models", {}),
        ("get", "/api/v1/targeting/hit-rates", None),
    ]:
        assert app_client.request(method, url, headers=ht, json=body).status_code == 403, url
        assert app_client.request(method, url, json=body).status_code == 401, url
    assert session.scalar(select(Inspection).where(Inspection.declaration_id == ids[0])) is None


def test_pages_for_analyst_and_refusals(session, principal_factory, app_client, token_for) -> None:
    analyst = principal_factory(role=Role.analyst)
    terminal = principal_factory(kind=OrgKind.terminal, role=Role.officer)
    seed_flow(session, n=20, seed=7)
    sel = service.run_selection(
        session=session, actor=analyst, hub="rotterdam", day=TODAY, capacity=Capacity(scan=5), seed=1
    )
    did = sel.items[0].declaration_id
    session.commit()
    h = token_for(analyst)
    page = app_client.get("/targeting/rotterdam", headers=h)
    assert page.status_code == 200 and f"/targeting/declarations/{did}" in page.text
    detail = app_client.get(f"/targeting/declarations/{did}", headers=h)
    assert detail.status_code == 200 and "Container journey" in detail.text and "LOAD" in detail.text
    empty = app_client.get("/targeting/schiphol", headers=h)
    assert empty.status_code == 200 and "No selection" in empty.text
    assert app_client.get("/targeting/rotterdam", headers=token_for(terminal)).status_code == 403
    anon = app_client.get("/targeting/rotterdam", follow_redirects=False)
    assert anon.status_code in (302, 303, 307, 401)


def test_api_selection_with_thompson_exploration(session, principal_factory, app_client, token_for) -> None:
    analyst = principal_factory(role=Role.analyst)
    seed_flow(session, n=30, seed=7)
    session.commit()
    r = app_client.post(
        "/api/v1/targeting/selections/rotterdam",
        headers=token_for(analyst),
        json={
            "day": str(TODAY),
            "capacity_scan": 10,
            "exploration_share": 0.4,
            "strategy": "thompson",
            "seed": 2,
        },
    )
    assert r.status_code == 201, r.text
    items = r.json()["items"]
    assert len(items) == 10
    assert {i["strategy"] for i in items} <= {"risk", "random_audit", "thompson"}
    assert sum(i["strategy"] != "risk" for i in items) >= 3  # 40% of 10 slots, rounded up or down
    assert all(0 < i["propensity"] <= 1 for i in items)
    bad = app_client.post(
        "/api/v1/targeting/selections/rotterdam",
        headers=token_for(analyst),
        json={"day": str(TODAY), "strategy": "greedy"},
    )
    assert bad.status_code == 422
