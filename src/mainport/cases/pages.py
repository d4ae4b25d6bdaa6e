"""Pages: the alert queue (triage, dismiss, open a case) and the case page (journey, custody, outcome)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from mainport import flows
from mainport.api.deps import CurrentUser, SessionDep
from mainport.cases import search, service
from mainport.custody import service as custody
from mainport.errors import NotFound
from mainport.reference.nodes import NODES
from mainport.shipments import service as shipments
from mainport.web.listing import CSV_LIMIT, csv_response, parse_sort
from mainport.web.listing import Query as ListQuery
from mainport.web.templating import add_nav, add_template_dir, render

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")
add_nav("Alerts", "/alerts", "intel:read", "Today")
add_nav("Cases", "/cases", "intel:read", "Today")
PAGE_SIZE = 50


def _back(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


ALERT_CSV = (
    "id",
    "severity",
    "source",
    "kind",
    "container",
    "hub",
    "title",
    "occurrences",
    "status",
    "case",
    "raised_at",
)
CASE_CSV = (
    "id",
    "title",
    "container",
    "hub",
    "status",
    "severity",
    "assignee",
    "outcome",
    "kg_seized",
    "opened_by",
    "opened_at",
    "closed_at",
)


@router.get("/alerts")
def alerts_page(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    status: Annotated[str, Query(max_length=16)] = "open",
    source: Annotated[str | None, Query(max_length=32)] = None,
    hub: Annotated[str | None, Query(max_length=32)] = None,
    container: Annotated[str | None, Query(max_length=11)] = None,
    min_severity: Annotated[int | None, Query(ge=1, le=4)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    sort: Annotated[str | None, Query(max_length=32)] = None,
    format: Annotated[str, Query(pattern="^(html|csv)$")] = "html",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    f = search.AlertFilter(
        status=None if status == "all" else status,
        source=source or None,
        hub=hub or None,
        container=container or None,
        min_severity=min_severity,
        q=q or None,
    )
    order = parse_sort(sort, list(search.ALERT_SORTS), "-severity")
    if format == "csv":
        rows, _ = search.search_alerts(session=session, actor=principal, f=f, sort=order, limit=CSV_LIMIT)
        return csv_response(
            "alerts",
            ALERT_CSV,
            (
                (
                    a.id,
                    a.severity,
                    a.source,
                    a.kind,
                    a.container_number,
                    a.hub,
                    a.title,
                    a.occurrences,
                    a.status,
                    a.case_id,
                    a.raised_at,
                )
                for a in rows
            ),
        )
    rows, total = search.search_alerts(
        session=session, actor=principal, f=f, sort=order, limit=PAGE_SIZE, offset=offset
    )
    cases = service.list_cases(session=session, actor=principal, status="open", limit=200)
    params = {
        "status": status,
        "source": source,
        "hub": hub,
        "container": container,
        "min_severity": min_severity,
        "q": q,
    }
    ctx = {
        "rows": rows,
        "total": total,
        "cases": cases,
        "offset": offset,
        "size": PAGE_SIZE,
        "query": ListQuery("/alerts", params, order),
        "f": {k: v or "" for k, v in params.items()},
    }
    return render(request, "cases/alerts.html", ctx, principal=principal)


@router.get("/cases")
def cases_page(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    status: Annotated[str, Query(max_length=16)] = "open",
    hub: Annotated[str | None, Query(max_length=32)] = None,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    container: Annotated[str | None, Query(max_length=11)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    sort: Annotated[str | None, Query(max_length=32)] = None,
    format: Annotated[str, Query(pattern="^(html|csv)$")] = "html",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    f = search.CaseFilter(
        status=None if status == "all" else status,
        hub=hub or None,
        assignee=assignee or None,
        container=container or None,
        q=q or None,
    )
    order = parse_sort(sort, list(search.CASE_SORTS), "-opened_at")
    if format == "csv":
        rows, _ = search.search_cases(session=session, actor=principal, f=f, sort=order, limit=CSV_LIMIT)
        return csv_response(
            "cases",
            CASE_CSV,
            (
                (
                    c.id,
                    c.title,
                    c.container_number,
                    c.hub,
                    c.status,
                    c.severity,
                    c.assignee,
                    c.outcome,
                    c.kg_seized,
                    c.opened_by,
                    c.opened_at,
                    c.closed_at,
                )
                for c in rows
            ),
        )
    rows, total = search.search_cases(
        session=session, actor=principal, f=f, sort=order, limit=PAGE_SIZE, offset=offset
    )
    params = {"status": status, "hub": hub, "assignee": assignee, "container": container, "q": q}
    ctx = {
        "rows": rows,
        "total": total,
        "offset": offset,
        "size": PAGE_SIZE,
        "query": ListQuery("/cases", params, order),
        "f": {k: v or "" for k, v in params.items()},
        "hubs": list(NODES),
    }
    return render(request, "cases/cases.html", ctx, principal=principal)


@router.post("/alerts/{alert_id}/triage")
def triage(
    alert_id: int,
    session: SessionDep,
    principal: CurrentUser,
    severity: Annotated[int | None, Form(ge=1, le=4)] = None,
    note: Annotated[str, Form()] = "",
) -> Response:
    service.triage_alert(session=session, actor=principal, alert_id=alert_id, severity=severity, note=note)
    return _back("/alerts")


@router.post("/alerts/{alert_id}/dismiss")
def dismiss(
    alert_id: int, session: SessionDep, principal: CurrentUser, reason: Annotated[str, Form()]
) -> Response:
    service.dismiss_alert(session=session, actor=principal, alert_id=alert_id, reason=reason)
    return _back("/alerts")


@router.post("/alerts/{alert_id}/case")
def open_case(
    alert_id: int,
    session: SessionDep,
    principal: CurrentUser,
    title: Annotated[str, Form()],
    assignee: Annotated[str, Form()] = "",
) -> Response:
    case = flows.open_case_from_alerts(
        session=session, actor=principal, alert_ids=[alert_id], title=title, assignee=assignee or None
    )
    return _back(f"/cases/{case.id}")


@router.post("/alerts/{alert_id}/link")
def link(
    alert_id: int, session: SessionDep, principal: CurrentUser, case_id: Annotated[int, Form()]
) -> Response:
    service.link_alert(session=session, actor=principal, case_id=case_id, alert_id=alert_id)
    return _back(f"/cases/{case_id}")


@router.get("/cases/{case_id}")
def case_page(case_id: int, request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    case = service.get_case(session=session, actor=principal, case_id=case_id)
    events, plans = [], []
    if case.container_number:
        try:
            events = shipments.container_journey(
                session=session, actor=principal, number=case.container_number
            ).events
        except NotFound:
            events = []
        plans = custody.plans_for_container(
            session=session, actor=principal, container_number=case.container_number
        )
    ctx = {"case": case, "events": events, "plans": plans}
    return render(request, "cases/case.html", ctx, principal=principal)


@router.post("/cases/{case_id}/assign")
def assign(
    case_id: int, session: SessionDep, principal: CurrentUser, assignee: Annotated[str, Form()]
) -> Response:
    service.assign_case(session=session, actor=principal, case_id=case_id, assignee=assignee)
    return _back(f"/cases/{case_id}")


@router.post("/cases/{case_id}/outcome")
def outcome(
    case_id: int,
    session: SessionDep,
    principal: CurrentUser,
    result: Annotated[str, Form()],
    kg_seized: Annotated[float, Form(ge=0)] = 0.0,
    modus_operandi: Annotated[str, Form(max_length=32)] = "",
    notes: Annotated[str, Form()] = "",
) -> Response:
    flows.record_case_outcome(
        session=session,
        actor=principal,
        case_id=case_id,
        result=result,  # type: ignore[arg-type]
        kg_seized=kg_seized,
        modus_operandi=modus_operandi or None,
        notes=notes,
    )
    return _back(f"/cases/{case_id}")


@router.post("/cases/{case_id}/close")
def close(
    case_id: int, session: SessionDep, principal: CurrentUser, notes: Annotated[str, Form()] = ""
) -> Response:
    service.close_case(session=session, actor=principal, case_id=case_id, notes=notes)
    return _back(f"/cases/{case_id}")
