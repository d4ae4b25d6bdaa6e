"""Browser log-in and server-side sessions.

The cookie carries only a random session id (inside the signed Starlette cookie, next to the CSRF token);
the server keeps a row per session (`UserSession`, its id hashed). Every request looks the row up, so a
logout, a password change, a deactivation, a lock or a role change ends the session on the next request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.database import utcnow
from mainport.errors import NotAuthenticated
from mainport.identity import service, throttle, totp
from mainport.identity.models import User, UserSession
from mainport.identity.principal import anonymous_principal

IDLE = timedelta(hours=2)
TOUCH_INTERVAL = timedelta(minutes=1)
# Time to type the second factor after the password.
SECOND_FACTOR_TIME = timedelta(minutes=5)


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


@dataclass
class LoginResult:
    user: User
    session_id: str  # the plain id for the cookie
    row: UserSession
    second_factor_pending: bool


def start(
    session: Session,
    user: User,
    *,
    max_age_s: int,
    address: str = "",
    user_agent: str = "",
    second_factor_pending: bool = False,
) -> tuple[UserSession, str]:
    plain = secrets.token_urlsafe(32)
    now = utcnow()
    life = SECOND_FACTOR_TIME if second_factor_pending else timedelta(seconds=max_age_s)
    row = UserSession(
        token_hash=_digest(plain),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + life,
        second_factor_pending=second_factor_pending,
        address=address[:64],
        user_agent=user_agent[:200],
    )
    session.add(row)
    session.flush()
    return row, plain


def login(
    *,
    session: Session,
    username: str,
    password: str,
    address: str = "",
    user_agent: str = "",
    max_age_s: int = 8 * 3600,
    now: datetime | None = None,
) -> LoginResult:
    """Password log-in, throttled per address and per user name; failures are audited. A user with a
    second factor gets a pending session that grants nothing until the code is given (`second_factor`)."""
    username = username.strip()[:64]
    throttle.check(session, username=username, address=address, now=now)
    try:
        user = service.authenticate_password(session=session, username=username, password=password)
    except NotAuthenticated:
        throttle.note(session, username=username, address=address, success=False, now=now)
        audit.record(
            session=session,
            actor=anonymous_principal(),
            action="login.failed",
            entity_type="user",
            entity_id=username,
            detail={"address": address},
        )
        raise
    throttle.note(session, username=username, address=address, success=True, now=now)
    pending = totp.enabled(session, user.id)
    row, plain = start(
        session,
        user,
        max_age_s=max_age_s,
        address=address,
        user_agent=user_agent,
        second_factor_pending=pending,
    )
    audit.record(
        session=session,
        actor=service.principal_for(user),
        action="login.password" if pending else "login",
        entity_type="user",
        entity_id=str(user.id),
        detail={"address": address},
    )
    return LoginResult(user, plain, row, pending)


def second_factor(
    *, session: Session, pending_id: str, code: str, address: str = "", max_age_s: int = 8 * 3600
) -> LoginResult:
    """The TOTP code for a pending session: a fresh full session replaces it (new id: no fixation)."""
    row = resolve(session, pending_id, allow_pending=True)
    if not row.second_factor_pending:
        raise NotAuthenticated("already logged in")
    user = row.user
    throttle.check(session, username=user.username, address=address, kind="totp")
    if not totp.verify(session, user.id, code):
        throttle.note(session, username=user.username, address=address, success=False, kind="totp")
        audit.record(
            session=session,
            actor=service.principal_for(user),
            action="login.totp_failed",
            entity_type="user",
            entity_id=str(user.id),
        )
        raise NotAuthenticated("wrong or expired code")
    throttle.note(session, username=user.username, address=address, success=True, kind="totp")
    end(session, row, "second_factor")
    full, plain = start(session, user, max_age_s=max_age_s, address=address, user_agent=row.user_agent)
    audit.record(
        session=session,
        actor=service.principal_for(user),
        action="login",
        entity_type="user",
        entity_id=str(user.id),
        detail={"address": address, "second_factor": "totp"},
    )
    return LoginResult(user, plain, full, False)


def resolve(
    session: Session, plain: str, *, allow_pending: bool = False, now: datetime | None = None
) -> UserSession:
    """The open session for a cookie's id, or NotAuthenticated (ended, expired, idle, user not usable)."""
    now = now or utcnow()
    if not plain or len(plain) > 100:
        raise NotAuthenticated("log in or send a bearer token")
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(plain)))
    if row is None or row.revoked_at is not None:
        raise NotAuthenticated("your session has ended; log in again")
    if row.expires_at <= now or now - row.last_seen_at > IDLE:
        raise NotAuthenticated("your session has expired; log in again")
    if not service.usable(row.user, now):
        raise NotAuthenticated("your account is deactivated or locked")
    if row.second_factor_pending and not allow_pending:
        raise NotAuthenticated("give the code of your authenticator app to finish logging in")
    if now - row.last_seen_at > TOUCH_INTERVAL:
        row.last_seen_at = now
    return row


def end(session: Session, row: UserSession, reason: str) -> None:
    if row.revoked_at is None:
        row.revoked_at, row.revoke_reason = utcnow(), reason[:32]
        session.flush()


def logout(*, session: Session, plain: str) -> None:
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(plain)))
    if row is not None and row.revoked_at is None:
        end(session, row, "logout")
        audit.record(
            session=session,
            actor=service.principal_for(row.user),
            action="logout",
            entity_type="user",
            entity_id=str(row.user_id),
        )


def open_sessions(session: Session, user_id: int) -> list[UserSession]:
    now = utcnow()
    return list(
        session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user_id,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > now,
                UserSession.last_seen_at > now - IDLE,
            )
            .order_by(UserSession.created_at.desc())
        )
    )
