"""Who am I, my password, my tokens and sessions; user management for an organisation's admins."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.identity import service, sessions, totp
from mainport.identity.models import ApiToken
from mainport.identity.schemas import (
    LockIn,
    MeOut,
    NewTokenOut,
    PasswordChangeIn,
    PasswordResetIn,
    RoleIn,
    SessionOut,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
)

router = APIRouter(tags=["identity"])


@router.get("/me", response_model=MeOut)
def me(principal: CurrentUser) -> MeOut:
    return MeOut(
        username=principal.username,
        role=principal.role.value,
        organisation=principal.org_code,
        organisation_kind=principal.org_kind.value,
        node=principal.node_code,
    )


@router.post("/me/password", status_code=204)
def change_password(
    body: PasswordChangeIn, request: Request, session: SessionDep, principal: CurrentUser
) -> Response:
    """Change your own password; your other sessions end."""
    service.change_own_password(
        session=session,
        actor=principal,
        current=body.current,
        new=body.new,
        keep_session=getattr(request.state, "user_session_id", None),
    )
    return Response(status_code=204)


@router.get("/me/sessions", response_model=list[SessionOut])
def my_sessions(session: SessionDep, principal: CurrentUser) -> list[SessionOut]:
    return [SessionOut.model_validate(s) for s in sessions.open_sessions(session, principal.user_id)]


@router.get("/tokens", response_model=list[TokenOut])
def my_tokens(session: SessionDep, principal: CurrentUser) -> list[TokenOut]:
    rows = service.list_tokens(session=session, actor=principal, username=principal.username)
    return [TokenOut.model_validate(t) for t in rows]


@router.post("/tokens", response_model=NewTokenOut, status_code=201)
def new_token(body: TokenIn, session: SessionDep, principal: CurrentUser) -> NewTokenOut:
    """A bearer token for yourself; its value is in this answer only."""
    user = service.get_user(session=session, user_id=principal.user_id)
    token, plain = service.create_token(
        session=session, actor=principal, user=user, name=body.name, ttl_days=body.days
    )
    return NewTokenOut(**TokenOut.model_validate(token).model_dump(), token=plain)


@router.post("/tokens/{token_id}/revoke", response_model=TokenOut)
def revoke_token(token_id: int, session: SessionDep, principal: CurrentUser) -> TokenOut:
    return TokenOut.model_validate(service.revoke_token(session=session, actor=principal, token_id=token_id))


# -- user management (admins, own organisation) --------------------------------------------------------------


@router.get("/users", response_model=list[UserOut])
def list_users(session: SessionDep, principal: CurrentUser) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in service.list_users(session=session, actor=principal)]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserIn, session: SessionDep, principal: CurrentUser) -> UserOut:
    principal.require("users:admin")
    org = service.own_organisation(session=session, actor=principal)
    user = service.create_user(
        session=session,
        actor=principal,
        username=body.username,
        password=body.password,
        role=body.role,
        organisation=org,
        full_name=body.full_name,
    )
    return UserOut.model_validate(user)


@router.post("/users/{user_id}/password", response_model=UserOut)
def reset_password(
    user_id: int, body: PasswordResetIn, session: SessionDep, principal: CurrentUser
) -> UserOut:
    return UserOut.model_validate(
        service.reset_password(session=session, actor=principal, user_id=user_id, new=body.password)
    )


@router.post("/users/{user_id}/deactivate", response_model=UserOut)
def deactivate(user_id: int, session: SessionDep, principal: CurrentUser) -> UserOut:
    return UserOut.model_validate(
        service.set_active(session=session, actor=principal, user_id=user_id, active=False)
    )


@router.post("/users/{user_id}/activate", response_model=UserOut)
def activate(user_id: int, session: SessionDep, principal: CurrentUser) -> UserOut:
    return UserOut.model_validate(
        service.set_active(session=session, actor=principal, user_id=user_id, active=True)
    )


@router.post("/users/{user_id}/role", response_model=UserOut)
def change_role(user_id: int, body: RoleIn, session: SessionDep, principal: CurrentUser) -> UserOut:
    return UserOut.model_validate(
        service.set_role(session=session, actor=principal, user_id=user_id, role=body.role)
    )


@router.post("/users/{user_id}/lock", response_model=UserOut)
def lock(user_id: int, body: LockIn, session: SessionDep, principal: CurrentUser) -> UserOut:
    return UserOut.model_validate(
        service.lock_user(session=session, actor=principal, user_id=user_id, hours=body.hours)
    )


@router.post("/users/{user_id}/unlock", response_model=UserOut)
def unlock(user_id: int, session: SessionDep, principal: CurrentUser) -> UserOut:
    return UserOut.model_validate(
        service.lock_user(session=session, actor=principal, user_id=user_id, hours=None)
    )


@router.post("/users/{user_id}/second-factor/reset", response_model=UserOut)
def reset_second_factor(user_id: int, session: SessionDep, principal: CurrentUser) -> UserOut:
    user = service.managed_user(session=session, actor=principal, user_id=user_id)
    totp.disable(session=session, actor=principal, user=user)
    return UserOut.model_validate(user)


@router.get("/users/{user_id}/tokens", response_model=list[TokenOut])
def user_tokens(user_id: int, session: SessionDep, principal: CurrentUser) -> list[TokenOut]:
    user = service.managed_user(session=session, actor=principal, user_id=user_id)
    rows = service.list_tokens(session=session, actor=principal, username=user.username)
    return [TokenOut.model_validate(t) for t in rows if isinstance(t, ApiToken)]
