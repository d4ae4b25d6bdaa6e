"""The account page: change your password, your sessions, your API tokens, the second factor (government)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.errors import MainportError
from mainport.identity import service, sessions, totp
from mainport.identity.principal import Principal
from mainport.web.templating import render

router = APIRouter(include_in_schema=False)
NOTICES = {
    "password": "Password changed; your other sessions have ended.",
    "sessions": "Your other sessions have ended.",
    "revoked": "Token revoked.",
    "totp_on": "Second factor on: you will be asked for a code at every log-in.",
    "totp_off": "Second factor off.",
}


def _page(
    request: Request,
    session: Any,
    principal: Principal,
    *,
    notice: str | None = None,
    error: str | None = None,
    new_token: str | None = None,
    enrolment: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    current = getattr(request.state, "user_session_id", None)
    ctx = {
        "sessions": sessions.open_sessions(session, principal.user_id),
        "current_session": current,
        "tokens": service.list_tokens(session=session, actor=principal, username=principal.username),
        "totp_offered": principal.is_government,
        "totp_on": totp.enabled(session, principal.user_id),
        "notice": notice,
        "error": error,
        "new_token": new_token,
        "enrolment": enrolment,
    }
    return render(request, "account.html", ctx, principal=principal, status_code=status_code)


def _done(what: str) -> Response:
    return RedirectResponse(f"/account?done={what}", status_code=303)


@router.get("/account")
def account(
    request: Request, session: SessionDep, principal: CurrentUser, done: str | None = None
) -> Response:
    return _page(request, session, principal, notice=NOTICES.get(done or ""))


@router.post("/account/password")
def change_password(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    current: Annotated[str, Form(max_length=1024)],
    new: Annotated[str, Form(max_length=1024)],
    repeat: Annotated[str, Form(max_length=1024)],
) -> Response:
    if new != repeat:
        return _page(request, session, principal, error="the two new passwords differ", status_code=422)
    try:
        service.change_own_password(
            session=session,
            actor=principal,
            current=current,
            new=new,
            keep_session=getattr(request.state, "user_session_id", None),
        )
    except MainportError as exc:
        return _page(request, session, principal, error=exc.message, status_code=exc.status_code)
    return _done("password")


@router.post("/account/sessions/end-others")
def end_other_sessions(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    service.end_sessions(
        session, principal.user_id, "ended_by_user", keep=getattr(request.state, "user_session_id", None)
    )
    return _done("sessions")


@router.post("/account/tokens")
def new_token(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    name: Annotated[str, Form(min_length=1, max_length=100)],
    days: Annotated[int, Form(ge=1, le=3660)] = 90,
) -> Response:
    user = service.get_user(session=session, user_id=principal.user_id)
    _token, plain = service.create_token(
        session=session, actor=principal, user=user, name=name, ttl_days=days
    )
    # Shown on this answer only (never in a URL or a log).
    return _page(request, session, principal, new_token=plain, status_code=201)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: int, session: SessionDep, principal: CurrentUser) -> Response:
    service.revoke_token(session=session, actor=principal, token_id=token_id)
    return _done("revoked")


@router.post("/account/second-factor/begin")
def begin_second_factor(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    try:
        enrolment = totp.begin(session=session, actor=principal)
    except MainportError as exc:
        return _page(request, session, principal, error=exc.message, status_code=exc.status_code)
    return _page(request, session, principal, enrolment=enrolment)


@router.post("/account/second-factor/confirm")
def confirm_second_factor(
    request: Request, session: SessionDep, principal: CurrentUser, code: Annotated[str, Form(max_length=20)]
) -> Response:
    try:
        totp.confirm(session=session, actor=principal, code=code)
    except MainportError as exc:
        return _page(request, session, principal, error=exc.message, status_code=exc.status_code)
    return _done("totp_on")


@router.post("/account/second-factor/disable")
def disable_second_factor(
    request: Request, session: SessionDep, principal: CurrentUser, code: Annotated[str, Form(max_length=20)]
) -> Response:
    user = service.get_user(session=session, user_id=principal.user_id)
    try:
        totp.disable(session=session, actor=principal, user=user, code=code)
    except MainportError as exc:
        return _page(request, session, principal, error=exc.message, status_code=exc.status_code)
    return _done("totp_off")
