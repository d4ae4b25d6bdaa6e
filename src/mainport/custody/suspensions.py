"""Who the gate refuses whatever their release token says: people whose screening lapsed or who are banned.

The screening domain keeps these rows in step with its register (`set_suspension` per cause); the gate reads
them in the same statement that judges the right (`custody.gate.GATE_SQL`, `release._judge`), so a change is
in force for the next presentation. Nominating a suspended driver is refused too."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mainport.custody.models import AccessSuspension
from mainport.database import utcnow
from mainport.errors import ValidationFailed

REASONS = ("screening_lapsed", "port_ban")


def set_suspension(
    *,
    session: Session,
    subject: str,
    reason: str,
    ref: str,
    since: datetime | None,
    until: datetime | None = None,
) -> AccessSuspension | None:
    """Make the suspension caused by `ref` read (since, until); since None lifts it. Idempotent."""
    if reason not in REASONS:
        raise ValidationFailed(f"unknown suspension reason {reason!r}; known: {', '.join(REASONS)}")
    now = utcnow()
    current = session.scalar(
        select(AccessSuspension).where(
            AccessSuspension.ref == ref,
            AccessSuspension.reason == reason,
            AccessSuspension.lifted_at.is_(None),
        )
    )
    if since is None:
        if current is not None:
            current.lifted_at = now
            session.flush()
        return None
    if current is not None and current.subject == subject:
        current.since, current.until = since, until
        session.flush()
        return current
    if current is not None:
        current.lifted_at = now
    row = AccessSuspension(subject=subject, reason=reason, ref=ref, since=since, until=until)
    session.add(row)
    session.flush()
    return row


def active_reason(session: Session, subject: str, at: datetime | None = None) -> str | None:
    """Why `subject` is refused now (a port ban before a lapsed screening), or None."""
    at = at or utcnow()
    found = list(
        session.scalars(
            select(AccessSuspension.reason).where(
                AccessSuspension.subject == subject,
                AccessSuspension.lifted_at.is_(None),
                AccessSuspension.since <= at,
                or_(AccessSuspension.until.is_(None), AccessSuspension.until > at),
            )
        )
    )
    if not found:
        return None
    return "port_ban" if "port_ban" in found else found[0]
