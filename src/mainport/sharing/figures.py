"""Sharing figures per owner-partner pair, category and month, as the plan commits to measuring: records
shared and disclosures (audited reads and changes under an agreement of another owner), requests and
refusals. Built from the audit log, the record of what happened, and stored per month by a job."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select, true
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.audit.models import AuditEntry
from mainport.errors import ValidationFailed
from mainport.identity.principal import Principal
from mainport.sharing.models import SharingFigure
from mainport.sharing.pdp import ENTITY_CATEGORY

REQUEST_ACTIONS = {"sharing.request.ask": "requests", "sharing.request.refuse": "refusals"}


def month_bounds(month: str) -> tuple[datetime, datetime]:
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise ValidationFailed(f"month: {month!r} is not YYYY-MM") from None
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


@dataclass
class Figure:
    month: str
    owner_org: str
    partner_org: str
    category: str
    records: int = 0
    disclosures: int = 0
    requests: int = 0
    refusals: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _entries(session: Session, start: datetime, end: datetime) -> Iterator[AuditEntry]:
    relevant = or_(
        AuditEntry.entity_type.in_(sorted(ENTITY_CATEGORY)), AuditEntry.action.in_(sorted(REQUEST_ACTIONS))
    )
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.at >= start, AuditEntry.at < end, relevant)
        .order_by(AuditEntry.seq)
        .execution_options(yield_per=2000)
    )
    yield from session.scalars(stmt)


def compute(session: Session, month: str) -> list[Figure]:
    """The month's figures from the audit log (no permission check: the job and `figures` call it)."""
    start, end = month_bounds(month)
    out: dict[tuple[str, str, str], Figure] = {}

    def fig(owner: str, partner: str, category: str) -> Figure:
        key = (owner, partner, category)
        if key not in out:
            out[key] = Figure(month, owner, partner, category)
        return out[key]

    for e in _entries(session, start, end):
        d = e.detail or {}
        counter = REQUEST_ACTIONS.get(e.action)
        if counter is not None:
            f = fig(str(d.get("owner")), str(d.get("partner")), str(d.get("category")))
            setattr(f, counter, getattr(f, counter) + 1)
            continue
        note = d.get("sharing")
        if not isinstance(note, dict) or note.get("decision") != "permit" or note.get("internal"):
            continue
        owner = str(note.get("owner"))
        if owner == e.actor_org:
            continue
        f = fig(owner, e.actor_org, str(note.get("category")))
        f.records += int(note.get("records") or 0)
        f.disclosures += 1
    return sorted(out.values(), key=lambda f: (f.owner_org, f.partner_org, f.category))


def store(session: Session, month: str) -> int:
    """Rebuild the month's stored figures (idempotent: the same month twice gives the same rows)."""
    rows = compute(session, month)
    session.execute(delete(SharingFigure).where(SharingFigure.month == month))
    session.add_all(SharingFigure(**f.as_dict()) for f in rows)
    session.flush()
    return len(rows)


def _visible(actor: Principal) -> ColumnElement[bool]:
    if actor.is_system or actor.is_government:
        return true()
    return or_(SharingFigure.owner_org == actor.org_code, SharingFigure.partner_org == actor.org_code)


def figures(*, session: Session, actor: Principal, month: str | None = None) -> list[SharingFigure]:
    """Stored figures: government sees every pair, a private party the pairs it is part of."""
    actor.require("monitoring:read")
    stmt = select(SharingFigure).where(_visible(actor))
    if month is not None:
        month_bounds(month)
        stmt = stmt.where(SharingFigure.month == month)
    rows = list(
        session.scalars(
            stmt.order_by(
                SharingFigure.month.desc(),
                SharingFigure.owner_org,
                SharingFigure.partner_org,
                SharingFigure.category,
            )
        )
    )
    audit.record(
        session=session,
        actor=actor,
        action="sharing.figures.read",
        entity_type="sharing_figure",
        entity_id=month or "*",
        detail={"returned": len(rows)},
    )
    return rows


def totals(rows: list[SharingFigure]) -> dict[str, dict[str, int]]:
    """Per month: the sums over pairs and categories (for the dashboard and the report)."""
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        t = out.setdefault(
            r.month, {"records": 0, "disclosures": 0, "requests": 0, "refusals": 0, "pairs": 0}
        )
        t["records"] += r.records
        t["disclosures"] += r.disclosures
        t["requests"] += r.requests
        t["refusals"] += r.refusals
        t["pairs"] += 1
    return out


def months_between(start: datetime, end: datetime) -> list[str]:
    """The months (YYYY-MM) that [start, end) touches."""
    out, y, m = [], start.year, start.month
    while datetime(y, m, 1, tzinfo=UTC) < end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def for_period(*, session: Session, actor: Principal, start: datetime, end: datetime) -> list[Figure]:
    """The figures of the months a period touches, computed from the audit log now (the periodic report):
    government sees every pair, others the pairs they are part of."""
    actor.require("monitoring:read")
    rows = [f for month in months_between(start, end) for f in compute(session, month)]
    if actor.is_system or actor.is_government:
        return rows
    return [f for f in rows if actor.org_code in (f.owner_org, f.partner_org)]
