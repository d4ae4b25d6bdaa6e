"""Throttling of log-in attempts per client address and per user name, without letting anyone lock a user out.

* per address: too many failures from one address (any user names: password spraying) -> that address waits;
* per user name and address: too many failures for one name from one address -> that pair waits;
* per user name over all addresses (a distributed attack): only addresses the user logged in from before
  keep getting through, so the user is never locked out from their own machines.
Attempts are rows (`LoginAttempt`), so that every worker process sees the same counts.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mainport.database import utcnow
from mainport.errors import TooManyRequests
from mainport.identity.models import LoginAttempt

WINDOW = timedelta(minutes=15)
PER_ADDRESS = 20
PER_USER_ADDRESS = 5
PER_USER = 100
KNOWN_ADDRESS_DAYS = 30
KEEP = timedelta(days=KNOWN_ADDRESS_DAYS)
_PRUNE_EVERY = 200  # on average, one attempt in this many prunes old rows


def _failures(session: Session, since: datetime, kind: str, **match: str) -> int:
    stmt = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.at >= since, LoginAttempt.success.is_(False), LoginAttempt.kind == kind)
    )
    for column, value in match.items():
        stmt = stmt.where(getattr(LoginAttempt, column) == value)
    return int(session.scalar(stmt) or 0)


def check(
    session: Session, *, username: str, address: str, kind: str = "password", now: datetime | None = None
) -> None:
    """Raise TooManyRequests (429) when this attempt must wait; says for how long."""
    now = now or utcnow()
    since = now - WINDOW
    minutes = int(WINDOW.total_seconds() // 60)
    if _failures(session, since, kind, address=address) >= PER_ADDRESS:
        raise TooManyRequests(f"too many failed log-ins from your address; try again in {minutes} minutes")
    if _failures(session, since, kind, address=address, username=username) >= PER_USER_ADDRESS:
        raise TooManyRequests(f"too many failed log-ins for this user; try again in {minutes} minutes")
    if _failures(session, since, kind, username=username) >= PER_USER and not known_address(
        session, username=username, address=address, now=now
    ):
        raise TooManyRequests(
            f"this user is under attack: log in from a machine you used before, or wait {minutes} minutes"
        )


def known_address(session: Session, *, username: str, address: str, now: datetime | None = None) -> bool:
    now = now or utcnow()
    found = session.scalar(
        select(LoginAttempt.id)
        .where(
            LoginAttempt.username == username,
            LoginAttempt.address == address,
            LoginAttempt.success.is_(True),
            LoginAttempt.at >= now - KEEP,
        )
        .limit(1)
    )
    return found is not None


def note(
    session: Session,
    *,
    username: str,
    address: str,
    success: bool,
    kind: str = "password",
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    session.add(
        LoginAttempt(at=now, username=username[:64], address=address[:64], success=success, kind=kind)
    )
    if random.random() < 1 / _PRUNE_EVERY:  # when to tidy up: not security relevant
        session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP))
    session.flush()
