"""Alert queue and case workflow over HTTP; thin: parse, call the service or flow, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from mainport import flows
from mainport.api.deps import CurrentUser, SessionDep
from mainport.api.pagination import Page, PageDep
from mainport.cases import service
from mainport.cases.schemas import (
    AlertIn,
    AlertOut,
    AssignIn,
    CaseIn,
    CaseOut,
    CloseIn,
    DismissIn,
    LinkIn,
    OutcomeIn,
    TriageIn,
)

router = APIRouter(tags=["cases"])


@router.get("/alerts", response_model=Page[AlertOut])
def list_alerts(
    session: SessionDep,
    principal: CurrentUser,
    page: PageDep,
    status: Annotated[str | None, Query(description="open (new+triaged), a status, or 'all'")] = "open",
    source: str | None = None,
    hub: str | None = None,
    container_number: str | None = None,
    min_severity: Annotated[int | None, Query(ge=1, le=4)] = None,
) -> Page[AlertOut]:
    filters: dict[str, Any] = dict(
        status=None if status == "all" else status,
        source=source,
        hub=hub,
        container_number=container_number,
        min_severity=min_severity,
    )
    items = service.list_alerts(
        session=session, actor=principal, limit=page.limit, offset=page.offset, **filters
    )
    total = service.count_alerts(session=session, actor=principal, **filters)
    return Page[AlertOut](
        items=[AlertOut.model_validate(a) for a in items], total=total, limit=page.limit, offset=page.offset
    )


@router.post("/alerts", response_model=AlertOut, status_code=201)
def raise_alert(body: AlertIn, session: SessionDep, principal: CurrentUser) -> AlertOut:
    # Over HTTP only intelligence users raise alerts by hand; modules call the service directly.
    principal.require("intel:write")
    alert = service.raise_alert(session=session, actor=principal, **body.model_dump())
    return AlertOut.model_validate(alert)


@router.post("/alerts/{alert_id}/triage", response_model=AlertOut)
def triage(alert_id: int, body: TriageIn, session: SessionDep, principal: CurrentUser) -> AlertOut:
    alert = service.triage_alert(session=session, actor=principal, alert_id=alert_id, **body.model_dump())
    return AlertOut.model_validate(alert)


@router.post("/alerts/{alert_id}/dismiss", response_model=AlertOut)
def dismiss(alert_id: int, body: DismissIn, session: SessionDep, principal: CurrentUser) -> AlertOut:
    alert = service.dismiss_alert(session=session, actor=principal, alert_id=alert_id, reason=body.reason)
    return AlertOut.model_validate(alert)


@router.get("/cases", response_model=list[CaseOut])
def list_cases(
    session: SessionDep, principal: CurrentUser, page: PageDep, status: str | None = "open"
) -> list[CaseOut]:
    items = service.list_cases(
        session=session, actor=principal, status=status, limit=page.limit, offset=page.offset
    )
    return [CaseOut.model_validate(c) for c in items]


@router.post("/cases", response_model=CaseOut, status_code=201)
def open_case(body: CaseIn, session: SessionDep, principal: CurrentUser) -> CaseOut:
    case = flows.open_case_from_alerts(session=session, actor=principal, **body.model_dump())
    return CaseOut.model_validate(case)


@router.get("/cases/{case_id}", response_model=CaseOut)
def get_case(case_id: int, session: SessionDep, principal: CurrentUser) -> CaseOut:
    return CaseOut.model_validate(service.get_case(session=session, actor=principal, case_id=case_id))


@router.post("/cases/{case_id}/alerts", response_model=AlertOut)
def link_alert(case_id: int, body: LinkIn, session: SessionDep, principal: CurrentUser) -> AlertOut:
    alert = service.link_alert(session=session, actor=principal, case_id=case_id, alert_id=body.alert_id)
    return AlertOut.model_validate(alert)


@router.post("/cases/{case_id}/assign", response_model=CaseOut)
def assign(case_id: int, body: AssignIn, session: SessionDep, principal: CurrentUser) -> CaseOut:
    case = service.assign_case(session=session, actor=principal, case_id=case_id, assignee=body.assignee)
    return CaseOut.model_validate(case)


@router.post("/cases/{case_id}/outcome", response_model=CaseOut)
def outcome(case_id: int, body: OutcomeIn, session: SessionDep, principal: CurrentUser) -> CaseOut:
    case = flows.record_case_outcome(session=session, actor=principal, case_id=case_id, **body.model_dump())
    return CaseOut.model_validate(case)


@router.post("/cases/{case_id}/close", response_model=CaseOut)
def close(case_id: int, body: CloseIn, session: SessionDep, principal: CurrentUser) -> CaseOut:
    case = service.close_case(session=session, actor=principal, case_id=case_id, notes=body.notes)
    return CaseOut.model_validate(case)
