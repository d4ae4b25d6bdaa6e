"""Pages: the alert queue (triage, dismiss, open a case) and the case page (journey, custody, outcome)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from mainport import flows
from mainport.api.deps import CurrentUser, SessionDep
from mainport.cases import service
from mainport.custody import service as custody
from mainport.errors import NotFound
from mainport.shipments import service as shipments
from mainport.web.templating import add_nav, add_template_dir, render

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")
add_nav("Alerts", "/alerts", "intel:read")
PAGE_SIZE = 50


def _back(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


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
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    filters: dict[str, Any] = dict(
        status=None if status == "all" else status,
        source=source or None,
        hub=hub or None,
        container_number=container or None,
        min_severity=min_severity,
    )
    rows = service.list_alerts(session=session, actor=principal, limit=PAGE_SIZE, offset=offset, **filters)
    total = service.count_alerts(session=session, actor=principal, **filters)
    cases = service.list_cases(session=session, actor=principal, status="open", limit=200)
    ctx = {
        "rows": rows,
        "total": total,
        "cases": cases,
        "offset": offset,
        "size": PAGE_SIZE,
        "f": {
            "status": status,
            "source": source or "",
            "hub": hub or "",
            "container": container or "",
            "min_severity": min_severity or "",
        },
    }
    return render(request, "cases/alerts.html", ctx, principal=principal)


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
