"""What insider's staff look-ups say about a person of the screening register: the look-ups on their
timeline, and banned people still at work (an account under a port ban that still looks up container data
gets an alert per ban). Insider reads the register; the register never reads look-ups (`flows.screening_sweep`
and `flows.person_timeline` join the two)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.cases import service as cases
from mainport.identity.principal import Principal
from mainport.insider.models import StaffLookup
from mainport.screening.models import Person, PortBan
from mainport.screening.service import require


def banned_seen(*, session: Session, actor: Principal, now: datetime) -> int:
    """A banned person whose account still looks up container data: an alert per ban (counted again)."""
    require(actor, "screening:write")  # the sweep's own right: the register's consequences
    raised = 0
    bans = session.execute(
        select(PortBan, Person)
        .join(Person, Person.id == PortBan.person_id)
        .where(PortBan.lifted_at.is_(None), PortBan.starts_at <= now, Person.account.is_not(None))
    ).all()
    for ban, person in bans:
        if ban.ends_at is not None and ban.ends_at <= now:
            continue
        seen = session.scalar(
            select(StaffLookup.at)
            .where(StaffLookup.username == person.account, StaffLookup.at >= ban.starts_at)
            .order_by(StaffLookup.at.desc())
            .limit(1)
        )
        if seen is None:
            continue
        cases.raise_alert(
            session=session,
            actor=actor,
            source="insider",
            kind="screening.banned_seen",
            hub=person.hub,
            severity=4,
            title=f"{person.alias} is under a port ban and looked up container data at {seen:%Y-%m-%d %H:%M}",
            detail={"person": person.alias, "ban": ban.id, "seen_at": seen.isoformat()},
            dedup_key=f"ban:{ban.id}",
        )
        raised += 1
    return raised


def lookup_events(
    *, session: Session, actor: Principal, account: str, limit: int = 200
) -> list[dict[str, Any]]:
    """The account's look-ups of container data, newest first, as timeline events."""
    require(actor, "screening:read")
    return [
        {
            "at": lk.at,
            "what": f"looked up {lk.kind}",
            "container": lk.container_number or lk.object or "",
            "where": lk.facility_code or lk.hub,
            "device": lk.device or "",
        }
        for lk in session.scalars(
            select(StaffLookup)
            .where(StaffLookup.username == account)
            .order_by(StaffLookup.at.desc())
            .limit(limit)
        )
    ]
