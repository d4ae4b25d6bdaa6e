"""Reads of the register: the list of people, one person's timeline, the certificate expiry board.

Each read is audited (who looked at which people). Names never appear here: only aliases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.custody.models import AccessSuspension, GateDecision
from mainport.database import utcnow
from mainport.errors import ValidationFailed
from mainport.identity import policy
from mainport.identity.principal import Principal
from mainport.screening.models import Certificate, Person, PortBan
from mainport.screening.service import get_person, require, verdict


def list_people(
    *,
    session: Session,
    actor: Principal,
    employer: str | None = None,
    status: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[list[Person], int]:
    require(actor, "screening:read")
    if not 1 <= limit <= 5000 or offset < 0:
        raise ValidationFailed("limit must be 1-5000 and offset >= 0")
    q = select(Person).where(policy.people(actor, Person.employer_org, Person.hub))
    if employer:
        q = q.where(Person.employer_org == employer.strip())
    if status:
        q = q.where(Person.status == status.strip())
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    items = list(session.scalars(q.order_by(Person.employer_org, Person.alias).limit(limit).offset(offset)))
    audit.record(
        session=session,
        actor=actor,
        action="screening.people.read",
        entity_type="screening_person",
        entity_id=(employer or "-")[:200],
        detail={"status": status, "returned": len(items), "total": total},
    )
    return items, total


@dataclass
class Timeline:
    person: Person
    status: str
    missing: tuple[str, ...]
    lapse_at: datetime | None
    certificates: list[Certificate]
    bans: list[PortBan]
    suspensions: list[AccessSuspension]
    events: list[dict[str, Any]] = field(default_factory=list)  # look-ups and gate decisions, newest first


def timeline(*, session: Session, actor: Principal, alias: str, limit: int = 200) -> Timeline:
    """Everything the register and the logs hold about one person, newest first (audited)."""
    person = get_person(session=session, actor=actor, alias=alias)
    judged = verdict(session, person)
    certs = list(
        session.scalars(
            select(Certificate)
            .where(Certificate.person_id == person.id)
            .order_by(Certificate.valid_until.desc())
        )
    )
    bans = list(session.scalars(select(PortBan).where(PortBan.person_id == person.id).order_by(PortBan.id)))
    refs = [f"person:{person.id}", *(f"ban:{b.id}" for b in bans)]
    susp = list(
        session.scalars(
            select(AccessSuspension).where(AccessSuspension.ref.in_(refs)).order_by(AccessSuspension.id)
        )
    )
    events: list[dict[str, Any]] = []  # the account's look-ups are insider's: `flows.person_timeline`
    if person.gate_id:
        for d in session.scalars(
            select(GateDecision)
            .where(GateDecision.driver_id == person.gate_id)
            .order_by(GateDecision.at.desc())
            .limit(limit)
        ):
            events.append(
                {
                    "at": d.at,
                    "what": f"gate: {'allowed' if d.allowed else 'refused'} ({d.reason})",
                    "container": d.container_number,
                    "where": d.facility_code or "",
                    "device": "",
                }
            )
    events.sort(key=lambda e: e["at"], reverse=True)
    audit.record(
        session=session,
        actor=actor,
        action="screening.person.read",
        entity_type="screening_person",
        entity_id=person.alias,
        detail={"events": len(events)},
    )
    return Timeline(person, judged.status, judged.missing, judged.lapse_at, certs, bans, susp, events[:limit])


@dataclass(frozen=True)
class ExpiryRow:
    alias: str
    employer: str
    role: str | None
    kind: str
    valid_until: datetime
    days_left: int
    certificate_id: int


def expiry_board(*, session: Session, actor: Principal, within_days: int = 60) -> list[ExpiryRow]:
    """Certificates of visible people that run out within `within_days` (or ran out in the last 30), soonest
    first: the people to re-screen."""
    require(actor, "screening:read")
    if not 1 <= within_days <= 730:
        raise ValidationFailed("within_days must be 1..730")
    now = utcnow()
    rows = session.execute(
        select(Certificate, Person)
        .join(Person, Person.id == Certificate.person_id)
        .where(
            policy.people(actor, Person.employer_org, Person.hub),
            Certificate.withdrawn_at.is_(None),
            Certificate.valid_until <= now + timedelta(days=within_days),
            Certificate.valid_until > now - timedelta(days=30),
            or_(Person.role_code.is_not(None), Person.gate_id.is_not(None)),
        )
        .order_by(Certificate.valid_until, Person.alias)
        .limit(2000)
    ).all()
    out = [
        ExpiryRow(
            p.alias,
            p.employer_org,
            p.role_code,
            c.kind,
            c.valid_until,
            (c.valid_until - now).days,
            c.id,
        )
        for c, p in rows
    ]
    audit.record(
        session=session,
        actor=actor,
        action="screening.expiry.read",
        entity_type="screening_certificate",
        entity_id=f"within {within_days}d",
        detail={"returned": len(out)},
    )
    return out
