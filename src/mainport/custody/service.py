"""Custody plans and their hash-chained log. Callers own the transaction.

Who sees what: government users see everything; a terminal sees the custody state of the containers at its
own facility (where to put them, not why they were selected); nobody else sees custody at all, because a
haulier or forwarder who learns that customs is interested in a box is exactly the leak the plan prevents.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mainport.audit import service as audit

# The audit chain's hashing, reused so that both logs are verified the same way.
from mainport.audit.service import GENESIS
from mainport.audit.service import entry_hash as entry_hash
from mainport.cases import service as cases
from mainport.cases.models import Alert
from mainport.custody.models import CustodyLogEntry, CustodyPlan
from mainport.custody.steps import (
    ACTIVE_STATES,
    GOVERNMENT_STEPS,
    HOLD_STATES,
    STEPS,
    Deviation,
    apply_step,
    step_for_event,
)
from mainport.database import utcnow
from mainport.database.core import missing_target
from mainport.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind
from mainport.identity.principal import Principal
from mainport.shipments.models import ContainerEvent

DWELL_TOLERANCE = timedelta(hours=2)


def guarded_area_of(facility_code: str) -> str:
    """The default location name of a terminal's guarded area."""
    return f"{facility_code}-GUARDED"


# -- access -------------------------------------------------------------------------------------------------


def check_facility(actor: Principal, facility_code: str, *, write: bool = False) -> None:
    """Government may act anywhere; a terminal only on its own facility; other organisations never."""
    actor.require("custody:write" if write else "custody:read")
    if actor.is_government:
        return
    if actor.org_kind == OrgKind.terminal and actor.facility_code and actor.facility_code == facility_code:
        return
    raise PermissionDenied(f"{actor.username} ({actor.org_code}) may not see custody at {facility_code}")


def active_plan(session: Session, container_number: str) -> CustodyPlan | None:
    return session.scalar(
        select(CustodyPlan)
        .where(CustodyPlan.container_number == container_number, CustodyPlan.state.in_(ACTIVE_STATES))
        .order_by(CustodyPlan.id.desc())
        .limit(1)
    )


def under_hold(session: Session, container_number: str) -> bool:
    """Whether customs holds the container (an unfinished or seized custody plan): no release."""
    found = session.scalar(
        select(CustodyPlan.id)
        .where(CustodyPlan.container_number == container_number, CustodyPlan.state.in_(HOLD_STATES))
        .limit(1)
    )
    return found is not None


# -- the log ------------------------------------------------------------------------------------------------


def _canonical(entry: CustodyLogEntry) -> dict[str, Any]:
    return {
        "location": entry.location,
        "seals": list(entry.seals),
        "event_ref": entry.event_ref,
        "recorded_at": entry.recorded_at.isoformat(timespec="microseconds"),
        "detail": entry.detail,
    }


def _hash(entry: CustodyLogEntry) -> str:
    return entry_hash(
        entry.prev_hash,
        entry.seq,
        entry.at,
        entry.actor,
        entry.actor_org,
        entry.step,
        "custody_plan",
        str(entry.plan_id),
        _canonical(entry),
    )


def _append(
    session: Session,
    actor: Principal,
    plan: CustodyPlan,
    step: str,
    at: datetime,
    location: str | None,
    seals: list[str],
    event_ref: str | None,
    detail: dict[str, Any],
) -> CustodyLogEntry:
    entry = CustodyLogEntry(
        plan_id=plan.id,
        seq=plan.head_seq + 1,
        step=step,
        at=at,
        recorded_at=utcnow(),
        actor=actor.username,
        actor_org=actor.org_code,
        location=location,
        seals=[s.strip().upper() for s in seals],
        event_ref=event_ref,
        detail=json.loads(json.dumps(detail, default=str)),
        prev_hash=plan.head_hash,
        hash="",
    )
    entry.hash = _hash(entry)
    plan.log.append(entry)
    plan.head_seq, plan.head_hash = entry.seq, entry.hash
    session.flush()
    return entry


@dataclass
class ChainReport:
    plan_id: int
    entries: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_plan(*, session: Session, actor: Principal, plan_id: int) -> ChainReport:
    """Recompute the plan's chain: altered, removed, inserted or truncated entries are reported."""
    plan = _load(session, plan_id)
    check_facility(actor, plan.facility_code)
    rows = session.scalars(
        select(CustodyLogEntry).where(CustodyLogEntry.plan_id == plan_id).order_by(CustodyLogEntry.seq)
    ).all()
    problems: list[str] = []
    prev, expected = GENESIS, 1
    for e in rows:
        if e.seq != expected:
            problems.append(f"entries {expected}..{e.seq - 1} are missing")
        if e.prev_hash != prev:
            problems.append(f"entry {e.seq}: link to previous entry broken")
        if _hash(e) != e.hash:
            problems.append(f"entry {e.seq}: content does not match its hash (altered)")
        prev, expected = e.hash, e.seq + 1
    if plan.head_seq != expected - 1 or plan.head_hash != prev:
        problems.append(f"plan head says entry {plan.head_seq} but the log ends at {expected - 1}")
    return ChainReport(plan_id=plan_id, entries=len(rows), problems=problems)


# -- plans --------------------------------------------------------------------------------------------------


def _load(session: Session, plan_id: int, *, lock: bool = False) -> CustodyPlan:
    plan = session.get(CustodyPlan, plan_id, with_for_update=lock or None)
    if plan is None:
        raise NotFound(f"custody plan {plan_id} not found")
    return plan


def open_plan(
    *,
    session: Session,
    actor: Principal,
    container_number: str,
    facility_code: str,
    source: str = "manual",
    reason: str = "",
    guarded_area: str | None = None,
    hub: str | None = None,
    declaration_id: int | None = None,
    alert_id: int | None = None,
) -> CustodyPlan:
    """Put a container selected for control under a custody plan (customs only)."""
    actor.require("intel:write")
    actor.require("custody:write")
    if active_plan(session, container_number) is not None:
        raise Conflict(f"container {container_number} already has an active custody plan")
    # a reference to a record that does not exist is the caller's mistake (not the foreign key's 409)
    if missing := missing_target(session, CustodyPlan, declaration_id=declaration_id, alert_id=alert_id):
        raise NotFound(f"{missing} not found")
    now = utcnow()
    plan = CustodyPlan(
        container_number=container_number,
        declaration_id=declaration_id,
        hub=hub,
        facility_code=facility_code,
        guarded_area=guarded_area or guarded_area_of(facility_code),
        source=source,
        reason=reason,
        alert_id=alert_id,
        state="planned",
        opened_by=actor.username,
        opened_at=now,
        head_seq=0,
        head_hash=GENESIS,
    )
    session.add(plan)
    session.flush()
    _append(session, actor, plan, "selected", now, None, [], None, {"facility": facility_code})
    audit.record(
        session=session,
        actor=actor,
        action="custody.plan_open",
        entity_type="custody_plan",
        entity_id=str(plan.id),
        detail={"container": container_number, "facility": facility_code},
    )
    return plan


def _raise_deviations(
    session: Session, actor: Principal, plan: CustodyPlan, entry: CustodyLogEntry, deviations: list[Any]
) -> list[Alert]:
    return [
        cases.raise_alert(
            session=session,
            actor=actor,
            source="custody",
            kind=d.kind,
            container_number=plan.container_number,
            declaration_id=plan.declaration_id,
            hub=plan.hub,
            severity=d.severity,
            title=f"{plan.container_number}: {d.title}",
            detail={"plan_id": plan.id, "entry": entry.seq, "step": entry.step, "location": entry.location},
        )
        for d in deviations
    ]


def record_step(
    *,
    session: Session,
    actor: Principal,
    plan_id: int,
    step: str,
    at: datetime | None = None,
    location: str | None = None,
    seals: list[str] | None = None,
    event_ref: str | None = None,
    detail: dict[str, Any] | None = None,
) -> tuple[CustodyLogEntry, list[Alert]]:
    """Append a step to the plan's log, move the plan on, and raise an alert for every deviation at once."""
    if step not in STEPS or step == "selected":
        raise ValidationFailed(f"unknown custody step {step!r}")
    plan = _load(session, plan_id, lock=True)
    check_facility(actor, plan.facility_code, write=True)
    if step in GOVERNMENT_STEPS and not actor.is_government:
        raise PermissionDenied(f"only customs may record {step}")
    at = at or utcnow()
    # Selection may come after discharge (a scan difference on arrival): order is judged between steps.
    last_at = max((e.at for e in plan.log if e.step != "selected"), default=None)
    state, deviations = apply_step(plan.state, step, location, plan.guarded_area)
    if last_at is not None and at < last_at - timedelta(minutes=5):
        deviations.append(Deviation("custody.out_of_order", 2, f"{step} dated before the previous step"))
    before = plan.state
    entry = _append(
        session,
        actor,
        plan,
        step,
        at,
        location,
        seals or [],
        event_ref,
        {**(detail or {}), "state": [before, state], "deviations": [d.kind for d in deviations]},
    )
    plan.state = state
    if location and location != plan.location:
        plan.location, plan.location_since = location, at
    if state in ("released", "seized", "cancelled") and plan.closed_at is None:
        plan.closed_at = at
    session.flush()
    return entry, _raise_deviations(session, actor, plan, entry, deviations)


def _event_location(event: ContainerEvent) -> str | None:
    place = (event.payload or {}).get("eventLocation") or {}
    name = place.get("locationName") if isinstance(place, dict) else None
    return str(name) if name else event.facility_code


def sync_events(*, session: Session, actor: Principal, plan_id: int) -> list[Alert]:
    """Apply the container's DCSA events since the plan opened, in event-time order, each once."""
    plan = _load(session, plan_id)
    check_facility(actor, plan.facility_code, write=True)
    seen = {e.event_ref for e in plan.log if e.event_ref}
    events = session.scalars(
        select(ContainerEvent)
        .where(
            ContainerEvent.equipment_reference == plan.container_number,
            ContainerEvent.event_classifier == "ACT",
            ContainerEvent.event_datetime >= plan.opened_at - timedelta(days=2),
        )
        .order_by(ContainerEvent.event_datetime, ContainerEvent.id)
    ).all()
    alerts: list[Alert] = []
    for ev in events:
        if ev.event_id in seen or plan.state not in ACTIVE_STATES | {"released"}:
            continue
        location = _event_location(ev)
        step = step_for_event(ev.type_code, location, plan.guarded_area)
        if step in GOVERNMENT_STEPS and not actor.is_government:
            step = "moved"  # a terminal's INSP event is recorded as a position, not as a customs decision
        _entry, raised = record_step(
            session=session,
            actor=actor,
            plan_id=plan.id,
            step=step,
            at=ev.event_datetime,
            location=location,
            seals=list(ev.seals or []),
            event_ref=ev.event_id,
            detail={"type_code": ev.type_code},
        )
        alerts.extend(raised)
    return alerts


def check_dwell(
    *, session: Session, actor: Principal, now: datetime | None = None, tolerance: timedelta = DWELL_TOLERANCE
) -> list[Alert]:
    """Raise an alert for every container under control that stands outside the guarded area too long."""
    actor.require("custody:write")
    now = now or utcnow()
    plans = session.scalars(select(CustodyPlan).where(CustodyPlan.state.in_(("discharged", "guarded")))).all()
    alerts = []
    for plan in plans:
        since = plan.location_since or plan.opened_at
        if plan.location == plan.guarded_area or now - since <= tolerance:
            continue
        alerts.append(
            cases.raise_alert(
                session=session,
                actor=actor,
                source="custody",
                kind="custody.dwell_unguarded",
                container_number=plan.container_number,
                hub=plan.hub,
                severity=3,
                title=f"{plan.container_number}: {int((now - since).total_seconds() // 60)} min outside the "
                "guarded area",
                detail={"plan_id": plan.id, "location": plan.location, "since": since.isoformat()},
            )
        )
    return alerts


def get_plan(*, session: Session, actor: Principal, plan_id: int) -> CustodyPlan:
    plan = _load(session, plan_id)
    check_facility(actor, plan.facility_code)
    audit.record(
        session=session,
        actor=actor,
        action="custody.plan_read",
        entity_type="custody_plan",
        entity_id=str(plan_id),
    )
    return plan


def plans_for_container(*, session: Session, actor: Principal, container_number: str) -> list[CustodyPlan]:
    """Plans of a container that this actor may see (a terminal: only those at its facility)."""
    actor.require("custody:read")
    plans = session.scalars(
        select(CustodyPlan).where(CustodyPlan.container_number == container_number).order_by(CustodyPlan.id)
    ).all()
    visible = []
    for plan in plans:
        try:
            check_facility(actor, plan.facility_code)
        except PermissionDenied:
            continue
        visible.append(plan)
    if plans and not visible:
        raise PermissionDenied(f"{actor.username} may not see custody of {container_number}")
    return visible


def conclude_plan(
    *, session: Session, actor: Principal, container_number: str, outcome: str, detail: dict[str, Any]
) -> CustodyPlan | None:
    """Close the container's active plan after the inspection: 'released' or 'seized'."""
    plan = active_plan(session, container_number)
    if plan is None:
        return None
    record_step(session=session, actor=actor, plan_id=plan.id, step=outcome, detail=detail)
    return plan


def facilities_under_control(*, session: Session, actor: Principal) -> list[tuple[str, int]]:
    """Terminals with containers under control and how many (government only: it is the national picture)."""
    actor.require("intel:read")
    rows = session.execute(
        select(CustodyPlan.facility_code, func.count())
        .where(CustodyPlan.state.in_(ACTIVE_STATES))
        .group_by(CustodyPlan.facility_code)
        .order_by(CustodyPlan.facility_code)
    )
    return [(str(f), int(n)) for f, n in rows]


@dataclass
class BoardRow:
    plan_id: int
    container_number: str
    state: str
    location: str | None
    in_guarded_area: bool
    since: datetime
    dwell_minutes: int
    open_alerts: int | None  # None for terminals: alerts are intelligence


def board(
    *, session: Session, actor: Principal, facility_code: str, now: datetime | None = None
) -> list[BoardRow]:
    """The guarded-area board of one terminal: containers under control, their state and dwell."""
    check_facility(actor, facility_code)
    now = now or utcnow()
    plans = session.scalars(
        select(CustodyPlan)
        .where(CustodyPlan.facility_code == facility_code, CustodyPlan.state.in_(ACTIVE_STATES))
        .order_by(CustodyPlan.opened_at)
    ).all()
    counts: dict[str, int] = {}
    if actor.can("intel:read") and plans:
        for number in session.scalars(
            select(Alert.container_number).where(
                Alert.container_number.in_([p.container_number for p in plans]),
                Alert.status.in_(("new", "triaged", "linked")),
            )
        ):
            counts[number or ""] = counts.get(number or "", 0) + 1
    rows = []
    for p in plans:
        since = p.location_since or p.opened_at
        rows.append(
            BoardRow(
                plan_id=p.id,
                container_number=p.container_number,
                state=p.state,
                location=p.location,
                in_guarded_area=p.location == p.guarded_area,
                since=since,
                dwell_minutes=max(0, int((now - since).total_seconds() // 60)),
                open_alerts=counts.get(p.container_number, 0) if actor.can("intel:read") else None,
            )
        )
    audit.record(
        session=session,
        actor=actor,
        action="custody.board_read",
        entity_type="facility",
        entity_id=facility_code,
    )
    return rows
