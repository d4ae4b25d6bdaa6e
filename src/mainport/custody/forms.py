"""Pages with forms for custody work: a custody plan (its tamper-evident log, chain check and the next step)
opened from a container, and release rights (look up, issue, nominate, revoke). Rights and rules are the
services' (custody.service, custody.release); a refused or wrong entry comes back on the page in one line."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.custody import release, service
from mainport.custody.steps import GOVERNMENT_STEPS, STEPS
from mainport.errors import MainportError, ValidationFailed
from mainport.identity.models import OrgKind
from mainport.identity.principal import Principal
from mainport.web.fields import moment
from mainport.web.templating import render

router = APIRouter(include_in_schema=False)


def _next_steps(principal: Principal, state: str) -> list[str]:
    """Steps the plan's state allows now and this user may record (customs-only steps for government)."""
    return [
        step
        for step, (states, _to) in STEPS.items()
        if step != "selected"
        and state in states
        and (principal.is_government or step not in GOVERNMENT_STEPS)
    ]


def _plan_page(
    request: Request,
    session: Any,
    principal: Principal,
    plan_id: int,
    *,
    error: str = "",
    status_code: int = 200,
) -> Response:
    plan = service.get_plan(session=session, actor=principal, plan_id=plan_id)
    chain = service.verify_plan(session=session, actor=principal, plan_id=plan_id)
    ctx = {
        "plan": plan,
        "chain": chain,
        "steps": _next_steps(principal, plan.state) if principal.can("custody:write") else [],
        "error": error,
        "intel": principal.can("intel:read"),
    }
    return render(request, "custody/plan.html", ctx, principal=principal, status_code=status_code)


@router.get("/custody/plans/{plan_id}")
def plan_page(plan_id: int, request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    return _plan_page(request, session, principal, plan_id)


@router.post("/custody/plans")
def open_plan(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    container_number: Annotated[str, Form(max_length=11)],
    facility_code: Annotated[str, Form(max_length=16)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    plan = service.open_plan(
        session=session,
        actor=principal,
        container_number=container_number.strip().upper(),
        facility_code=facility_code.strip().upper(),
        reason=reason,
        source="manual",
    )
    return RedirectResponse(f"/custody/plans/{plan.id}", status_code=303)


@router.post("/custody/plans/{plan_id}/steps")
def record_step(
    plan_id: int,
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    step: Annotated[str, Form(max_length=32)],
    location: Annotated[str, Form(max_length=64)] = "",
    seals: Annotated[str, Form(max_length=500)] = "",
    at: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        service.record_step(
            session=session,
            actor=principal,
            plan_id=plan_id,
            step=step,
            at=moment(at, "time"),
            location=location.strip() or None,
            seals=[s.strip() for s in seals.split(",") if s.strip()] or None,
            detail={"note": note} if note.strip() else None,
        )
    except ValidationFailed as exc:
        return _plan_page(request, session, principal, plan_id, error=exc.message, status_code=422)
    return RedirectResponse(f"/custody/plans/{plan_id}", status_code=303)


# -- release rights -----------------------------------------------------------------------------------------


def _release_page(
    request: Request,
    session: Any,
    principal: Principal,
    container: str,
    *,
    error: str = "",
    token: str | None = None,
    status_code: int = 200,
) -> Response:
    rights = (
        release.lookup_rights(session=session, actor=principal, container_number=container)
        if container
        else []
    )
    ctx = {
        "container": container,
        "rights": rights,
        "error": error,
        "token": token,
        "may_issue": principal.org_kind == OrgKind.shipping_line and principal.can("custody:write"),
        "may_write": principal.can("custody:write"),
    }
    return render(request, "custody/release.html", ctx, principal=principal, status_code=status_code)


def _box(value: str | None) -> str:
    return (value or "").strip().upper().replace(" ", "")[:11]


@router.get("/release")
def release_page(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    container: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    principal.require("custody:read")
    return _release_page(request, session, principal, _box(container))


@router.post("/release/issue")
def issue(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    container_number: Annotated[str, Form(max_length=20)],
    facility_code: Annotated[str, Form(max_length=16)],
    release_party: Annotated[str, Form(max_length=32)],
    expires_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    box = _box(container_number)
    try:
        release.issue_right(
            session=session,
            actor=principal,
            container_number=box,
            facility_code=facility_code.strip().upper(),
            release_party=release_party.strip(),
            expires_at=moment(expires_at, "expires"),
        )
    except MainportError as exc:
        if exc.status_code == 403:
            raise
        return _release_page(request, session, principal, box, error=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"/release?container={box}", status_code=303)


@router.post("/release/{right_id}/nominate")
def nominate(
    right_id: int,
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    nominee: Annotated[str, Form(max_length=64)],
    container: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        right, token = release.nominate(session=session, actor=principal, right_id=right_id, nominee=nominee)
    except MainportError as exc:
        if exc.status_code == 403:
            raise
        box = _box(container)
        return _release_page(request, session, principal, box, error=exc.message, status_code=exc.status_code)
    if token is None:
        return RedirectResponse(f"/release?container={right.container_number}", status_code=303)
    # The driver's signed token is shown once, here: it is not stored and cannot be shown again.
    return _release_page(request, session, principal, right.container_number, token=token)


@router.post("/release/{right_id}/revoke")
def revoke(
    right_id: int,
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    reason: Annotated[str, Form(max_length=200)],
    container: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        right = release.revoke_right(session=session, actor=principal, right_id=right_id, reason=reason)
    except MainportError as exc:
        if exc.status_code == 403:
            raise
        box = _box(container)
        return _release_page(request, session, principal, box, error=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"/release?container={right.container_number}", status_code=303)
