from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport import flows
from mainport.cases.models import Alert
from mainport.custody import seals
from mainport.custody import service as custody
from mainport.identity.models import OrgKind, Role
from mainport.shipments.models import ContainerEvent, Declaration, Party

BOX = "APZU4812090"
NOW = datetime.now(UTC).replace(microsecond=0)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dcsa"


def _event(
    session: Session,
    n: int,
    code: str,
    at: datetime,
    seals_: list[str] | None = None,
    location: str | None = None,
) -> None:
    session.add(
        ContainerEvent(
            event_id=f"sev-{n}",
            event_type="EQUIPMENT",
            event_classifier="ACT",
            type_code=code,
            event_datetime=at,
            event_created_datetime=at,
            equipment_reference=BOX,
            facility_code="ECTDE",
            unlocode="NLRTM",
            seals=seals_ or [],
            hub="rotterdam",
            source="test",
            payload={"eventLocation": {"locationName": location}} if location else {},
        )
    )
    session.flush()


def _declaration(session: Session, declared: list[str]) -> None:
    party = Party(eori="NL123456789", name="Importer", country="NL", first_seen=NOW)
    session.add(party)
    session.flush()
    session.add(
        Declaration(
            reference="ENS-1",
            filed_at=NOW - timedelta(days=10),
            bill_of_lading="BL1",
            consignor_id=party.id,
            consignee_id=party.id,
            place_of_loading="ECGYE",
            place_of_discharge="NLRTM",
            countries_of_routing=["EC"],
            hs_code="080390",
            goods_description="bananas",
            packages=1000,
            gross_mass_kg=20000.0,
            container_number=BOX,
            seal_numbers=declared,
            hub="rotterdam",
            source="test",
        )
    )
    session.flush()


def _reading(
    n: int, at: datetime, kind: str = "eseal", status: str = "open", location: str | None = None
) -> dict:
    return {
        "reading_id": f"r-{n}",
        "container_number": BOX,
        "kind": kind,
        "status": status,
        "at": at.isoformat(),
        "location": location,
        "device_id": "ES-1",
    }


def test_compare_seals_pure() -> None:
    t = NOW
    findings = seals.compare_seals(
        ["ML-1"],
        [
            (t, "ECGYE", "a", ["ml-1"]),
            (t + timedelta(days=1), "PAONX", "b", ["ML-9"]),
            (t + timedelta(days=2), "NLRTM", "c", ["ML-1", "X-2"]),
            (t, None, "d", []),
        ],
    )
    assert [(f.kind, f.event_id, f.missing, f.extra) for f in findings] == [
        ("seal.changed", "b", ("ML-1",), ("ML-9",)),
        ("seal.extra", "c", (), ("X-2",)),
    ]


def test_check_seals_raises_rip_on_alert(session: Session, principal_factory) -> None:
    analyst = principal_factory()
    _declaration(session, ["ML-1"])
    _event(session, 1, "LOAD", NOW - timedelta(days=9), ["ML-1"])
    _event(session, 2, "DISC", NOW - timedelta(days=1), ["ML-7"])
    alerts = seals.check_seals(session=session, actor=analyst, container_number=BOX)
    assert [(a.kind, a.severity) for a in alerts] == [("seal.changed", 3)]
    assert alerts[0].detail["missing"] == ["ML-1"] and alerts[0].declaration_id is not None


def test_door_open_at_sea_single_signal_is_lower_severity(session: Session, principal_factory) -> None:
    analyst = principal_factory()
    _event(session, 1, "LOAD", NOW - timedelta(days=3))
    stored, dups, alerts = seals.ingest_readings(
        session=session, actor=analyst, readings=[_reading(1, NOW - timedelta(days=1))], source="t"
    )
    assert (stored, dups) == (1, 0)
    assert [(a.kind, a.severity) for a in alerts] == [("seal.door_opened", 2)]
    # The same reading again is a duplicate, not a second signal.
    assert seals.ingest_readings(
        session=session, actor=analyst, readings=[_reading(1, NOW - timedelta(days=1))], source="t"
    )[:2] == (0, 1)
    # A door sensor agreeing within the window corroborates: the alarm is believed.
    _s, _d, alerts = seals.ingest_readings(
        session=session,
        actor=analyst,
        readings=[_reading(2, NOW - timedelta(days=1, minutes=-5), kind="door")],
        source="t",
    )
    assert alerts[0].severity == 4 and alerts[0].occurrences == 2
    assert alerts[0].detail["last"]["channels"] == ["door", "eseal"]


def test_signals_either_side_of_a_clock_hour_are_one_opening(session: Session, principal_factory) -> None:
    """An e-seal at 10:58 and the door sensor at 11:03 are the same opening (this split into two alerts when
    alerts were keyed on the clock hour, and the test above failed whenever it ran at minute 55 or later)."""
    analyst = principal_factory()
    _event(session, 1, "LOAD", NOW - timedelta(days=3))
    first = (NOW - timedelta(days=1)).replace(minute=58, second=0)
    seals.ingest_readings(session=session, actor=analyst, readings=[_reading(1, first)], source="t")
    _s, _d, alerts = seals.ingest_readings(
        session=session,
        actor=analyst,
        readings=[_reading(2, first + timedelta(minutes=5), kind="door")],
        source="t",
    )
    assert alerts[0].severity == 4 and alerts[0].occurrences == 2
    stored = session.scalars(select(Alert).where(Alert.kind == "seal.door_opened")).all()
    assert len(stored) == 1


def test_door_open_during_inspection_in_guarded_area_is_fine(session: Session, principal_factory) -> None:
    customs = principal_factory(role=Role.officer)
    _a, plan = flows.select_for_control(
        session=session,
        actor=customs,
        container_number=BOX,
        facility_code="ECTDE",
        source="manual",
        reason="x",
    )
    custody.record_step(session=session, actor=customs, plan_id=plan.id, step="discharged")
    custody.record_step(
        session=session, actor=customs, plan_id=plan.id, step="guarded", location=plan.guarded_area
    )
    # Under control but not yet inspecting: an opening is an alarm.
    _s, _d, alerts = seals.ingest_readings(
        session=session, actor=customs, readings=[_reading(3, NOW, location=plan.guarded_area)], source="t"
    )
    assert alerts and alerts[0].kind == "seal.door_opened"
    custody.record_step(session=session, actor=customs, plan_id=plan.id, step="inspection_started")
    _s, _d, alerts = seals.ingest_readings(
        session=session,
        actor=customs,
        readings=[_reading(4, NOW + timedelta(hours=3), location=plan.guarded_area)],
        source="t",
    )
    assert alerts == []
    assert [e.step for e in plan.log].count("door_opened") == 2


def test_door_open_after_gate_out_is_delivery(session: Session, principal_factory) -> None:
    analyst = principal_factory()
    _event(session, 1, "GTOT", NOW - timedelta(hours=5))
    _s, _d, alerts = seals.ingest_readings(
        session=session, actor=analyst, readings=[_reading(5, NOW)], source="t"
    )
    assert alerts == []


def test_dcsa_iot_example_maps_to_door_reading(session: Session, principal_factory) -> None:
    example = FIXTURES / "tnt-300-request-iot.json"
    doc = json.loads(example.read_text())
    reading = seals.reading_from_dcsa_iot(doc["events"][0])
    assert reading["kind"] == "door" and reading["status"] == "open" and reading["container_number"] == BOX
    analyst = principal_factory()
    _s, _d, alerts = seals.ingest_readings(session=session, actor=analyst, readings=[reading], source="dcsa")
    assert alerts[0].detail["position"] == "unknown" and alerts[0].severity == 1


def test_terminal_cannot_ingest_telemetry(session: Session, principal_factory) -> None:
    terminal = principal_factory(role=Role.officer, kind=OrgKind.terminal, facility_code="ECTDE")
    from mainport.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        seals.ingest_readings(session=session, actor=terminal, readings=[_reading(9, NOW)], source="t")
    assert session.scalar(select(Alert.id)) is None


def test_dcsa_door_events_are_judged_once(session: Session, principal_factory) -> None:
    analyst = principal_factory()
    _event(session, 1, "LOAD", NOW - timedelta(days=3))
    _event(session, 2, "DRO", NOW - timedelta(days=1), location="AT SEA")
    stored, _d, alerts = seals.ingest_door_events(session=session, actor=analyst)
    assert stored == 1 and [a.kind for a in alerts] == ["seal.door_opened"]
    assert seals.ingest_door_events(session=session, actor=analyst)[0] == 0
    # An e-seal agreeing with the DCSA event corroborates it.
    _s, _d, alerts = seals.ingest_readings(
        session=session,
        actor=analyst,
        readings=[_reading(7, NOW - timedelta(days=1, minutes=-3))],
        source="t",
    )
    assert alerts[0].severity == 4
