"""Users, organisations and tokens, and their management. Services take a session and never commit.

Who manages whom: an organisation's admins manage the users of their own organisation (create, reset a
password, deactivate, lock, change a role) and revoke their tokens; users of other organisations are
answered as unknown. New organisations and users of other organisations come from the operator's CLI
(the system principal). A bearer token is issued to its own user only (the CLI may issue one for anyone).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session, object_session

from mainport.audit import service as audit
from mainport.database import utcnow
from mainport.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from mainport.identity import policy
from mainport.identity.models import ApiToken, Organisation, OrgKind, Role, User, UserSession
from mainport.identity.passwords import MIN_LENGTH, check_policy, hash_password, verify_password
from mainport.identity.principal import Principal

TOKEN_PREFIX = "mpt_"
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
MIN_PASSWORD = MIN_LENGTH
MAX_TOKEN_DAYS = 3660

# --- credentials epoch ---------------------------------------------------------------------------------
# Caches of authenticated principals (the gate's) compare this counter: it moves on every change that must
# end access at once (token revoked, user deactivated, locked, role or password changed), after the commit.
_epoch = 0
_epoch_lock = threading.Lock()


def credentials_epoch() -> int:
    return _epoch


def _bump_epoch(*_args: object) -> None:
    global _epoch
    with _epoch_lock:
        _epoch += 1


def credentials_changed(session: Session) -> None:
    """Note that access changed: caches drop their principals now and again once the change is committed."""
    _bump_epoch()
    if not session.info.get("mp_epoch_listener"):
        session.info["mp_epoch_listener"] = True

        def after_commit(s: Session) -> None:
            _bump_epoch()
            s.info.pop("mp_epoch_listener", None)

        event.listen(session, "after_commit", after_commit, once=True)


# --- principals and organisations ------------------------------------------------------------------------


def principal_for(user: User) -> Principal:
    """The user as a principal, with the sharing agreements its organisation holds (identity.policy)."""
    org = user.organisation
    session = object_session(user)
    return Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        org_id=org.id,
        org_code=org.code,
        org_kind=org.kind,
        node_code=org.node_code,
        facility_code=org.facility_code,
        carrier_code=org.carrier_code,
        grants=policy.grants_for(session, org) if session is not None else None,
    )


def get_or_create_organisation(
    *,
    session: Session,
    code: str,
    name: str,
    kind: OrgKind,
    node_code: str | None = None,
    facility_code: str | None = None,
    carrier_code: str | None = None,
) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        org = Organisation(
            code=code,
            name=name,
            kind=kind,
            node_code=node_code,
            facility_code=facility_code,
            carrier_code=carrier_code.upper() if carrier_code else None,
        )
        session.add(org)
        session.flush()
    return org


def _manages(actor: Principal, org_id: int) -> bool:
    return actor.is_system or (actor.can("users:admin") and actor.org_id == org_id)


def own_organisation(*, session: Session, actor: Principal) -> Organisation:
    """The organisation the actor belongs to (the one an admin creates users in)."""
    org = session.get(Organisation, actor.org_id)
    if org is None:
        raise NotFound("your organisation is not on file")
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
    if not _manages(actor, organisation.id):
        raise PermissionDenied(f"{actor.username} may only create users of {actor.org_code}")
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() or c in ":/\\" for c in username):
        raise ValidationFailed(f"user name {username[:70]!r}: 1..64 characters, no spaces, ':', '/' or '\\'")
    check_policy(password, username=username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} exists")
    user = User(
        username=username,
        full_name=full_name[:200],
        password_hash=hash_password(password),
        role=role,
        organisation=organisation,
        password_changed_at=utcnow(),
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


# --- authentication ----------------------------------------------------------------------------------------


def usable(user: User, now: datetime | None = None) -> bool:
    """Active and not locked: the only users whose password, sessions or tokens are accepted."""
    now = now or utcnow()
    return user.active and (user.locked_until is None or user.locked_until <= now)


def authenticate_password(*, session: Session, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    # Verify against a dummy hash when the user is unknown so timing does not reveal usernames.
    if user is None or not usable(user):
        verify_password(_dummy_hash(), password[:64])
        raise NotAuthenticated("unknown user or wrong password")
    if not verify_password(user.password_hash, password):
        raise NotAuthenticated("unknown user or wrong password")
    user.last_login_at = utcnow()
    return user


def create_token(
    *, session: Session, actor: Principal, user: User, name: str, ttl_days: int | None = 90
) -> tuple[ApiToken, str]:
    """Issue a bearer token; the plain value is returned once and never stored. Only for oneself (the CLI
    issues for anyone): a token for another user would be a way to act as them."""
    if actor.user_id != user.id and not actor.is_system:
        raise PermissionDenied(
            "a token is issued to its own user only (operators use `mainport token create`)"
        )
    if ttl_days is not None and not 0 < ttl_days <= MAX_TOKEN_DAYS:
        raise ValidationFailed(f"token validity: 1..{MAX_TOKEN_DAYS} days")
    name = name.strip()[:100] or "token"
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
    """Tokens of a user: one's own, or (admins) of a user of one's organisation."""
    if username == actor.username:
        user = get_user_by_name(session=session, username=username)
    else:
        user = find_user(session=session, actor=actor, username=username)
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_token(*, session: Session, actor: Principal, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and not _manages(actor, token.user.organisation_id)):
        raise NotFound(f"no token {token_id}")
    token.revoked_at = token.revoked_at or utcnow()
    credentials_changed(session)
    audit.record(
        session=session, actor=actor, action="token.revoke", entity_type="api_token", entity_id=str(token_id)
    )
    return token


def authenticate_token(*, session: Session, plain: str, now: datetime | None = None) -> User:
    now = now or utcnow()
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        raise NotAuthenticated("invalid or revoked token")
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plain)))
    if token is None or token.revoked_at is not None:
        raise NotAuthenticated("invalid or revoked token")
    if token.expires_at is not None and token.expires_at <= now:
        raise NotAuthenticated("token expired")
    if not usable(token.user, now):
        raise NotAuthenticated("user deactivated or locked")
    # Written at most once a minute: a busy integration must not queue its requests on this one row.
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        token.last_used_at = now
    return token.user


def get_user(*, session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not usable(user):
        raise NotAuthenticated("user no longer exists, is deactivated or locked")
    return user


def get_user_by_name(*, session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


# --- management --------------------------------------------------------------------------------------------


def managed_user(*, session: Session, actor: Principal, user_id: int) -> User:
    """A user the actor manages (admins: their organisation's users; the CLI: anyone)."""
    return _managed(session, actor, user_id)


def _managed(session: Session, actor: Principal, user_id: int) -> User:
    """A user the actor manages; users of other organisations do not exist for the actor."""
    actor.require("users:admin")
    user = session.get(User, user_id)
    if user is None or not _manages(actor, user.organisation_id):
        raise NotFound(f"no user {user_id}")
    return user


def list_users(*, session: Session, actor: Principal) -> list[User]:
    actor.require("users:admin")
    stmt = select(User).order_by(User.username)
    if not actor.is_system:
        stmt = stmt.where(User.organisation_id == actor.org_id)
    return list(session.scalars(stmt))


def find_user(*, session: Session, actor: Principal, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not _manages(actor, user.organisation_id):
        actor.require("users:admin")
        raise NotFound(f"no user {username!r}")
    return user


def _keep_an_admin(session: Session, actor: Principal, user: User) -> None:
    """Refuse to leave an organisation without an active admin (nobody could manage it any more)."""
    if user.role != Role.admin or not user.active:
        return
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.organisation_id == user.organisation_id,
            User.role == Role.admin,
            User.active.is_(True),
            User.id != user.id,
        )
    )
    if not others:
        raise Conflict(
            f"{user.username} is the last active admin of {user.organisation.code}: make another admin first"
        )


def end_sessions(session: Session, user_id: int, reason: str, *, keep: int | None = None) -> int:
    """Revoke every open session of a user (but `keep`); the next request with their cookies is refused."""
    stmt = (
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoke_reason=reason[:32])
    )
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    n = session.execute(stmt.execution_options(synchronize_session=False)).rowcount or 0  # type: ignore[attr-defined]
    credentials_changed(session)
    return int(n)


def change_own_password(
    *, session: Session, actor: Principal, current: str, new: str, keep_session: int | None = None
) -> None:
    """The user changes their own password (knowing the current one); their other sessions end."""
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound("no such user")
    if not verify_password(user.password_hash, current):
        raise PermissionDenied("the current password is wrong")
    if new == current:
        raise ValidationFailed("the new password must differ from the current one")
    check_policy(new, username=user.username)
    user.password_hash, user.password_changed_at = hash_password(new), utcnow()
    end_sessions(session, user.id, "password_changed", keep=keep_session)
    audit.record(
        session=session, actor=actor, action="user.password", entity_type="user", entity_id=str(user.id)
    )


def reset_password(*, session: Session, actor: Principal, user_id: int, new: str) -> User:
    """An admin sets a new password for a user of their organisation; all of the user's sessions end."""
    user = _managed(session, actor, user_id)
    check_policy(new, username=user.username)
    user.password_hash, user.password_changed_at = hash_password(new), utcnow()
    end_sessions(session, user.id, "password_reset")
    audit.record(
        session=session, actor=actor, action="user.password_reset", entity_type="user", entity_id=str(user.id)
    )
    return user


def set_active(*, session: Session, actor: Principal, user_id: int, active: bool) -> User:
    """Deactivate (sessions end, tokens stop working, no log-in) or reactivate a user."""
    user = _managed(session, actor, user_id)
    if not active and not actor.is_system:
        _keep_an_admin(session, actor, user)
    user.active = active
    if not active:
        end_sessions(session, user.id, "deactivated")
    credentials_changed(session)
    audit.record(
        session=session,
        actor=actor,
        action="user.activate" if active else "user.deactivate",
        entity_type="user",
        entity_id=str(user.id),
    )
    return user


def set_role(*, session: Session, actor: Principal, user_id: int, role: Role) -> User:
    """Change a user's role; their sessions end (they log in again with the new role)."""
    user = _managed(session, actor, user_id)
    if user.role == role:
        return user
    if role != Role.admin and not actor.is_system:
        _keep_an_admin(session, actor, user)
    before = user.role
    user.role = role
    end_sessions(session, user.id, "role_changed")
    audit.record(
        session=session,
        actor=actor,
        action="user.role",
        entity_type="user",
        entity_id=str(user.id),
        detail={"from": before.value, "to": role.value},
    )
    return user


def lock_user(*, session: Session, actor: Principal, user_id: int, hours: float | None) -> User:
    """Lock a user for some hours (None: unlock): no log-in, sessions end, tokens refused meanwhile."""
    user = _managed(session, actor, user_id)
    if hours is not None:
        if not 0 < hours <= 24 * 366:
            raise ValidationFailed("lock for 0..8784 hours")
        if not actor.is_system:
            _keep_an_admin(session, actor, user)
        user.locked_until = utcnow() + timedelta(hours=hours)
        end_sessions(session, user.id, "locked")
    else:
        user.locked_until = None
    credentials_changed(session)
    audit.record(
        session=session,
        actor=actor,
        action="user.lock" if hours is not None else "user.unlock",
        entity_type="user",
        entity_id=str(user.id),
        detail={"hours": hours},
    )
    return user


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


@cache
def _dummy_hash() -> str:
    return hash_password("dummy-password-for-timing")
