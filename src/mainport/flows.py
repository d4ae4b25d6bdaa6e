"""Workflows that span domains, as explicit steps: selection -> alert + custody plan; alert -> case;
outcome -> inspection/seizure (feedback to targeting and monitoring) + custody conclusion -> closed case.

Each step calls one domain's service; the state machines themselves live in ``cases.workflow`` and
``custody.steps``. Callers own the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from mainport.cases import service as cases
from mainport.cases.models import Alert, Case
from mainport.custody import service as custody
from mainport.custody.models import CustodyPlan
from mainport.identity.principal import Principal


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
    """Record the outcome (Inspection, Seizure when found) and conclude the container's custody plan:
    seized when found, released otherwise (which lifts the customs hold at the gate). `inspected_at`: when
    the search was made (default now)."""
    case = cases.record_outcome(
        session=session,
        actor=actor,
        case_id=case_id,
        result=result,
        kg_seized=kg_seized,
        modus_operandi=modus_operandi,
        notes=notes,
        inspected_at=inspected_at,
    )
    if case.container_number:
        custody.conclude_plan(
            session=session,
            actor=actor,
            container_number=case.container_number,
            outcome="seized" if result == "found" else "released",
            detail={"case_id": case.id, "inspection_id": case.inspection_id, "kg": kg_seized},
        )
    return case


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
