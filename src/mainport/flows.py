"""Workflows that span domains, as explicit steps: selection -> alert + custody plan; a selection, scan
alert or tip that needs a physical check -> custody plan + terminal instruction before arrival; alert -> case;
outcome -> inspection/seizure (feedback to targeting and monitoring) + custody conclusion -> closed case.

Each step calls one domain's service; the state machines themselves live in ``cases.workflow`` and
``custody.steps``. Callers own the transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mainport.cases import service as cases
from mainport.cases.models import Alert, Case
from mainport.cases.workflow import OPEN_ALERT_STATES
from mainport.custody import instructions
from mainport.custody import service as custody
from mainport.custody.models import CustodyPlan
from mainport.errors import ValidationFailed
from mainport.identity.principal import Principal
from mainport.ingest import service as ingest
from mainport.insider import people
from mainport.origin import holds
from mainport.origin.models import HoldRequest
from mainport.screening import sweep, views
from mainport.screening.sweep import SweepResult
from mainport.screening.views import Timeline
from mainport.shipments import outcomes
from mainport.shipments import service as shipments
from mainport.shipments.models import Declaration, Inspection, Seizure
from mainport.targeting import outcome_links as links

# Alerts that mean "this box must be looked at physically": a targeting selection (tips arrive as selections
# with strategy tip), an origin/arrival scan difference, an origin scan read as suspicious and a hold request
# the origin port left unanswered before loading.
PHYSICAL_CHECK_KINDS = frozenset(
    {
        "selected_for_inspection",
        "scan_difference",
        "origin.suspicious_scan",
        "origin.hold_unanswered",
        "federation.high_risk_notice",
    }
)
# Look a little before the last run: alerts committed by a long selection that started before it.
PLAN_OVERLAP = timedelta(minutes=10)


def select_for_control(
    *,
    session: Session,
    actor: Principal,
    container_number: str,
    facility_code: str,
    source: str,
    reason: str,
    severity: int = 3,
    hub: str | None = None,
    declaration_id: int | None = None,
    guarded_area: str | None = None,
) -> tuple[Alert, CustodyPlan]:
    """A container selected for control (targeting, scan comparison, by hand) gets an alert in the queue and
    a custody plan that sends it straight to the guarded area and blocks its release."""
    actor.require("intel:write")
    alert = cases.raise_alert(
        session=session,
        actor=actor,
        source=source,
        kind=f"{source}.selected",
        container_number=container_number,
        declaration_id=declaration_id,
        hub=hub,
        severity=severity,
        title=f"{container_number} selected: {reason}",
        detail={"reason": reason, "facility": facility_code},
    )
    plan = custody.active_plan(session, container_number)
    if plan is None:
        plan = custody.open_plan(
            session=session,
            actor=actor,
            container_number=container_number,
            facility_code=facility_code,
            source=source,
            reason=reason,
            guarded_area=guarded_area,
            hub=hub,
            declaration_id=declaration_id,
            alert_id=alert.id,
        )
    return alert, plan


def hub_overview(*, session: Session, actor: Principal) -> dict[str, Any]:
    """The overview a person opens first: counts per hub from shipments and, where the actor may see it, the
    open quarantine from ingest (two domains, neither importing the other)."""
    data = shipments.overview(session=session, actor=actor)
    data["quarantined"] = ingest.open_quarantine_counts(session=session, actor=actor)
    return data


def screening_sweep(*, session: Session, actor: Principal, now: datetime) -> SweepResult:
    """The screening register's recurring consequences (lapsed certificates, expiry notices) and the banned
    people whose accounts still look up container data (insider's look-ups)."""
    found = sweep.sweep(session=session, actor=actor, now=now)
    found.banned_seen = people.banned_seen(session=session, actor=actor, now=now)
    return found


def person_timeline(*, session: Session, actor: Principal, alias: str, limit: int = 200) -> Timeline:
    """A person of the screening register, newest first: the register's certificates, bans, suspensions and
    gate decisions, and the account's look-ups of container data (insider's)."""
    timeline = views.timeline(session=session, actor=actor, alias=alias, limit=limit)
    if timeline.person.account:
        account = timeline.person.account
        found = people.lookup_events(session=session, actor=actor, account=account, limit=limit)
        timeline.events = sorted([*timeline.events, *found], key=lambda e: e["at"], reverse=True)[:limit]
    return timeline


def open_case_from_alerts(
    *,
    session: Session,
    actor: Principal,
    alert_ids: list[int],
    title: str,
    assignee: str | None = None,
    notes: str = "",
) -> Case:
    return cases.open_case(
        session=session, actor=actor, alert_ids=alert_ids, title=title, assignee=assignee, notes=notes
    )


@dataclass(frozen=True)
class RecordedOutcome:
    """An outcome and everything it moved: the inspection (and seizure), the selection item it closed, the
    custody plan it concluded, the case it decided."""

    inspection: Inspection
    seizure: Seizure | None
    selection_item_id: int | None
    custody_plan_id: int | None
    case_id: int | None


def record_outcome(
    *,
    session: Session,
    actor: Principal,
    result: str,
    kg: float = 0.0,
    case_id: int | None = None,
    declaration_id: int | None = None,
    kind: str | None = None,
    inspected_at: datetime | None = None,
    modus_operandi: str | None = None,
    notes: str = "",
    drug: str = "cocaine",
) -> RecordedOutcome:
    """The one way an inspection's outcome is recorded (case page and API, targeting page and API, demo):
    shipments writes the inspection and the seizure; targeting links the selection item that asked for it
    (what retraining and the hit rates learn from); custody concludes the box's plan (seized when found,
    released otherwise, which lifts the hold at the gate); the case (the one named, else the box's case
    still waiting for an outcome) moves to 'decided'. Everything is checked before anything is written."""
    actor.require("intel:write")
    if case_id is None and declaration_id is None:
        raise ValidationFailed("an outcome is about a case or a declaration: give case_id or declaration_id")
    case = cases.load_case_for_outcome(session=session, actor=actor, case_id=case_id) if case_id else None
    if case is not None and declaration_id is None:
        declaration_id = next((a.declaration_id for a in case.alerts if a.declaration_id), None)
    decl = (
        shipments.get_declaration(session=session, actor=actor, declaration_id=declaration_id)
        if declaration_id is not None
        else None
    )
    container = (case.container_number if case else None) or (decl.container_number if decl else None)
    hub = (case.hub if case else None) or (decl.hub if decl else None)
    if kind is None:
        pending = decl and links.pending_kind(session=session, actor=actor, declaration_id=decl.id)
        kind = "physical" if case is not None else pending or "scan"
    outcome = outcomes.record_outcome(
        session=session,
        actor=actor,
        container_number=container,
        declaration_id=declaration_id,
        hub=hub,
        result=result,
        kg=kg,
        kind=kind,
        inspected_at=inspected_at,
        modus_operandi=modus_operandi,
        drug=drug,
        notes=notes,
    )
    insp = outcome.inspection
    item_id = None
    if declaration_id is not None:
        linked = links.link_inspections(
            session=session,
            actor=actor,
            inspections=[links.InspectedDeclaration(insp.id, declaration_id, insp.inspected_at)],
        )
        item_id = linked.get(insp.id)
    if case is None and container:
        waiting = cases.undecided_cases(session=session, actor=actor, container_numbers=[container])
        case_id = waiting.get(container)
    if case_id is not None:
        cases.attach_outcome(
            session=session,
            actor=actor,
            case_id=case_id,
            inspection_id=insp.id,
            result=result,
            kg_seized=kg,
            modus_operandi=modus_operandi,
            notes=notes,
        )
    plan = None
    if container:
        plan = custody.conclude_plan(
            session=session,
            actor=actor,
            container_number=container,
            outcome="seized" if result == "found" else "released",
            detail={"case_id": case_id, "inspection_id": insp.id, "kg": kg},
        )
    return RecordedOutcome(insp, outcome.seizure, item_id, plan.id if plan else None, case_id)


def inspections_recorded(*, session: Session, actor: Principal, inspection_ids: list[int]) -> dict[str, int]:
    """The consequences of inspections a feed stored in bulk, the same as `record_outcome`'s: each links the
    selection item that asked for it (made for its day or earlier), decides the box's waiting case and
    concludes its custody plan. Pending results move nothing but the link. Returns what moved."""
    actor.require("intel:write")
    stored = shipments.inspections_by_id(session=session, actor=actor, inspection_ids=inspection_ids)
    linked = links.link_inspections(
        session=session,
        actor=actor,
        inspections=[
            links.InspectedDeclaration(i.id, i.declaration_id, i.inspected_at)
            for i in stored
            if i.declaration_id is not None
        ],
        selected_before=True,
    )
    decided = [i for i in stored if i.result in outcomes.RESULTS and i.container_number]
    waiting = cases.undecided_cases(
        session=session, actor=actor, container_numbers=[str(i.container_number) for i in decided]
    )
    moved = {"selection_items": len(linked), "cases": 0, "custody_plans": 0}
    for insp in sorted(decided, key=lambda i: (i.inspected_at, i.id)):
        number = str(insp.container_number)
        case_id = waiting.pop(number, None)
        if case_id is not None:
            cases.attach_outcome(
                session=session,
                actor=actor,
                case_id=case_id,
                inspection_id=insp.id,
                result=insp.result,
                kg_seized=insp.kg_found,
                notes=f"{insp.kind} inspection reported by the inspections feed",
            )
            moved["cases"] += 1
        plan = custody.conclude_plan(
            session=session,
            actor=actor,
            container_number=number,
            outcome="seized" if insp.result == "found" else "released",
            detail={"case_id": case_id, "inspection_id": insp.id, "kg": insp.kg_found, "via": "feed"},
        )
        moved["custody_plans"] += plan is not None
    return moved


def record_case_outcome(
    *,
    session: Session,
    actor: Principal,
    case_id: int,
    result: Literal["found", "not_found"],
    kg_seized: float = 0.0,
    modus_operandi: str | None = None,
    notes: str = "",
    inspected_at: datetime | None = None,
) -> Case:
    """A case's outcome (`record_outcome` with the case): `inspected_at` is when the search was made
    (default now)."""
    record_outcome(
        session=session,
        actor=actor,
        case_id=case_id,
        result=result,
        kg=kg_seized,
        modus_operandi=modus_operandi,
        notes=notes,
        inspected_at=inspected_at,
    )
    return cases.get_case(session=session, actor=actor, case_id=case_id)


def conclude_case(
    *,
    session: Session,
    actor: Principal,
    case_id: int,
    result: Literal["found", "not_found"],
    kg_seized: float = 0.0,
    modus_operandi: str | None = None,
    notes: str = "",
    inspected_at: datetime | None = None,
) -> Case:
    """Outcome and close in one go (the common path after an inspection)."""
    record_case_outcome(
        session=session,
        actor=actor,
        case_id=case_id,
        result=result,
        kg_seized=kg_seized,
        modus_operandi=modus_operandi,
        notes=notes,
        inspected_at=inspected_at,
    )
    return cases.close_case(session=session, actor=actor, case_id=case_id)


@dataclass
class PlanningRun:
    """What one pass of `plan_physical_checks` did, per reason."""

    opened: list[int] = field(default_factory=list)  # plan ids
    already_planned: int = 0
    no_terminal: int = 0
    already_left: int = 0


def plan_physical_checks(
    *, session: Session, actor: Principal, since: datetime | None = None, kinds: frozenset[str] | None = None
) -> PlanningRun:
    """Every open alert that needs a physical check gets a custody plan at the terminal its voyage's events
    name, and that terminal a discharge-to-guarded-area instruction (sent later by `dispatch`). Safe to
    re-run: an alert with a plan, or a box with an active plan, is skipped; a box that left the port already
    gets none (its discharge-without-plan alert says what went wrong)."""
    actor.require("intel:write")
    actor.require("custody:write")
    kinds = kinds or PHYSICAL_CHECK_KINDS
    query = select(Alert).where(
        Alert.kind.in_(sorted(kinds)),
        Alert.status.in_(OPEN_ALERT_STATES),
        or_(Alert.container_number.is_not(None), Alert.declaration_id.is_not(None)),
    )
    if since is not None:
        query = query.where(Alert.updated_at >= since - PLAN_OVERLAP)
    run = PlanningRun()
    planned_alerts = set(
        session.scalars(select(CustodyPlan.alert_id).where(CustodyPlan.alert_id.is_not(None)))
    )
    for alert in session.scalars(query.order_by(Alert.id)).all():
        decl = session.get(Declaration, alert.declaration_id) if alert.declaration_id else None
        # A selection's alert names its declaration; the box is the declaration's when the alert has none.
        number = alert.container_number or (decl.container_number if decl else None)
        if not number:
            continue  # air and road declarations: no container to take to a guarded area
        if alert.id in planned_alerts or custody.active_plan(session, number) is not None:
            run.already_planned += 1
            continue
        arrival = instructions.arrival_of(
            session,
            number,
            unlocode=decl.place_of_discharge if decl else None,
            vessel_imo=decl.vessel_imo if decl else None,
            voyage_number=decl.voyage_number if decl else None,
            after=decl.filed_at - timedelta(days=1) if decl else None,
        )
        if arrival.left_at is not None:
            run.already_left += 1
            continue
        if arrival.facility_code is None:
            run.no_terminal += 1
            continue
        plan = custody.open_plan(
            session=session,
            actor=actor,
            container_number=number,
            facility_code=arrival.facility_code,
            source=alert.source,
            reason=alert.title,
            hub=alert.hub or (decl.hub if decl else None),
            declaration_id=alert.declaration_id,
            alert_id=alert.id,
        )
        instructions.instruct(session=session, actor=actor, plan=plan, arrival=arrival)
        # A box discharged before its plan opened gets its log (and deviations) at once.
        custody.sync_events(session=session, actor=actor, plan_id=plan.id)
        run.opened.append(plan.id)
    return run


def answer_hold(
    *,
    session: Session,
    actor: Principal,
    hold_id: int,
    answer: str,
    kg: float = 0.0,
    note: str = "",
    answered_by: str | None = None,
) -> HoldRequest:
    """The origin port's answer to a hold request and what it moves: an inspection there (inspected or found)
    is the declaration's outcome (targeting learns from it, its selection item and custody plan close); a
    find raises a critical alert and opens a case (for the liaison and the investigators)."""
    row = holds.record_answer(
        session=session,
        actor=actor,
        hold_id=hold_id,
        answer=answer,
        kg=kg,
        note=note,
        answered_by=answered_by,
    )
    if row.inspection_id is not None or answer not in ("inspected", "found"):
        return row
    where = f"at origin {row.origin_unlocode} by {row.control_unit}"
    if row.declaration_id is not None:
        outcome = record_outcome(
            session=session,
            actor=actor,
            declaration_id=row.declaration_id,
            result="found" if answer == "found" else "not_found",
            kg=kg,
            kind="physical",
            inspected_at=row.answered_at,
            notes=f"{where}: {note}".strip()[:2000],
        )
        row.inspection_id = outcome.inspection.id
    if answer == "found":
        alert = cases.raise_alert(
            session=session,
            actor=actor,
            source="origin",
            kind="origin.found_at_origin",
            container_number=row.container_number,
            declaration_id=row.declaration_id,
            hub=row.hub,
            severity=4,
            title=f"{row.container_number}: {kg:g} kg found {where}",
            detail={"hold": row.id, "kg": kg},
        )
        row.alert_id = alert.id
        cases.open_case(
            session=session,
            actor=actor,
            alert_ids=[alert.id],
            title=f"Found at origin: {row.container_number} ({row.origin_unlocode})",
            notes=note,
        )
    session.flush()
    return row
