"""The ISPS facility register (need-to-know, audited changes) and the badge and ANPR feeds through ingest
(checked, quarantined with a reason, reconciled, each event once). Both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mainport.audit.models import AuditEntry
from mainport.barriers import service
from mainport.barriers.feeds import anpr, badge_event
from mainport.barriers.models import BadgeEvent, CameraDetection
from mainport.errors import NotFound, PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal, system_principal
from mainport.ingest.checks import Invalid
from mainport.ingest.jobs import ingest_file
from mainport.ingest.models import QuarantinedRecord

AT = datetime(2026, 3, 2, 8, tzinfo=UTC)
NOW = AT + timedelta(hours=12)


def _facility(
    session: Session, code: str = "NLRTM-0001", hub: str = "rotterdam", operator: str = "ECTDE"
) -> Any:
    return service.register_facility(
        session=session,
        actor=system_principal(),
        code=code,
        name=f"Terminal {code}",
        hub=hub,
        unlocode="NLRTM" if hub == "rotterdam" else "NLVLI",
        operator_code=operator,
        measures=[{"measure": "cctv", "state": "in_place"}, {"measure": "anpr", "state": "partial"}],
        compliance_until=date(2027, 6, 30),
    )


def _badge(i: int, **kw: Any) -> dict[str, Any]:
    return {
        "facility": "NLRTM-0001",
        "badge": f"B{i:06d}",
        "direction": "IN",
        "gate": "G1",
        "at": (AT + timedelta(seconds=i)).isoformat(),
        **kw,
    }


def _cam(i: int, **kw: Any) -> dict[str, Any]:
    return {
        "facility": "NLRTM-0001",
        "camera": "C-GATE-1",
        "plate": f"12-AB-{i % 100:02d}",
        "at": (AT + timedelta(seconds=i)).isoformat(),
        "direction": "OUT",
        "confidence": 0.93,
        **kw,
    }


def test_checks_name_the_field() -> None:
    assert badge_event(_badge(1), now=NOW)["direction"] == "in"
    assert anpr(_cam(1), now=NOW)["plate"] == "12AB01"
    for check, record, field in (
        (badge_event, _badge(1, facility="ECT"), "facility"),
        (badge_event, _badge(1, direction="sideways"), "direction"),
        (badge_event, _badge(1, at="2026-03-02T08:00:00"), "at"),
        (badge_event, _badge(1, granted="yes"), "granted"),
        (anpr, _cam(1, plate=None), "plate"),
        (anpr, _cam(1, confidence=3), "confidence"),
        (anpr, _cam(1, containerNumber="MSCU1234560"), "containerNumber"),
    ):
        with pytest.raises(Invalid, match=f"^{field}:"):
            check(record, now=NOW)


def _people(principal_factory: Callable[..., Principal]) -> dict[str, Principal]:
    return {
        "authority": principal_factory(Role.admin, OrgKind.port_authority, node_code="rotterdam"),
        "zeeland": principal_factory(Role.admin, OrgKind.port_authority, node_code="zeeland_west_brabant"),
        "customs": principal_factory(Role.analyst, OrgKind.customs),
        "terminal": principal_factory(Role.officer, OrgKind.terminal, facility_code="ECTDE"),
        "other_terminal": principal_factory(Role.officer, OrgKind.terminal, facility_code="RWG"),
        "line": principal_factory(Role.admin, OrgKind.shipping_line, carrier_code="MSCU"),
    }


def test_register_need_to_know_and_audit(
    session: Session, principal_factory: Callable[..., Principal]
) -> None:
    p = _people(principal_factory)
    service.register_facility(
        session=session,
        actor=p["authority"],
        code="NLRTM-0001",
        name="ECT Delta",
        hub="rotterdam",
        unlocode="NLRTM",
        operator_code="ECTDE",
    )
    _facility(session, "NLVLI-0002", "zeeland_west_brabant", "KLOOS")
    changed = service.register_facility(
        session=session,
        actor=p["authority"],
        code="NLRTM-0001",
        name="ECT Delta",
        hub="rotterdam",
        unlocode="NLRTM",
        operator_code="ECTDE",
        security_level=2,
        status="suspended",
        measures=[{"measure": "fencing", "state": "missing", "note": "breach north side"}],
    )
    assert (changed.security_level, changed.status, changed.measures[0]["state"]) == (
        2,
        "suspended",
        "missing",
    )
    with pytest.raises(PermissionDenied):  # Zeeland's harbour master does not keep Rotterdam's register
        service.register_facility(
            session=session,
            actor=p["zeeland"],
            code="NLRTM-0003",
            name="x",
            hub="rotterdam",
            unlocode="NLRTM",
        )
    for actor in (p["customs"], p["terminal"], p["line"]):
        with pytest.raises(PermissionDenied):
            service.register_facility(
                session=session, actor=actor, code="NLRTM-0004", name="x", hub="rotterdam", unlocode="NLRTM"
            )
    seen = {
        k: [f.code for f in service.list_facilities(session=session, actor=p[k])]
        for k in ("authority", "zeeland", "customs", "terminal", "other_terminal")
    }
    assert seen == {
        "authority": ["NLRTM-0001"],
        "zeeland": ["NLVLI-0002"],
        "customs": ["NLRTM-0001", "NLVLI-0002"],
        "terminal": ["NLRTM-0001"],
        "other_terminal": [],
    }
    with pytest.raises(PermissionDenied):
        service.list_facilities(session=session, actor=p["line"])
    with pytest.raises(NotFound):
        service.get_facility(session=session, actor=p["other_terminal"], code="NLRTM-0001")
    for bad, field in (
        ({"hub": "atlantis"}, "hub"),
        ({"unlocode": "XXXXX"}, "unlocode"),
        ({"security_level": 4}, "security_level"),
        ({"status": "open"}, "status"),
        ({"code": "rotterdam1"}, "code"),
        ({"measures": [{"measure": "moat", "state": "in_place"}]}, "measure"),
    ):
        args: dict[str, Any] = {
            "code": "NLRTM-0009",
            "name": "x",
            "hub": "rotterdam",
            "unlocode": "NLRTM",
            **bad,
        }
        with pytest.raises(ValidationFailed, match=field):
            service.register_facility(session=session, actor=p["authority"], **args)
    actions = list(
        session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("barriers.facilit%")))
    )
    assert actions.count("barriers.facility_changed") == 1 and "barriers.facilities_read" in actions


def _ingest(factory: sessionmaker[Session], tmp_path: Path, kind: str, records: list[Any]) -> Any:
    path = tmp_path / f"{kind}.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return ingest_file(session_factory=factory, actor=system_principal(), kind=kind, path=path)


def test_feeds_store_quarantine_and_reconcile(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    with session_factory() as s:
        _facility(s)
        s.commit()
    badges = [_badge(i) for i in range(50)] + [
        _badge(3),
        _badge(60, facility="NLAMS-0042"),
        _badge(61, direction="up"),
    ]
    recon = _ingest(session_factory, tmp_path, "badge_events", badges)
    assert (recon.received, recon.stored, recon.duplicates, recon.quarantined) == (53, 50, 1, 2), (
        recon.summary()
    )
    assert recon.balanced
    cams = [_cam(i) for i in range(30)] + [
        _cam(40, plate=None, containerNumber="MSCU1234566"),
        _cam(41, plate="!!"),
    ]
    rec2 = _ingest(session_factory, tmp_path, "anpr", cams)
    assert (rec2.stored, rec2.duplicates, rec2.quarantined) == (31, 0, 1) and rec2.balanced
    again = _ingest(session_factory, tmp_path, "badge_events", badges)
    assert (again.stored, again.duplicates) == (0, 51)
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(BadgeEvent)) == 50
        assert s.scalar(select(func.count()).select_from(CameraDetection)) == 31
        reasons = set(
            s.scalars(select(QuarantinedRecord.reason).where(QuarantinedRecord.kind == "badge_event"))
        )
        assert any("not in the ISPS facility register" in r for r in reasons)
        assert any(r.startswith("direction:") for r in reasons)
        box = s.scalars(select(CameraDetection).where(CameraDetection.container_number.is_not(None))).one()
        assert (box.container_number, box.hub) == ("MSCU1234566", "rotterdam")


def test_api(
    session: Session, app_client: TestClient, principal_factory: Callable[..., Principal], token_for: Any
) -> None:
    p = _people(principal_factory)
    _facility(session)
    service.store_badge_events(
        session=session,
        actor=system_principal(),
        rows=[badge_event(_badge(i), now=NOW) for i in range(3)],
        source="t",
    )
    service.store_detections(
        session=session, actor=system_principal(), rows=[anpr(_cam(i), now=NOW) for i in range(4)], source="t"
    )
    authority, customs, terminal, other, line = (
        token_for(p[k]) for k in ("authority", "customs", "terminal", "other_terminal", "line")
    )
    assert app_client.get("/api/v1/barriers/facilities").status_code == 401
    assert app_client.get("/api/v1/barriers/facilities", headers=line).status_code == 403
    assert [f["code"] for f in app_client.get("/api/v1/barriers/facilities", headers=terminal).json()] == [
        "NLRTM-0001"
    ]
    assert app_client.get("/api/v1/barriers/facilities", headers=other).json() == []
    assert app_client.get("/api/v1/barriers/facilities/NLRTM-0001", headers=other).status_code == 404
    body = {
        "code": "NLRTM-0005",
        "name": "Rail gate",
        "hub": "rotterdam",
        "unlocode": "NLRTM",
        "measures": [{"measure": "cctv", "state": "in_place"}],
    }
    assert app_client.put("/api/v1/barriers/facilities", json=body, headers=terminal).status_code == 403
    r = app_client.put("/api/v1/barriers/facilities", json=body, headers=authority)
    assert r.status_code == 200 and r.json()["measures"][0]["measure"] == "cctv"
    bad = app_client.put("/api/v1/barriers/facilities", json={**body, "status": "open"}, headers=authority)
    assert bad.status_code == 422 and "status" in bad.text
    assert app_client.get("/api/v1/barriers/badge-events", headers=terminal).status_code == 403
    assert len(app_client.get("/api/v1/barriers/badge-events", headers=customs).json()) == 3
    assert len(app_client.get("/api/v1/barriers/detections?plate=12-AB-01", headers=terminal).json()) == 1
    assert app_client.get("/api/v1/barriers/detections", headers=other).json() == []


def test_who_was_near_a_box(
    session: Session, principal_factory: Callable[..., Principal], app_client: TestClient, token_for: Any
) -> None:
    p = _people(principal_factory)
    _facility(session)
    _facility(session, "NLRTM-0002", operator="RWG")
    box = "MSCU1234566"
    cams = [_cam(0, containerNumber=box), _cam(1, facility="NLRTM-0002"), _cam(9 * 3600, containerNumber=box)]
    service.store_detections(
        session=session, actor=system_principal(), rows=[anpr(c, now=NOW) for c in cams], source="t"
    )
    badges = [_badge(60), _badge(61, facility="NLRTM-0002"), _badge(12 * 3600)]
    service.store_badge_events(
        session=session, actor=system_principal(), rows=[badge_event(b, now=NOW) for b in badges], source="t"
    )
    near = service.near_container(session=session, actor=p["customs"], container_number=box, at=AT, hours=2)
    assert [d.at for d in near.detections] == [AT]  # the read 9 h later is outside the window
    assert [b.badge for b in near.badges] == [
        "B000060"
    ]  # only the facility where the box was read, in the window
    with pytest.raises(PermissionDenied):
        service.near_container(session=session, actor=p["terminal"], container_number=box, at=AT)
    with pytest.raises(ValidationFailed, match="at"):
        service.near_container(
            session=session, actor=p["customs"], container_number=box, at=AT.replace(tzinfo=None)
        )
    r = app_client.get(
        f"/api/v1/barriers/near?container={box}&at=2026-03-02T08:00:00Z&hours=2",
        headers=token_for(p["customs"]),
    )
    assert r.status_code == 200 and [b["badge"] for b in r.json()["badges"]] == ["B000060"], r.text
    assert (
        app_client.get(
            f"/api/v1/barriers/near?container={box}&at=2026-03-02T08:00:00Z&hours=0",
            headers=token_for(p["customs"]),
        ).status_code
        == 422
    )
