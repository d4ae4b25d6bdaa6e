"""The one alert queue of every module, and the cases analysts build from it. Callers own the transaction.

Any authenticated module may *raise* an alert (a terminal's gate check raises release-fraud alerts), but only
government users with ``intel:read``/``intel:write`` may see or work the queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.cases.models import Alert, Case
from mainport.cases.workflow import OPEN_ALERT_STATES, OPEN_CASE_STATES, check_alert, check_case
from mainport.database import chunks, utcnow
from mainport.database.core import missing_target
from mainport.errors import Conflict, NotFound, ValidationFailed
from mainport.identity import policy
from mainport.identity.principal import Principal

SOURCES = frozenset(
    {
        "targeting",
        "imaging",
        "custody",
        "release",
        "seal",
        "insider",
        "manual",
        "monitoring",
        "origin",
        "federation",
    }
)
MIN_SEVERITY, MAX_SEVERITY = 1, 4


def _dedup_key(container_number: str | None, kind: str, key: str | None) -> str:
    return f"{container_number or '-'}|{kind}|{key or ''}"[:200]


def _lock_key(session: Session, key: str) -> None:
    # Two workers raising the same signal at once must not create two open alerts (PostgreSQL only;
    # SQLite serialises writers).
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


def raise_alert(
    *,
    session: Session,
    actor: Principal,
    source: str,
    kind: str,
    container_number: str | None = None,
    declaration_id: int | None = None,
    hub: str | None = None,
    severity: int = 2,
    title: str,
    detail: dict[str, Any] | None = None,
    dedup_key: str | None = None,
) -> Alert:
    """Put a signal in the queue; a repeat of an open alert (same container, kind, key) is counted again."""
    if source not in SOURCES:
        raise ValidationFailed(f"unknown alert source {source!r}; known: {', '.join(sorted(SOURCES))}")
    if not MIN_SEVERITY <= severity <= MAX_SEVERITY:
        raise ValidationFailed(f"severity must be {MIN_SEVERITY}..{MAX_SEVERITY}, got {severity}")
    if not kind or len(kind) > 64:
        raise ValidationFailed("alert kind must be 1..64 characters")
    if missing := missing_target(session, Alert, declaration_id=declaration_id):
        raise NotFound(f"{missing} not found")  # the caller's mistake, not the foreign key's 409 on insert
    key = _dedup_key(container_number, kind, dedup_key)
    _lock_key(session, key)
    existing = session.scalar(
        select(Alert)
        .where(Alert.dedup_key == key, Alert.status.in_(OPEN_ALERT_STATES))
        .order_by(Alert.id.desc())
        .limit(1)
    )
    now = utcnow()
    if existing is not None:
        existing.occurrences += 1
        existing.severity = max(existing.severity, severity)
        existing.updated_at = now
        if detail:
            existing.detail = {**existing.detail, "last": detail}
        if existing.case_id is not None:
            case = session.get(Case, existing.case_id)
            if case is not None:
                case.severity = max(case.severity, existing.severity)
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action="alert.repeat",
            entity_type="alert",
            entity_id=str(existing.id),
            detail={"occurrences": existing.occurrences, "severity": severity},
        )
        return existing
    alert = Alert(
        source=source,
        kind=kind,
        severity=severity,
        container_number=container_number,
        declaration_id=declaration_id,
        hub=hub,
        title=title[:300],
        detail=detail or {},
        dedup_key=key,
        raised_at=now,
        updated_at=now,
    )
    session.add(alert)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="alert.raise",
        entity_type="alert",
        entity_id=str(alert.id),
        detail={"source": source, "kind": kind, "container": container_number, "severity": severity},
    )
    return alert


def _filtered(
    status: str | None,
    source: str | None,
    hub: str | None,
    container_number: str | None,
    min_severity: int | None,
) -> Any:
    query = select(Alert)
    if status == "open":
        query = query.where(Alert.status.in_(("new", "triaged")))
    elif status:
        query = query.where(Alert.status == status)
    if source:
        query = query.where(Alert.source == source)
    if hub:
        query = query.where(Alert.hub == hub)
    if container_number:
        query = query.where(Alert.container_number == container_number)
    if min_severity:
        query = query.where(Alert.severity >= min_severity)
    return query


def list_alerts(
    *,
    session: Session,
    actor: Principal,
    status: str | None = "open",
    source: str | None = None,
    hub: str | None = None,
    container_number: str | None = None,
    min_severity: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Alert]:
    """The queue, most severe and newest first. ``status='open'`` means new or triaged; None means all."""
    actor.require("intel:read")
    query = _filtered(status, source, hub, container_number, min_severity)
    query = query.order_by(Alert.severity.desc(), Alert.updated_at.desc(), Alert.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def count_alerts(
    *,
    session: Session,
    actor: Principal,
    status: str | None = "open",
    source: str | None = None,
    hub: str | None = None,
    container_number: str | None = None,
    min_severity: int | None = None,
) -> int:
    actor.require("intel:read")
    query = _filtered(status, source, hub, container_number, min_severity)
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def get_alert(*, session: Session, actor: Principal, alert_id: int) -> Alert:
    actor.require("intel:read")
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    return alert


def _move_alert(
    session: Session, actor: Principal, alert: Alert, target: str, detail: dict[str, Any]
) -> None:
    check_alert(alert.status, target)
    before = alert.status
    alert.status = target
    alert.updated_at = utcnow()
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=f"alert.{target}",
        entity_type="alert",
        entity_id=str(alert.id),
        detail={"from": before, **detail},
    )


def triage_alert(
    *, session: Session, actor: Principal, alert_id: int, severity: int | None = None, note: str = ""
) -> Alert:
    """An analyst has looked at the alert: confirm or change its severity and leave a note."""
    actor.require("intel:write")
    alert = get_alert(session=session, actor=actor, alert_id=alert_id)
    if severity is not None:
        if not MIN_SEVERITY <= severity <= MAX_SEVERITY:
            raise ValidationFailed(f"severity must be {MIN_SEVERITY}..{MAX_SEVERITY}")
        alert.severity = severity
    alert.triaged_by = actor.username
    if note:
        alert.note = note
    _move_alert(session, actor, alert, "triaged", {"severity": alert.severity, "note": note})
    return alert


def dismiss_alert(*, session: Session, actor: Principal, alert_id: int, reason: str) -> Alert:
    actor.require("intel:write")
    if not reason.strip():
        raise ValidationFailed("a reason is needed to dismiss an alert")
    alert = get_alert(session=session, actor=actor, alert_id=alert_id)
    alert.triaged_by = actor.username
    alert.note = reason
    _move_alert(session, actor, alert, "dismissed", {"reason": reason})
    return alert


def get_case(*, session: Session, actor: Principal, case_id: int) -> Case:
    actor.require("intel:read")
    policy.require_category(actor, "cases", "read")  # an agreement for cases, not only for intelligence
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} not found")
    audit.record(session=session, actor=actor, action="case.read", entity_type="case", entity_id=str(case_id))
    return case


def list_cases(
    *, session: Session, actor: Principal, status: str | None = None, limit: int = 100, offset: int = 0
) -> list[Case]:
    actor.require("intel:read")
    policy.require_category(actor, "cases", "read")
    query = select(Case)
    if status == "open":
        query = query.where(Case.status.in_(OPEN_CASE_STATES))
    elif status:
        query = query.where(Case.status == status)
    return list(session.scalars(query.order_by(Case.id.desc()).limit(limit).offset(offset)))


def _load_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} not found")
    return case


def _move_case(session: Session, actor: Principal, case: Case, target: str, detail: dict[str, Any]) -> None:
    check_case(case.status, target)
    before = case.status
    case.status = target
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=f"case.{target}",
        entity_type="case",
        entity_id=str(case.id),
        detail={"from": before, **detail},
    )


def _attach(session: Session, actor: Principal, case: Case, alerts: Iterable[Alert]) -> None:
    for alert in alerts:
        if alert.case_id is not None:
            raise Conflict(f"alert {alert.id} is already in case {alert.case_id}")
        check_alert(alert.status, "linked")
        alert.case_id = case.id
        case.severity = max(case.severity, alert.severity)
        if case.container_number is None:
            case.container_number = alert.container_number
        if case.hub is None:
            case.hub = alert.hub
        _move_alert(session, actor, alert, "linked", {"case_id": case.id})


def open_case(
    *,
    session: Session,
    actor: Principal,
    alert_ids: list[int],
    title: str,
    assignee: str | None = None,
    notes: str = "",
) -> Case:
    """Open a case from one or more alerts (all linked to it); with an assignee it starts investigating."""
    actor.require("intel:write")
    policy.require_category(actor, "cases", "write")
    if not alert_ids:
        raise ValidationFailed("a case is opened from at least one alert")
    if not title.strip():
        raise ValidationFailed("a case needs a title")
    alerts = [get_alert(session=session, actor=actor, alert_id=i) for i in dict.fromkeys(alert_ids)]
    containers = {a.container_number for a in alerts if a.container_number}
    case = Case(
        title=title.strip()[:300],
        container_number=containers.pop() if len(containers) == 1 else None,
        hub=next((a.hub for a in alerts if a.hub), None),
        severity=max(a.severity for a in alerts),
        notes=notes,
        opened_by=actor.username,
        opened_at=utcnow(),
    )
    session.add(case)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="case.open",
        entity_type="case",
        entity_id=str(case.id),
        detail={"alerts": [a.id for a in alerts], "title": case.title},
    )
    _attach(session, actor, case, alerts)
    if assignee:
        assign_case(session=session, actor=actor, case_id=case.id, assignee=assignee)
    return case


def link_alert(*, session: Session, actor: Principal, case_id: int, alert_id: int) -> Alert:
    actor.require("intel:write")
    case = _load_case(session, case_id)
    if case.status not in OPEN_CASE_STATES:
        raise Conflict(f"case {case_id} is {case.status}; it takes no more alerts")
    alert = get_alert(session=session, actor=actor, alert_id=alert_id)
    _attach(session, actor, case, [alert])
    return alert


def assign_case(*, session: Session, actor: Principal, case_id: int, assignee: str) -> Case:
    """Give the case to an analyst; an open case starts investigating, a later one is reassigned."""
    actor.require("intel:write")
    if not assignee.strip():
        raise ValidationFailed("assignee is empty")
    case = _load_case(session, case_id)
    if case.status == "closed":
        raise Conflict(f"case {case_id} is closed")
    before = case.assignee
    case.assignee = assignee.strip()[:64]
    if case.status == "open":
        _move_case(session, actor, case, "investigating", {"assignee": case.assignee})
    else:
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action="case.assign",
            entity_type="case",
            entity_id=str(case.id),
            detail={"from": before, "to": case.assignee},
        )
    return case


def attach_outcome(
    *,
    session: Session,
    actor: Principal,
    case_id: int,
    inspection_id: int,
    result: str,
    kg_seized: float = 0.0,
    modus_operandi: str | None = None,
    notes: str = "",
) -> Case:
    """The case learns its outcome: the inspection (written by shipments, see ``flows.record_outcome``) and
    what it found; the case moves to 'decided'."""
    actor.require("intel:write")
    case = _load_case(session, case_id)
    check_case(case.status, "decided")
    case.outcome = result
    case.kg_seized = kg_seized
    case.modus_operandi = modus_operandi
    case.inspection_id = inspection_id
    if notes:
        case.notes = f"{case.notes}\n{notes}".strip()
    _move_case(
        session,
        actor,
        case,
        "decided",
        {
            "result": result,
            "kg_seized": kg_seized,
            "modus_operandi": modus_operandi,
            "inspection_id": inspection_id,
        },
    )
    return case


def load_case_for_outcome(*, session: Session, actor: Principal, case_id: int) -> Case:
    """The case an outcome is about, checked before anything is written: it must still be able to move to
    'decided'."""
    actor.require("intel:write")
    case = _load_case(session, case_id)
    check_case(case.status, "decided")
    return case


def undecided_cases(
    *, session: Session, actor: Principal, container_numbers: Iterable[str]
) -> dict[str, int]:
    """Container -> the newest case about it still waiting for an outcome (open or investigating)."""
    actor.require("intel:read")
    out: dict[str, int] = {}
    for chunk in chunks(sorted(set(container_numbers))):
        for number, case_id in session.execute(
            select(Case.container_number, Case.id)
            .where(Case.container_number.in_(chunk), Case.status.in_(("open", "investigating")))
            .order_by(Case.id)
        ):
            if number is not None:  # the filter says it is not; the column type cannot
                out[number] = case_id
    return out


def close_case(*, session: Session, actor: Principal, case_id: int, notes: str = "") -> Case:
    """Close the case and its alerts; a case closed without an outcome is recorded as 'no_action'."""
    actor.require("intel:write")
    case = _load_case(session, case_id)
    check_case(case.status, "closed")
    if case.outcome is None:
        case.outcome = "no_action"
    if notes:
        case.notes = f"{case.notes}\n{notes}".strip()
    case.closed_at = utcnow()
    _move_case(session, actor, case, "closed", {"outcome": case.outcome})
    for alert in case.alerts:
        if alert.status == "linked":
            _move_alert(session, actor, alert, "closed", {"case_id": case.id})
    return case
