"""Users, organisations and tokens. Services take a session and never commit."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.audit.models import AuditEntry
from mainport.database import utcnow
from mainport.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed
from mainport.identity.models import ApiToken, Organisation, OrgKind, Role, User
from mainport.identity.passwords import hash_password, verify_password
from mainport.identity.principal import Principal, anonymous_principal

TOKEN_PREFIX = "mpt_"
MAX_FAILED_LOGINS = 10
LOGIN_WINDOW = timedelta(minutes=15)
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
MIN_PASSWORD = 12


def principal_for(user: User) -> Principal:
    org = user.organisation
    return Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        org_id=org.id,
        org_code=org.code,
        org_kind=org.kind,
        node_code=org.node_code,
        facility_code=org.facility_code,
    )


def get_or_create_organisation(
    *,
    session: Session,
    code: str,
    name: str,
    kind: OrgKind,
    node_code: str | None = None,
    facility_code: str | None = None,
) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        org = Organisation(code=code, name=name, kind=kind, node_code=node_code, facility_code=facility_code)
        session.add(org)
        session.flush()
    return org


def create_user(
    *,
    session: Session,
    actor: Principal,
    username: str,
    password: str,
    role: Role,
    organisation: Organisation,
    full_name: str = "",
) -> User:
    actor.require("users:admin")
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"password must have at least {MIN_PASSWORD} characters")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} exists")
    user = User(
        username=username,
        full_name=full_name,
        password_hash=hash_password(password),
        role=role,
        organisation=organisation,
    )
    session.add(user)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="user.create",
        entity_type="user",
        entity_id=str(user.id),
        detail={"username": username, "role": role.value, "organisation": organisation.code},
    )
    return user


def login(*, session: Session, username: str, password: str, now: datetime | None = None) -> User:
    """Password login with throttling: failed attempts are audited and counted per user name."""
    now = now or utcnow()
    since = now - LOGIN_WINDOW
    failures = session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "login.failed", AuditEntry.entity_id == username, AuditEntry.at >= since)
    )
    if (failures or 0) >= MAX_FAILED_LOGINS:
        raise NotAuthenticated("too many failed log-ins for this user; try again in 15 minutes")
    try:
        user = authenticate_password(session=session, username=username, password=password)
    except NotAuthenticated:
        audit.record(
            session=session,
            actor=anonymous_principal(),
            action="login.failed",
            entity_type="user",
            entity_id=username,
        )
        raise
    audit.record(
        session=session, actor=principal_for(user), action="login", entity_type="user", entity_id=str(user.id)
    )
    return user


def authenticate_password(*, session: Session, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    # Verify against a dummy hash when the user is unknown so timing does not reveal usernames.
    if user is None or not user.active:
        verify_password(_dummy_hash(), password)
        raise NotAuthenticated("unknown user or wrong password")
    if not verify_password(user.password_hash, password):
        raise NotAuthenticated("unknown user or wrong password")
    user.last_login_at = utcnow()
    return user


def create_token(
    *, session: Session, actor: Principal, user: User, name: str, ttl_days: int | None = 90
) -> tuple[ApiToken, str]:
    """Issue a bearer token; the plain value is returned once and never stored."""
    if actor.user_id != user.id:
        actor.require("users:admin")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=ttl_days) if ttl_days else None
    token = ApiToken(
        user_id=user.id, name=name, prefix=plain[:10], token_hash=_digest(plain), expires_at=expires
    )
    session.add(token)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="token.create",
        entity_type="api_token",
        entity_id=str(token.id),
        detail={"user": user.username, "name": name},
    )
    return token, plain


def list_tokens(*, session: Session, actor: Principal, username: str) -> list[ApiToken]:
    actor.require("users:admin")
    user = get_user_by_name(session=session, username=username)
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_token(*, session: Session, actor: Principal, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no token {token_id}")
    if token.user_id != actor.user_id:
        actor.require("users:admin")
    token.revoked_at = token.revoked_at or utcnow()
    audit.record(
        session=session, actor=actor, action="token.revoke", entity_type="api_token", entity_id=str(token_id)
    )
    return token


def authenticate_token(*, session: Session, plain: str, now: datetime | None = None) -> User:
    now = now or utcnow()
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plain)))
    if token is None or token.revoked_at is not None:
        raise NotAuthenticated("invalid or revoked token")
    if token.expires_at is not None and token.expires_at <= now:
        raise NotAuthenticated("token expired")
    if not token.user.active:
        raise NotAuthenticated("user disabled")
    # Written at most once a minute: a busy integration must not queue its requests on this one row.
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        token.last_used_at = now
    return token.user


def get_user(*, session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotAuthenticated("user no longer exists")
    return user


def get_user_by_name(*, session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


@cache
def _dummy_hash() -> str:
    return hash_password("dummy-password-for-timing")
