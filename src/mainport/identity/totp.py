"""Optional second factor for government users: TOTP (RFC 6238, 30 s, 6 digits), as authenticator apps do.

Enrolment: `begin` makes a secret (shown once as text and otpauth:// URI), `confirm` turns it on after one
good code. A code counts once (the last accepted time step is kept). Secrets are encrypted with a key
derived from the application secret (Fernet)."""

from __future__ import annotations

import base64
import hashlib
import time

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.config import get_settings
from mainport.database import utcnow
from mainport.errors import NotFound, PermissionDenied, ValidationFailed
from mainport.identity.models import TotpSecret, User
from mainport.identity.principal import Principal

ISSUER = "mainport"
STEP_S = 30


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"mainport-totp:" + get_settings().secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _secret(row: TotpSecret) -> str | None:
    try:
        return _fernet().decrypt(row.secret_enc.encode()).decode()
    except InvalidToken:  # the application secret changed: the factor must be enrolled again
        return None


def _row(session: Session, user_id: int) -> TotpSecret | None:
    return session.scalar(select(TotpSecret).where(TotpSecret.user_id == user_id))


def enabled(session: Session, user_id: int) -> bool:
    row = _row(session, user_id)
    return row is not None and row.confirmed_at is not None


def begin(*, session: Session, actor: Principal) -> tuple[str, str]:
    """Start (or restart) enrolment for the actor: returns the base32 secret and its otpauth:// URI."""
    if not actor.is_government:
        raise PermissionDenied("the second factor is offered to users of government organisations")
    row = _row(session, actor.user_id)
    if row is not None and row.confirmed_at is not None:
        raise ValidationFailed("a second factor is already on; turn it off first")
    secret = pyotp.random_base32()
    enc = _fernet().encrypt(secret.encode()).decode()
    if row is None:
        row = TotpSecret(user_id=actor.user_id, secret_enc=enc, last_step=0)
        session.add(row)
    else:
        row.secret_enc, row.created_at, row.last_step = enc, utcnow(), 0
    session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=actor.username, issuer_name=ISSUER)
    return secret, uri


def _accept(row: TotpSecret, code: str, now: float | None = None) -> bool:
    secret = _secret(row)
    code = code.strip().replace(" ", "")
    if secret is None or not (len(code) == 6 and code.isdigit()):
        return False
    now = time.time() if now is None else now
    totp = pyotp.TOTP(secret, interval=STEP_S)
    step = int(now // STEP_S)
    for candidate in (step, step - 1, step + 1):  # one step of clock drift either way
        if candidate > row.last_step and totp.at(candidate * STEP_S) == code:
            row.last_step = candidate
            return True
    return False


def confirm(*, session: Session, actor: Principal, code: str) -> None:
    row = _row(session, actor.user_id)
    if row is None:
        raise NotFound("no second factor is being set up; start again")
    if row.confirmed_at is not None:
        raise ValidationFailed("the second factor is already on")
    if not _accept(row, code):
        raise ValidationFailed("that code is wrong or expired: type the current 6 digits of your app")
    row.confirmed_at = utcnow()
    session.flush()
    audit.record(
        session=session, actor=actor, action="user.totp_on", entity_type="user", entity_id=str(actor.user_id)
    )


def verify(session: Session, user_id: int, code: str) -> bool:
    row = _row(session, user_id)
    if row is None or row.confirmed_at is None:
        return False
    ok = _accept(row, code)
    session.flush()
    return ok


def disable(*, session: Session, actor: Principal, user: User, code: str | None = None) -> None:
    """Turn the factor off: the user with a current code, or an admin/operator for a user they manage
    (a lost phone)."""
    if user.id != actor.user_id:
        actor.require("users:admin")
        if not (actor.is_system or actor.org_id == user.organisation_id):
            raise NotFound(f"no user {user.id}")
    row = _row(session, user.id)
    if row is None:
        return
    if user.id == actor.user_id and row.confirmed_at is not None and (code is None or not _accept(row, code)):
        raise PermissionDenied("give a current code to turn the second factor off")
    session.delete(row)
    session.flush()
    audit.record(
        session=session, actor=actor, action="user.totp_off", entity_type="user", entity_id=str(user.id)
    )
