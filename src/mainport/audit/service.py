"""Write and verify the audit chain. Callers own the transaction."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mainport.audit.models import AuditEntry, AuditHead
from mainport.database import utcnow

if TYPE_CHECKING:
    from mainport.identity.principal import Principal

GENESIS = "0" * 64


def entry_hash(
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    actor_org: str,
    action: str,
    entity_type: str,
    entity_id: str,
    detail: dict[str, Any],
) -> str:
    payload = json.dumps(
        [
            prev_hash,
            seq,
            at.isoformat(timespec="microseconds"),
            actor,
            actor_org,
            action,
            entity_type,
            entity_id,
            detail,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _lock_chain(session: Session) -> None:
    # Two writers must not both extend the same head: serialise on PostgreSQL; SQLite writers are serial.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(724201)"))


def record(
    *,
    session: Session,
    actor: Principal,
    action: str,
    entity_type: str,
    entity_id: str,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain (flushes; the caller commits)."""
    _lock_chain(session)
    head = session.get(AuditHead, 1)
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
    at = utcnow()
    clean = json.loads(json.dumps(detail or {}, default=str))
    note = actor.audit_note(action, entity_type, clean)
    if note is not None:  # the sharing decision (category, agreement, owner) the entry relied on
        clean["sharing"] = note
    digest = entry_hash(prev, seq, at, actor.username, actor.org_code, action, entity_type, entity_id, clean)
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor=actor.username,
        actor_org=actor.org_code,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        detail=clean,
        prev_hash=prev,
        hash=digest,
    )
    session.add(entry)
    if head is None:
        session.add(AuditHead(id=1, seq=seq, hash=digest))
    else:
        head.seq, head.hash = seq, digest
    session.flush()
    return entry


@dataclass
class VerifyReport:
    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(*, session: Session, batch: int = 5000) -> VerifyReport:
    """Walk the chain in seq order; report altered, inserted, re-ordered or deleted entries."""
    report = VerifyReport()
    prev = GENESIS
    expected_seq = 1
    last_seq = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            break
        for e in rows:
            report.entries += 1
            if e.seq != expected_seq:
                report.problems.append(f"entries {expected_seq}..{e.seq - 1} are missing (deleted)")
            if e.prev_hash != prev:
                report.problems.append(f"entry {e.seq}: link to previous entry broken")
            recomputed = entry_hash(
                e.prev_hash, e.seq, e.at, e.actor, e.actor_org, e.action, e.entity_type, e.entity_id, e.detail
            )
            if recomputed != e.hash:
                report.problems.append(f"entry {e.seq}: content does not match its hash (altered)")
            prev = e.hash
            expected_seq = e.seq + 1
            last_seq = e.seq
        session.expunge_all()
    report.head_seq = last_seq
    report.head_hash = prev
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != last_seq or head.hash != prev):
        report.problems.append(
            f"head says seq {head.seq} but the chain ends at {last_seq} (entries removed from the end?)"
        )
    if head is None and report.entries:
        report.problems.append("audit head missing")
    return report


def verify_for(*, session: Session, actor: Principal) -> VerifyReport:
    actor.require("audit:read")
    return verify(session=session)


def list_entries(
    *, session: Session, actor: Principal, limit: int = 100, offset: int = 0
) -> list[AuditEntry]:
    actor.require("audit:read")
    return list(
        session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit).offset(offset))
    )
