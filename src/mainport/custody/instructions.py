"""Discharge-to-guarded-area instructions to terminals, and the checks that a selected box is never
discharged without a plan or left standing outside the guarded area. Callers own the transaction.

The terminal is taken from the voyage's own events: the box's discharge event at the port of discharge
(estimated before arrival, actual after), else the vessel call's transport events, else the voyage's
transport call. An instruction is an outbox row; `dispatch` sends it through a TerminalGateway."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, union
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.cases import service as cases
from mainport.cases.models import Alert
from mainport.cases.workflow import OPEN_ALERT_STATES
from mainport.custody.models import CustodyPlan, TerminalInstruction
from mainport.custody.service import check_facility
from mainport.custody.terminal import DeliveryFailed, TerminalGateway, TerminalMessage
from mainport.database import utcnow
from mainport.errors import Conflict, NotFound, ValidationFailed
from mainport.identity.principal import Principal
from mainport.shipments.models import ContainerEvent, Declaration, TransportCall, Voyage

KIND = "discharge_to_guarded_area"
MAX_ATTEMPTS = 8
# An instruction still unacknowledged this long before the box is expected is chased with an alert.
ACK_MARGIN = timedelta(hours=2)
LEAVING = ("GTOT", "PICK")
# Classifier preference: what happened beats what is estimated beats what was planned.
_CLASS_RANK = {"ACT": 0, "EST": 1, "PLN": 2, "REQ": 3}


@dataclass(frozen=True)
class Arrival:
    """Where and when a box is (to be) discharged, as the events say."""

    facility_code: str | None
    unlocode: str | None
    expected_at: datetime | None  # discharge time (estimated or actual), else the vessel's arrival
    discharged_at: datetime | None  # an actual discharge
    left_at: datetime | None  # an actual gate-out / pick-up after the discharge
    vessel_imo: str | None
    voyage_number: str | None


def arrival_of(
    session: Session,
    container_number: str,
    *,
    unlocode: str | None,
    vessel_imo: str | None = None,
    voyage_number: str | None = None,
    after: datetime | None = None,
) -> Arrival:
    """The box's discharge at ``unlocode`` (any Dutch port when None) from its own and its vessel's events."""
    place = ContainerEvent.unlocode == unlocode if unlocode else ContainerEvent.unlocode.like("NL%")
    query = select(ContainerEvent).where(ContainerEvent.equipment_reference == container_number, place)
    if after is not None:
        query = query.where(ContainerEvent.event_datetime >= after)
    own = session.scalars(query.order_by(ContainerEvent.event_datetime)).all()
    discs = sorted(
        (e for e in own if e.type_code == "DISC"),
        key=lambda e: (_CLASS_RANK.get(e.event_classifier, 9), -e.event_datetime.timestamp()),
    )
    disc = discs[0] if discs else None
    imo = vessel_imo or (disc.vessel_imo if disc else None)
    voyage = voyage_number or (disc.voyage_number if disc else None)
    facility = disc.facility_code if disc and disc.facility_code else None
    port = unlocode or (disc.unlocode if disc else None)
    expected = disc.event_datetime if disc else None
    if (facility is None or expected is None) and imo and voyage:
        call_filter = [ContainerEvent.vessel_imo == imo, ContainerEvent.voyage_number == voyage]
        if port:
            call_filter.append(ContainerEvent.unlocode == port)
        arri = session.scalars(
            select(ContainerEvent)
            .where(ContainerEvent.event_type == "TRANSPORT", ContainerEvent.type_code == "ARRI", *call_filter)
            .order_by(ContainerEvent.event_datetime.desc())
        ).first()
        if arri is not None:
            facility = facility or arri.facility_code
            expected = expected or arri.event_datetime
            port = port or arri.unlocode
    if facility is None and imo and voyage and port:
        facility = session.scalar(
            select(TransportCall.facility_code)
            .join(Voyage, Voyage.id == TransportCall.voyage_id)
            .where(
                Voyage.voyage_number == voyage,
                TransportCall.unlocode == port,
                TransportCall.facility_code.is_not(None),
            )
            .limit(1)
        )
    actual = disc.event_datetime if disc is not None and disc.event_classifier == "ACT" else None
    left = next(
        (
            e.event_datetime
            for e in own
            if e.type_code in LEAVING
            and e.event_classifier == "ACT"
            and (e.empty_indicator or "LADEN") != "EMPTY"
            and actual is not None
            and e.event_datetime >= actual
        ),
        None,
    )
    return Arrival(facility, port, expected, actual, left, imo, voyage)


def _message(row: TerminalInstruction) -> TerminalMessage:
    return TerminalMessage(
        reference=row.reference,
        kind=row.kind,
        container_number=row.container_number,
        facility_code=row.facility_code,
        guarded_area=row.guarded_area,
        vessel_imo=row.vessel_imo,
        voyage_number=row.voyage_number,
        expected_at=row.expected_at,
    )


def instruct(
    *, session: Session, actor: Principal, plan: CustodyPlan, arrival: Arrival
) -> TerminalInstruction:
    """The plan's discharge-to-guarded-area instruction (one per plan; a second call returns it)."""
    actor.require("custody:write")
    actor.require("intel:write")
    found = session.scalar(
        select(TerminalInstruction).where(
            TerminalInstruction.plan_id == plan.id, TerminalInstruction.kind == KIND
        )
    )
    if found is not None:
        return found
    row = TerminalInstruction(
        reference=secrets.token_hex(16),
        plan_id=plan.id,
        kind=KIND,
        container_number=plan.container_number,
        facility_code=plan.facility_code,
        guarded_area=plan.guarded_area,
        vessel_imo=arrival.vessel_imo,
        voyage_number=arrival.voyage_number,
        expected_at=arrival.expected_at,
        status="pending",
        attempts=0,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="custody.instruction_create",
        entity_type="custody_terminal_instruction",
        entity_id=str(row.id),
        detail={"plan": plan.id, "facility": plan.facility_code, "container": plan.container_number},
    )
    return row


def dispatch(
    *, session: Session, actor: Principal, gateway: TerminalGateway, limit: int = 500
) -> dict[str, int]:
    """Send pending (and earlier failed) instructions through the gateway. A delivery whose commit is lost
    is sent again on the next run: the reference is the terminal's idempotency key."""
    actor.require("custody:write")
    actor.require("intel:write")
    rows = session.scalars(
        select(TerminalInstruction)
        .where(
            TerminalInstruction.status.in_(("pending", "failed")), TerminalInstruction.attempts < MAX_ATTEMPTS
        )
        .order_by(TerminalInstruction.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    for row in rows:
        row.attempts += 1
        row.gateway = gateway.name
        try:
            gateway.deliver(_message(row))
        except DeliveryFailed as exc:
            row.status, row.last_error = "failed", str(exc)[:300]
            failed += 1
        else:
            row.status, row.sent_at, row.last_error = "sent", utcnow(), None
            sent += 1
    session.flush()
    if rows:
        audit.record(
            session=session,
            actor=actor,
            action="custody.instruction_dispatch",
            entity_type="custody_terminal_instruction",
            entity_id=gateway.name,
            detail={"sent": sent, "failed": failed},
        )
    return {"sent": sent, "failed": failed}


def acknowledge(
    *, session: Session, actor: Principal, reference: str, accepted: bool = True, note: str = ""
) -> TerminalInstruction:
    """The terminal confirms (or refuses, with a note) that it will discharge the box to the guarded area."""
    row = session.scalar(select(TerminalInstruction).where(TerminalInstruction.reference == reference))
    if row is None:
        raise NotFound(f"terminal instruction {reference!r} not found")
    check_facility(actor, row.facility_code, write=True)
    if row.status in ("acknowledged", "refused"):
        if (row.status == "acknowledged") == accepted:
            return row  # a retried acknowledgement
        raise Conflict(f"instruction {reference} was {row.status} already")
    if not accepted and not note.strip():
        raise ValidationFailed("a refusal needs a note saying why (field 'note')")
    row.status = "acknowledged" if accepted else "refused"
    row.acknowledged_at, row.acknowledged_by = utcnow(), f"{actor.username}@{actor.org_code}"
    row.answer_note = note.strip()[:300] or None
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="custody.instruction_ack" if accepted else "custody.instruction_refuse",
        entity_type="custody_terminal_instruction",
        entity_id=str(row.id),
        detail={"facility": row.facility_code, "note": row.answer_note},
    )
    if not accepted:
        plan = session.get(CustodyPlan, row.plan_id)
        cases.raise_alert(
            session=session,
            actor=actor,
            source="custody",
            kind="custody.instruction_refused",
            container_number=row.container_number,
            hub=plan.hub if plan else None,
            severity=3,
            title=f"{row.container_number}: {row.facility_code} refused the guarded-area instruction",
            detail={"instruction": row.reference, "note": row.answer_note},
        )
    return row


def list_instructions(
    *, session: Session, actor: Principal, facility_code: str, status: str | None = None
) -> list[TerminalInstruction]:
    check_facility(actor, facility_code)
    query = select(TerminalInstruction).where(TerminalInstruction.facility_code == facility_code)
    if status:
        query = query.where(TerminalInstruction.status == status)
    rows = list(session.scalars(query.order_by(TerminalInstruction.id.desc()).limit(500)))
    audit.record(
        session=session,
        actor=actor,
        action="custody.instruction_read",
        entity_type="facility",
        entity_id=facility_code,
        detail={"rows": len(rows)},
    )
    return rows


def instruction_for_plan(session: Session, plan_id: int) -> TerminalInstruction | None:
    return session.scalar(select(TerminalInstruction).where(TerminalInstruction.plan_id == plan_id))


def check_acknowledgements(*, session: Session, actor: Principal, now: datetime | None = None) -> list[Alert]:
    """Alert on every instruction still not acknowledged when the box is (nearly) due, or after a day."""
    actor.require("custody:write")
    now = now or utcnow()
    rows = session.scalars(
        select(TerminalInstruction).where(TerminalInstruction.status.in_(("pending", "sent", "failed")))
    ).all()
    alerts = []
    for row in rows:
        due = (row.expected_at - ACK_MARGIN) if row.expected_at else row.created_at + timedelta(days=1)
        if now < due:
            continue
        plan = session.get(CustodyPlan, row.plan_id)
        if plan is None or plan.closed_at is not None:
            continue
        alerts.append(
            cases.raise_alert(
                session=session,
                actor=actor,
                source="custody",
                kind="custody.instruction_unacknowledged",
                container_number=row.container_number,
                hub=plan.hub,
                severity=3,
                title=f"{row.container_number}: terminal {row.facility_code} has not acknowledged the "
                f"guarded-area instruction ({row.status}, {row.attempts} attempts)",
                detail={"instruction": row.reference, "status": row.status, "error": row.last_error},
            )
        )
    return alerts


def check_discharges(
    *,
    session: Session,
    actor: Principal,
    kinds: frozenset[str],
    since: datetime | None = None,
) -> list[Alert]:
    """Alert on every actual discharge of a box with an open physical-check alert raised before it and no
    custody plan in force at that moment (opened after the discharge, or never)."""
    actor.require("custody:write")
    open_checks = (Alert.kind.in_(sorted(kinds)), Alert.status.in_(OPEN_ALERT_STATES))
    # The box of an alert: its own container, or (a selection's alert) its declaration's.
    boxes = union(
        select(Alert.container_number).where(*open_checks),
        select(Declaration.container_number)
        .join(Alert, Alert.declaration_id == Declaration.id)
        .where(*open_checks),
    ).subquery()
    query = select(ContainerEvent).where(
        ContainerEvent.type_code == "DISC",
        ContainerEvent.event_classifier == "ACT",
        ContainerEvent.unlocode.like("NL%"),
        ContainerEvent.equipment_reference.in_(select(boxes.c.container_number)),
    )
    if since is not None:
        query = query.where(ContainerEvent.received_at >= since)
    alerts: list[Alert] = []
    for ev in session.scalars(query.order_by(ContainerEvent.id)):
        number = str(ev.equipment_reference)
        selected = session.scalar(
            select(Alert.id).where(
                or_(
                    Alert.container_number == number,
                    Alert.declaration_id.in_(
                        select(Declaration.id).where(Declaration.container_number == number)
                    ),
                ),
                Alert.raised_at <= ev.event_datetime,
                *open_checks,
            )
        )
        if selected is None:
            continue
        covered = session.scalar(
            select(CustodyPlan.id).where(
                CustodyPlan.container_number == number,
                CustodyPlan.opened_at <= ev.event_datetime,
                or_(CustodyPlan.closed_at.is_(None), CustodyPlan.closed_at >= ev.event_datetime),
            )
        )
        if covered is not None:
            continue
        alerts.append(
            cases.raise_alert(
                session=session,
                actor=actor,
                source="custody",
                kind="custody.discharged_without_plan",
                container_number=number,
                hub=ev.hub,
                severity=4,
                title=f"{number}: selected box discharged at {ev.facility_code or ev.unlocode} without a "
                "custody plan",
                detail={
                    "event": ev.event_id,
                    "at": ev.event_datetime.isoformat(),
                    "selection_alert": selected,
                },
                dedup_key=f"disc:{ev.event_id}",
            )
        )
    return alerts
