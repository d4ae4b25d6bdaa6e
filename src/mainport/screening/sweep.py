"""The screening sweep (a recurring job): re-judge every person in a high-risk role, warn 30 days before a
certificate runs out, flag banned people seen in the access logs, and delete what is past its retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.cases import service as cases
from mainport.identity.principal import Principal
from mainport.screening.models import Certificate, Person, PortBan, RevealRequest
from mainport.screening.service import EXPIRY_NOTICE, judge, require

# Certificates and bans are kept this long after they ended, reveal requests this long after they were made.
RETENTION = timedelta(days=2 * 365)


@dataclass
class SweepResult:
    judged: int = 0
    lapsed: int = 0
    expiring: int = 0
    banned_seen: int = 0  # counted by insider.bans (flows.screening_sweep): its look-ups, not the register's


def sweep(*, session: Session, actor: Principal, now: datetime) -> SweepResult:
    require(actor, "screening:write")
    out = SweepResult()
    for person in session.scalars(select(Person).order_by(Person.id)):
        found = judge(session=session, actor=actor, person=person, now=now)
        out.judged += 1
        out.lapsed += found.status == "screening_lapsed"
    rows = session.execute(
        select(Certificate, Person)
        .join(Person, Person.id == Certificate.person_id)
        .where(
            Certificate.withdrawn_at.is_(None),
            Certificate.valid_until > now,
            Certificate.valid_until <= now + EXPIRY_NOTICE,
            Person.role_code.is_not(None),
        )
    ).all()
    for cert, person in rows:
        renewed = session.scalar(
            select(Certificate.id).where(
                Certificate.person_id == person.id,
                Certificate.kind == cert.kind,
                Certificate.withdrawn_at.is_(None),
                Certificate.valid_until > cert.valid_until,
            )
        )
        if renewed is not None:
            continue
        cases.raise_alert(
            session=session,
            actor=actor,
            source="insider",
            kind="screening.expiring",
            hub=person.hub,
            severity=1,
            title=f"{person.alias} ({person.employer_org}): {cert.kind} runs out on "
            f"{cert.valid_until:%Y-%m-%d}",
            detail={"person": person.alias, "certificate": cert.id, "kind": cert.kind},
            dedup_key=f"cert:{cert.id}",
        )
        out.expiring += 1
    return out


def _deleted(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def purge(*, session: Session, actor: Principal, now: datetime) -> dict[str, int]:
    """Retention: certificates and bans that ended more than RETENTION ago, old reveal requests."""
    require(actor, "screening:write")
    cutoff = now - RETENTION
    certs = _deleted(session.execute(delete(Certificate).where(Certificate.valid_until < cutoff)))
    bans = _deleted(
        session.execute(delete(PortBan).where(PortBan.ends_at.is_not(None), PortBan.ends_at < cutoff))
    )
    reveals = _deleted(session.execute(delete(RevealRequest).where(RevealRequest.requested_at < cutoff)))
    result = {"certificates": certs, "bans": bans, "reveals": reveals}
    audit.record(
        session=session,
        actor=actor,
        action="screening.purge",
        entity_type="screening",
        entity_id=f"before {cutoff.isoformat()}",
        detail=result,
    )
    return result
