from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mainport import flows
from mainport.cases.models import Alert
from mainport.custody import service as custody
from mainport.custody.models import CustodyLogEntry
from mainport.custody.steps import apply_step
from mainport.errors import Conflict, PermissionDenied
from mainport.identity.models import OrgKind, Role
from mainport.shipments.models import ContainerEvent

BOX = "MSCU1234565"
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)


def _kinds(session: Session) -> list[str]:
    return list(session.scalars(select(Alert.kind).where(Alert.container_number == BOX).order_by(Alert.id)))


def _event(
    session: Session,
    n: int,
    code: str,
    at: datetime,
    location: str | None = None,
    seals: list[str] | None = None,
) -> ContainerEvent:
    ev = ContainerEvent(
        event_id=f"evt-{n}",
        event_type="EQUIPMENT",
        event_classifier="ACT",
        type_code=code,
        event_datetime=at,
        event_created_datetime=at,
        equipment_reference=BOX,
        facility_code="ECTDE",
        unlocode="NLRTM",
        seals=seals or [],
        hub="rotterdam",
        source="test",
        payload={"eventLocation": {"locationName": location}} if location else {},
    )
    session.add(ev)
    session.flush()
    return ev


@pytest.fixture
def customs(principal_factory):  # type: ignore[no-untyped-def]
    return principal_factory(role=Role.officer)


@pytest.fixture
def terminal(principal_factory):  # type: ignore[no-untyped-def]
    return principal_factory(
        role=Role.officer, kind=OrgKind.terminal, facility_code="ECTDE", node_code="rotterdam"
    )


def _plan(session: Session, customs):  # type: ignore[no-untyped-def]
    _alert, plan = flows.select_for_control(
        session=session,
        actor=customs,
        container_number=BOX,
        facility_code="ECTDE",
        source="targeting",
        reason="risk 0.91",
        hub="rotterdam",
    )
    return plan


def test_pure_state_machine() -> None:
    assert apply_step("planned", "discharged", None, "GA") == ("discharged", [])
    state, devs = apply_step("guarded", "gate_out", None, "GA")
    assert state == "guarded" and devs[0].kind == "custody.gate_out_under_control" and devs[0].severity == 4
    assert apply_step("planned", "guarded", "GA", "GA")[1][0].kind == "custody.missing_discharge"
    assert apply_step("guarded", "moved", "BLOCK-7", "GA")[1][0].kind == "custody.moved_out_of_guarded_area"
    assert apply_step("discharged", "inspection_started", None, "GA")[1][0].kind == "custody.out_of_order"
    state, devs = apply_step("discharged", "seized", None, "GA")
    assert state == "seized" and devs[0].kind == "custody.concluded_outside_guarded_area"
    assert apply_step("released", "gate_out", None, "GA") == ("released", [])


def test_clean_journey_raises_nothing_and_chain_verifies(session: Session, customs, terminal) -> None:
    plan = _plan(session, customs)
    custody.record_step(
        session=session,
        actor=terminal,
        plan_id=plan.id,
        step="discharged",
        at=T0,
        location="QUAY-3",
        seals=["ml123"],
    )
    custody.record_step(
        session=session,
        actor=terminal,
        plan_id=plan.id,
        step="guarded",
        at=T0 + timedelta(minutes=20),
        location=plan.guarded_area,
    )
    custody.record_step(
        session=session, actor=customs, plan_id=plan.id, step="inspection_started", at=T0 + timedelta(hours=1)
    )
    custody.record_step(
        session=session, actor=customs, plan_id=plan.id, step="released", at=T0 + timedelta(hours=2)
    )
    _e, alerts = custody.record_step(
        session=session, actor=terminal, plan_id=plan.id, step="gate_out", at=T0 + timedelta(hours=3)
    )
    assert alerts == [] and plan.state == "released"
    assert _kinds(session) == ["targeting.selected"]
    assert [e.step for e in plan.log] == [
        "selected",
        "discharged",
        "guarded",
        "inspection_started",
        "released",
        "gate_out",
    ]
    assert plan.log[1].seals == ["ML123"]
    report = custody.verify_plan(session=session, actor=customs, plan_id=plan.id)
    assert report.ok and report.entries == 6


def test_tampering_is_detected(session: Session, customs, terminal) -> None:
    plan = _plan(session, customs)
    custody.record_step(
        session=session, actor=terminal, plan_id=plan.id, step="discharged", at=T0, location="Q"
    )
    custody.record_step(session=session, actor=terminal, plan_id=plan.id, step="guarded", at=T0, location="X")
    session.execute(
        update(CustodyLogEntry)
        .where(CustodyLogEntry.plan_id == plan.id, CustodyLogEntry.seq == 2)
        .values(location="ELSEWHERE")
    )
    session.expire_all()
    report = custody.verify_plan(session=session, actor=customs, plan_id=plan.id)
    assert not report.ok and "entry 2: content does not match its hash (altered)" in report.problems


def test_deviations_raise_alerts_at_once(session: Session, customs, terminal) -> None:
    plan = _plan(session, customs)
    _e, alerts = custody.record_step(
        session=session, actor=terminal, plan_id=plan.id, step="guarded", at=T0, location=plan.guarded_area
    )
    assert [a.kind for a in alerts] == ["custody.missing_discharge"]
    custody.record_step(
        session=session,
        actor=terminal,
        plan_id=plan.id,
        step="moved",
        at=T0 + timedelta(hours=1),
        location="BLOCK-7",
    )
    _e, alerts = custody.record_step(
        session=session, actor=terminal, plan_id=plan.id, step="gate_out", at=T0 + timedelta(hours=2)
    )
    assert alerts[0].severity == 4
    _e, alerts = custody.record_step(
        session=session, actor=terminal, plan_id=plan.id, step="discharged", at=T0 - timedelta(hours=5)
    )
    assert {a.kind for a in alerts} == {"custody.out_of_order"}
    assert set(_kinds(session)) >= {
        "custody.missing_discharge",
        "custody.moved_out_of_guarded_area",
        "custody.gate_out_under_control",
        "custody.out_of_order",
    }


def test_dwell_outside_guarded_area(session: Session, customs, terminal) -> None:
    plan = _plan(session, customs)
    custody.record_step(
        session=session, actor=terminal, plan_id=plan.id, step="discharged", at=T0, location="BLOCK-2"
    )
    assert custody.check_dwell(session=session, actor=customs, now=T0 + timedelta(hours=1)) == []
    alerts = custody.check_dwell(session=session, actor=customs, now=T0 + timedelta(hours=3))
    assert [a.kind for a in alerts] == ["custody.dwell_unguarded"]


def test_sync_dcsa_events_once_each(session: Session, customs, terminal) -> None:
    plan = _plan(session, customs)
    _event(session, 1, "DISC", T0, "QUAY-3")
    _event(session, 2, "GTIN", T0 + timedelta(minutes=30), plan.guarded_area)
    _event(session, 3, "GTOT", T0 + timedelta(hours=1))
    alerts = custody.sync_events(session=session, actor=terminal, plan_id=plan.id)
    assert [a.kind for a in alerts] == ["custody.gate_out_under_control"]
    assert [e.step for e in plan.log] == ["selected", "discharged", "guarded", "gate_out"]
    assert custody.sync_events(session=session, actor=terminal, plan_id=plan.id) == []
    assert len(plan.log) == 4


def test_terminal_sees_only_its_own_facility_and_no_intelligence(
    session: Session, customs, principal_factory
) -> None:
    plan = _plan(session, customs)
    own = principal_factory(role=Role.officer, kind=OrgKind.terminal, facility_code="ECTDE")
    other = principal_factory(role=Role.officer, kind=OrgKind.terminal, facility_code="APMII")
    haulier = principal_factory(role=Role.officer, kind=OrgKind.haulier)
    assert custody.get_plan(session=session, actor=own, plan_id=plan.id).id == plan.id
    rows = custody.board(session=session, actor=own, facility_code="ECTDE")
    assert [r.container_number for r in rows] == [BOX] and rows[0].open_alerts is None
    assert custody.board(session=session, actor=customs, facility_code="ECTDE")[0].open_alerts == 1
    for outsider in (other, haulier):
        with pytest.raises(PermissionDenied):
            custody.get_plan(session=session, actor=outsider, plan_id=plan.id)
        with pytest.raises(PermissionDenied):
            custody.board(session=session, actor=outsider, facility_code="ECTDE")
        with pytest.raises(PermissionDenied):
            custody.plans_for_container(session=session, actor=outsider, container_number=BOX)
    with pytest.raises(PermissionDenied):  # a terminal cannot decide a customs step
        custody.record_step(session=session, actor=own, plan_id=plan.id, step="released")
    with pytest.raises(PermissionDenied):  # nor select for control
        custody.open_plan(session=session, actor=own, container_number="TGHU0000002", facility_code="ECTDE")


def test_one_active_plan_per_container(session: Session, customs) -> None:
    _plan(session, customs)
    with pytest.raises(Conflict):
        custody.open_plan(session=session, actor=customs, container_number=BOX, facility_code="ECTDE")
