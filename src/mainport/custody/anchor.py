"""Gate decisions made tamper-evident in batches: a digest of every decision since the last anchor goes into
the audit chain as one entry. The gate itself takes no audit lock (it would serialise every gate in the port);
``verify_anchors`` recomputes the digests and reports altered, deleted or late-inserted decisions.

Run ``anchor_decisions`` every minute (``mainport custody anchor-gate``); it is safe to re-run."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.audit.models import AuditEntry
from mainport.custody.models import GateDecision
from mainport.database import utcnow
from mainport.identity.principal import Principal

ACTION = "gate.anchor"
# Decisions younger than this may still be in flight in another transaction; they wait for the next anchor.
SETTLE = timedelta(seconds=10)


def _digest(rows: list[GateDecision]) -> str:
    h = hashlib.sha256()
    for d in rows:
        h.update(
            json.dumps(
                [
                    d.id,
                    d.at.isoformat(timespec="microseconds"),
                    d.facility_code,
                    d.asked_by,
                    d.container_number,
                    d.carrier_id,
                    d.driver_id,
                    d.right_id,
                    d.allowed,
                    d.reason,
                ],
                separators=(",", ":"),
            ).encode()
        )
    return h.hexdigest()


def _anchors(session: Session) -> list[AuditEntry]:
    return list(
        session.scalars(select(AuditEntry).where(AuditEntry.action == ACTION).order_by(AuditEntry.seq))
    )


def _range(session: Session, first: int, last: int) -> list[GateDecision]:
    return list(
        session.scalars(
            select(GateDecision)
            .where(GateDecision.id >= first, GateDecision.id <= last)
            .order_by(GateDecision.id)
        )
    )


def anchor_decisions(*, session: Session, actor: Principal, now: datetime | None = None) -> AuditEntry | None:
    """Anchor all settled decisions after the last anchor; None when there is nothing new."""
    actor.require("custody:write")
    anchors = _anchors(session)
    after = int(anchors[-1].detail["to_id"]) if anchors else 0
    cutoff = (now or utcnow()) - SETTLE
    last = session.scalar(
        select(GateDecision.id)
        .where(GateDecision.id > after, GateDecision.at <= cutoff)
        .order_by(GateDecision.id.desc())
        .limit(1)
    )
    if last is None:
        return None
    rows = _range(session, after + 1, last)
    return audit.record(
        session=session,
        actor=actor,
        action=ACTION,
        entity_type="gate_decision",
        entity_id=f"{after + 1}-{last}",
        detail={"from_id": after + 1, "to_id": last, "count": len(rows), "digest": _digest(rows)},
    )


@dataclass
class AnchorReport:
    anchors: int = 0
    decisions: int = 0
    unanchored: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_anchors(*, session: Session, actor: Principal) -> AnchorReport:
    actor.require("audit:read")
    report = AnchorReport()
    covered = 0
    for entry in _anchors(session):
        first, last = int(entry.detail["from_id"]), int(entry.detail["to_id"])
        rows = _range(session, first, last)
        report.anchors += 1
        report.decisions += len(rows)
        if len(rows) != entry.detail["count"]:
            report.problems.append(
                f"decisions {first}-{last}: {len(rows)} rows, anchored {entry.detail['count']} "
                "(deleted or added)"
            )
        elif _digest(rows) != entry.detail["digest"]:
            report.problems.append(f"decisions {first}-{last}: content does not match the anchor (altered)")
        covered = last
    report.unanchored = len(list(session.scalars(select(GateDecision.id).where(GateDecision.id > covered))))
    return report
