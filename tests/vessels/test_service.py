"""Vessel calls through the feed, explained scores, the dive plan within capacity, outcomes that feed back;
the wrong users refused; every read and change audited. Both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mainport.audit.models import AuditEntry
from mainport.errors import Conflict, PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal, system_principal
from mainport.ingest.jobs import ingest_file
from mainport.ingest.models import QuarantinedRecord
from mainport.vessels import service
from mainport.vessels.feeds import vessel_call
from mainport.vessels.models import VesselCall, VesselDive

DAY = datetime(2026, 3, 2, tzinfo=UTC)
IMOS = ("9321483", "9074729", "9176187", "9247431")


def _record(
    imo: str, voyage: str, *, wait: float = 4.0, crew: bool = False, hub: str = "rotterdam"
) -> dict[str, Any]:
    arrived = DAY + timedelta(hours=10)
    left = arrived - timedelta(days=18)
    rec: dict[str, Any] = {
        "kind": "vessel_call",
        "vesselIMONumber": imo,
        "vesselName": f"Test {imo}",
        "voyageNumber": voyage,
        "hub": hub,
        "UNLocationCode": "NLRTM",
        "arrivedAt": arrived.isoformat(),
        "portCalls": [
            {
                "UNLocationCode": "ECGYE",
                "arrivedAt": (left - timedelta(hours=30 + wait)).isoformat(),
                "departedAt": left.isoformat(),
                "anchorageHours": wait,
            },
            {
                "UNLocationCode": "COCTG",
                "arrivedAt": (left + timedelta(days=3)).isoformat(),
                "departedAt": (left + timedelta(days=4)).isoformat(),
                "anchorageHours": 1.0,
            },
        ],
        "crewChanges": [{"UNLocationCode": "ECGYE", "at": left.isoformat(), "joined": 2}] if crew else [],
    }
    return rec


def _ingest(factory: sessionmaker[Session], tmp_path: Path, records: list[Any]) -> Any:
    path = tmp_path / "calls.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return ingest_file(session_factory=factory, actor=system_principal(), kind="vessel_calls", path=path)


def test_feed_checks_each_record_in_one_line() -> None:
    now = DAY + timedelta(days=1)
    assert vessel_call(_record(IMOS[0], "01N"), now=now)["port_calls"][0]["unlocode"] == "ECGYE"
    bad = _record(IMOS[0], "01N")
    bad["portCalls"][0]["departedAt"] = (DAY + timedelta(days=2)).isoformat()
    for broken, message in (
        ({**_record(IMOS[0], "01N"), "vesselIMONumber": "1234568"}, "vesselIMONumber: not a valid IMO"),
        ({**_record(IMOS[0], "01N"), "hub": "atlantis"}, "hub: unknown hub"),
        ({**_record(IMOS[0], "01N"), "portCalls": "ECGYE"}, "portCalls: must be a list"),
        (bad, "portCalls[0].departedAt"),
    ):
        with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
            vessel_call(broken, now=now)


def test_ingest_stores_quarantines_and_reconciles(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    good = [_record(IMOS[0], "01N"), _record(IMOS[1], "01N"), _record(IMOS[0], "01N")]
    broken = {**_record(IMOS[2], "01N"), "arrivedAt": "yesterday"}
    recon = _ingest(session_factory, tmp_path, [*good, broken])
    assert (recon.received, recon.stored, recon.duplicates, recon.quarantined) == (4, 2, 1, 1)
    with session_factory() as s:
        assert s.query(VesselCall).count() == 2
        q = s.scalars(select(QuarantinedRecord).where(QuarantinedRecord.kind == "vessel_call")).one()
        assert "arrivedAt" in q.reason
    again = _ingest(session_factory, tmp_path, good)
    assert (again.stored, again.duplicates) == (0, 3)


@pytest.fixture
def calls(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    _ingest(
        session_factory,
        tmp_path,
        [
            _record(IMOS[0], "01N", wait=40.0, crew=True),
            _record(IMOS[1], "01N", wait=30.0),
            _record(IMOS[2], "01N"),
            _record(IMOS[3], "01N", hub="zeeland_west_brabant"),
        ],
    )


def _people(principal_factory: Callable[..., Principal]) -> dict[str, Principal]:
    return {
        "analyst": principal_factory(Role.analyst, OrgKind.customs),
        "police": principal_factory(Role.officer, OrgKind.police),
        "terminal": principal_factory(Role.admin, OrgKind.terminal, facility_code="ECTDE"),
        "viewer": principal_factory(Role.viewer, OrgKind.customs),
    }


def test_scores_plan_and_outcomes_feed_back(
    session: Session, calls: None, principal_factory: Callable[..., Principal]
) -> None:
    p = _people(principal_factory)
    start, end = DAY, DAY + timedelta(days=7)
    scored = service.score_window(session=session, actor=p["analyst"], start=start, end=end)
    assert [s.call.vessel_imo for s in scored][:2] == [IMOS[0], IMOS[1]]  # waited longest, crew change
    assert {"anchorage", "crew_change", "route"} <= {r.code for r in scored[0].scored.reasons}
    only = service.score_window(
        session=session, actor=p["analyst"], start=start, end=end, hub="zeeland_west_brabant"
    )
    assert [s.call.vessel_imo for s in only] == [IMOS[3]]
    dives = service.select_dives(
        session=session, actor=p["analyst"], start=start, end=end, capacity=2, exploration_share=0.0, seed=1
    )
    assert [d.call.vessel_imo for d in dives] == [IMOS[0], IMOS[1]]
    assert all(d.strategy == "risk" and d.propensity == 1.0 and d.reasons for d in dives)
    # a second plan picks among the calls not yet chosen
    more = service.select_dives(session=session, actor=p["analyst"], start=start, end=end, capacity=5, seed=1)
    assert {d.call.vessel_imo for d in more} == {IMOS[2], IMOS[3]}
    before = {
        s.call.id: s.scored.p
        for s in service.score_window(session=session, actor=p["analyst"], start=start, end=end)
    }
    service.record_dive(
        session=session, actor=p["police"], dive_id=dives[0].id, result="found", kg_found=42.0
    )
    with pytest.raises(Conflict):
        service.record_dive(session=session, actor=p["police"], dive_id=dives[0].id, result="not_found")
    with pytest.raises(ValidationFailed, match="kg_found"):
        service.record_dive(
            session=session, actor=p["police"], dive_id=dives[1].id, result="not_found", kg_found=3
        )
    after = service.score_window(session=session, actor=p["analyst"], start=start, end=end)
    # the find at ECGYE raises every call that called there; the found vessel's own record says so
    assert all(s.scored.p > before[s.call.id] for s in after if s.call.id != dives[0].call_id)
    found = next(s for s in after if s.call.id == dives[0].call_id)
    assert "vessel_record" in {r.code for r in found.scored.reasons} and found.dive is not None
    listed = service.list_dives(session=session, actor=p["police"], result="found")
    assert [d.id for d in listed] == [dives[0].id]
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("vessels.%"))))
    assert actions >= {
        "vessels.scores_read",
        "vessels.dives_selected",
        "vessels.dive_recorded",
        "vessels.dives_read",
    }


def test_wrong_users_and_bad_input_are_refused(
    session: Session, calls: None, principal_factory: Callable[..., Principal]
) -> None:
    p = _people(principal_factory)
    start, end = DAY, DAY + timedelta(days=7)
    with pytest.raises(PermissionDenied):
        service.score_window(session=session, actor=p["terminal"], start=start, end=end)
    with pytest.raises(PermissionDenied):
        service.select_dives(session=session, actor=p["police"], start=start, end=end, capacity=1)
    with pytest.raises(PermissionDenied):
        service.list_dives(session=session, actor=p["terminal"])
    dive = service.select_dives(session=session, actor=p["analyst"], start=start, end=end, capacity=1)[0]
    with pytest.raises(PermissionDenied):
        service.record_dive(session=session, actor=p["terminal"], dive_id=dive.id, result="found")
    for kwargs, message in (
        ({"capacity": 0}, "capacity"),
        ({"capacity": 1, "hub": "atlantis"}, "hub"),
        ({"capacity": 1, "end": start}, "end"),
        ({"capacity": 1, "end": start + timedelta(days=90)}, "end"),
    ):
        args: dict[str, Any] = {"start": start, "end": end, **kwargs}
        with pytest.raises(ValidationFailed, match=message):
            service.select_dives(session=session, actor=p["analyst"], **args)
    with pytest.raises(ValidationFailed, match="result"):
        service.record_dive(session=session, actor=p["police"], dive_id=dive.id, result="maybe")
    assert session.get(VesselDive, dive.id) is not None


def test_api(
    session: Session,
    calls: None,
    app_client: TestClient,
    principal_factory: Callable[..., Principal],
    token_for: Any,
) -> None:
    p = _people(principal_factory)
    analyst, police, terminal = (token_for(p[k]) for k in ("analyst", "police", "terminal"))
    url = "/api/v1/vessels/scores?day=2026-03-02&days=7"
    assert app_client.get(url).status_code == 401
    assert app_client.get(url, headers=terminal).status_code == 403
    rows = app_client.get(url, headers=analyst).json()
    assert rows[0]["vessel_imo"] == IMOS[0] and rows[0]["reasons"] and rows[0]["ports"] == ["ECGYE", "COCTG"]
    assert (
        app_client.get("/api/v1/vessels/scores?day=2026-03-02&hub=atlantis", headers=analyst).status_code
        == 422
    )
    assert app_client.get("/api/v1/vessels/scores?day=yesterday", headers=analyst).status_code == 422
    far = app_client.get("/api/v1/vessels/scores?day=9999-12-31&days=31", headers=analyst)
    assert far.status_code == 422 and "day" in far.text
    body = {"day": "2026-03-02", "capacity": 1, "exploration_share": 0.0}
    assert app_client.post("/api/v1/vessels/dives/select", json=body, headers=police).status_code == 403
    r = app_client.post("/api/v1/vessels/dives/select", json=body, headers=analyst)
    assert r.status_code == 201, r.text
    dive = r.json()[0]
    assert dive["strategy"] == "risk" and dive["result"] == "pending"
    assert (
        app_client.post(
            "/api/v1/vessels/dives/select", json={**body, "capacity": 0}, headers=analyst
        ).status_code
        == 422
    )
    out = f"/api/v1/vessels/dives/{dive['id']}/outcome"
    bad = app_client.post(out, json={"result": "perhaps"}, headers=police)
    assert bad.status_code == 422 and "result" in bad.text
    assert app_client.post(out, json={"result": "found", "kg_found": 55}, headers=terminal).status_code == 403
    ok = app_client.post(out, json={"result": "found", "kg_found": 55}, headers=police)
    assert ok.status_code == 200 and ok.json()["kg_found"] == 55
    assert app_client.post(out, json={"result": "found"}, headers=police).status_code == 409
    assert (
        app_client.post(
            "/api/v1/vessels/dives/999999/outcome", json={"result": "found"}, headers=police
        ).status_code
        == 404
    )
    listed = app_client.get("/api/v1/vessels/dives", headers=police).json()
    assert [d["id"] for d in listed] == [dive["id"]]
