"""User management pages for an organisation's admins: create, reset a password, deactivate, lock, role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.errors import MainportError, NotFound
from mainport.identity import service, totp
from mainport.identity.models import Organisation, Role
from mainport.identity.principal import Principal
from mainport.web.templating import render

router = APIRouter(include_in_schema=False)
NOTICES = {
    "created": "User created.",
    "password": "Password set; the user's sessions have ended.",
    "deactivated": "User deactivated: sessions ended, tokens refused.",
    "activated": "User active again.",
    "role": "Role changed; the user's sessions have ended.",
    "locked": "User locked: sessions ended, tokens refused until the lock ends.",
    "unlocked": "User unlocked.",
    "second_factor": "Second factor removed; the user can set it up again.",
}


def _page(
    request: Request,
    session: Any,
    principal: Principal,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    users = service.list_users(session=session, actor=principal)
    ctx = {
        "users": users,
        "second_factor": {u.id: totp.enabled(session, u.id) for u in users},
        "roles": [r.value for r in Role],
        "notice": notice,
        "error": error,
    }
    return render(request, "users.html", ctx, principal=principal, status_code=status_code)


def _done(what: str) -> Response:
    return RedirectResponse(f"/admin/users?done={what}", status_code=303)


@router.get("/admin/users")
def users_page(
    request: Request, session: SessionDep, principal: CurrentUser, done: str | None = None
) -> Response:
    return _page(request, session, principal, notice=NOTICES.get(done or ""))


@router.post("/admin/users")
def create_user(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[Role, Form()] = Role.viewer,
    full_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    principal.require("users:admin")
    org = session.get(Organisation, principal.org_id)
    if org is None:
        raise NotFound("your organisation is not on file")
    try:
        service.create_user(
            session=session,
            actor=principal,
            username=username,
            password=password,
            role=role,
            organisation=org,
            full_name=full_name,
        )
    except MainportError as exc:
        return _page(request, session, principal, error=exc.message, status_code=exc.status_code)
    return _done("created")


@router.post("/admin/users/{user_id}/password")
def reset_password(
    request: Request,
    user_id: int,
    session: SessionDep,
    principal: CurrentUser,
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    try:
        service.reset_password(session=session, actor=principal, user_id=user_id, new=password)
    except MainportError as exc:
        return _page(request, session, principal, error=exc.message, status_code=exc.status_code)
    return _done("password")


@router.post("/admin/users/{user_id}/active")
def set_active(
    request: Request,
    user_id: int,
    session: SessionDep,
    principal: CurrentUser,
    active: Annotated[bool, Form()],
) -> Response:
    try:
        service.set_active(session=session, actor=principal, user_id=user_id, active=active)
    except MainportError as exc:
        return _page(request, session, principal, error=exc.message, status_code=exc.status_code)
    return _done("activated" if active else "deactivated")


@router.post("/admin/users/{user_id}/role")
def set_role(
    request: Request,
    user_id: int,
    session: SessionDep,
    principal: CurrentUser,
    role: Annotated[Role, Form()],
) -> Response:
    try:
        service.set_role(session=session, actor=principal, user_id=user_id, role=role)
    except MainportError as exc:
        return _page(request, session, principal, error=exc.message, status_code=exc.status_code)
    return _done("role")


@router.post("/admin/users/{user_id}/lock")
def lock(
    request: Request,
    user_id: int,
    session: SessionDep,
    principal: CurrentUser,
    hours: Annotated[float, Form(ge=0, le=24 * 366)] = 24.0,
) -> Response:
    try:
        service.lock_user(session=session, actor=principal, user_id=user_id, hours=hours or None)
    except MainportError as exc:
        return _page(request, session, principal, error=exc.message, status_code=exc.status_code)
    return _done("locked" if hours else "unlocked")


@router.post("/admin/users/{user_id}/second-factor/reset")
def reset_second_factor(
    request: Request, user_id: int, session: SessionDep, principal: CurrentUser
) -> Response:
    user = service.managed_user(session=session, actor=principal, user_id=user_id)
    totp.disable(session=session, actor=principal, user=user)
    return _done("second_factor")
