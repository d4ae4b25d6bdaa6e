"""Lists of alerts and cases with filters, a chosen sort and a text search (title, container, notes,
assignee); reads audited. Government users with ``intel:read`` only, like the queue itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.cases.models import Alert, Case
from mainport.cases.workflow import OPEN_CASE_STATES
from mainport.database.sorting import Sort, like_term, paged
from mainport.identity.principal import Principal

CASE_SORTS: dict[str, Any] = {
    "id": Case.id,
    "opened_at": Case.opened_at,
    "severity": Case.severity,
    "status": Case.status,
    "hub": Case.hub,
    "container": Case.container_number,
    "assignee": Case.assignee,
    "kg_seized": Case.kg_seized,
}
ALERT_SORTS: dict[str, Any] = {
    "severity": Alert.severity,
    "raised_at": Alert.raised_at,
    "updated_at": Alert.updated_at,
    "source": Alert.source,
    "hub": Alert.hub,
    "container": Alert.container_number,
    "occurrences": Alert.occurrences,
}


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = "open"  # open = open or investigating or decided; None = all
    hub: str | None = None
    assignee: str | None = None
    container: str | None = None
    q: str | None = None


def _text(q: str | None, *columns: Any) -> Any:
    term = like_term(q)
    if term is None:
        return None
    return or_(*(func.lower(c).contains(term.lower(), autoescape=True) for c in columns))


def _cases_query(f: CaseFilter) -> Any:
    query = select(Case)
    if f.status == "open":
        query = query.where(Case.status.in_(OPEN_CASE_STATES))
    elif f.status:
        query = query.where(Case.status == f.status)
    if f.hub:
        query = query.where(Case.hub == f.hub)
    if f.assignee:
        query = query.where(Case.assignee == f.assignee.strip())
    if f.container:
        query = query.where(Case.container_number == f.container.strip().upper().replace(" ", ""))
    matched = _text(f.q, Case.title, Case.container_number, Case.notes, Case.assignee, Case.opened_by)
    return query if matched is None else query.where(matched)


def search_cases(
    *, session: Session, actor: Principal, f: CaseFilter, sort: Sort, limit: int = 50, offset: int = 0
) -> tuple[list[Case], int]:
    actor.require("intel:read")
    rows, total = paged(session, _cases_query(f), sort, CASE_SORTS, Case.id, limit, offset)
    audit.record(
        session=session,
        actor=actor,
        action="case.search",
        entity_type="case",
        entity_id="*",
        detail={**{k: v for k, v in vars(f).items() if v}, "sort": sort.param, "returned": len(rows)},
    )
    return rows, total


@dataclass(frozen=True)
class AlertFilter:
    status: str | None = "open"  # open = new or triaged; None = all
    source: str | None = None
    hub: str | None = None
    container: str | None = None
    min_severity: int | None = None
    q: str | None = None


def _alerts_query(f: AlertFilter) -> Any:
    query = select(Alert)
    if f.status == "open":
        query = query.where(Alert.status.in_(("new", "triaged")))
    elif f.status:
        query = query.where(Alert.status == f.status)
    if f.source:
        query = query.where(Alert.source == f.source)
    if f.hub:
        query = query.where(Alert.hub == f.hub)
    if f.container:
        query = query.where(Alert.container_number == f.container.strip().upper().replace(" ", ""))
    if f.min_severity:
        query = query.where(Alert.severity >= f.min_severity)
    matched = _text(f.q, Alert.title, Alert.kind, Alert.container_number, Alert.note)
    return query if matched is None else query.where(matched)


def search_alerts(
    *, session: Session, actor: Principal, f: AlertFilter, sort: Sort, limit: int = 50, offset: int = 0
) -> tuple[list[Alert], int]:
    actor.require("intel:read")
    rows, total = paged(session, _alerts_query(f), sort, ALERT_SORTS, Alert.id, limit, offset)
    audit.record(
        session=session,
        actor=actor,
        action="alert.search",
        entity_type="alert",
        entity_id="*",
        detail={**{k: v for k, v in vars(f).items() if v}, "sort": sort.param, "returned": len(rows)},
    )
    return rows, total
