"""The scans list: every scan with its container's latest comparison (score, alert) and whether the pair
still waits for an officer's review (no outcome recorded). Government imaging users only; reads audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.database.sorting import Sort, like_term, order_by
from mainport.identity.principal import Principal
from mainport.imaging.models import ScanComparison, ScanPairOutcome
from mainport.shipments.models import Scan

SCAN_SORTS = ("scanned_at", "container", "phase", "place", "score")


@dataclass(frozen=True)
class ScanRow:
    id: int
    container_number: str
    phase: str
    unlocode: str
    scanner_id: str
    scanned_at: datetime
    comparison_id: int | None
    score: float | None
    alert_id: int | None
    reviewed: bool


def search_scans(
    *,
    session: Session,
    actor: Principal,
    q: str | None = None,
    phase: str | None = None,
    place: str | None = None,
    awaiting_review: bool = False,
    sort: Sort,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ScanRow], int]:
    actor.require("imaging:read")
    # The comparison a scan took part in (as origin or arrival); its latest one when there are several.
    latest = (
        select(func.max(ScanComparison.id))
        .where(or_(ScanComparison.arrival_scan_id == Scan.id, ScanComparison.origin_scan_id == Scan.id))
        .correlate(Scan)
        .scalar_subquery()
    )
    query = select(Scan, ScanComparison).outerjoin(ScanComparison, ScanComparison.id == latest)
    if phase:
        query = query.where(Scan.phase == phase)
    if place:
        query = query.where(Scan.unlocode == place.strip().upper())
    term = like_term(q)
    if term is not None:
        code = term.upper().replace(" ", "")
        query = query.where(
            or_(Scan.container_number.contains(code, autoescape=True), Scan.scanner_id == term)
        )
    reviewed = exists().where(ScanPairOutcome.comparison_id == ScanComparison.id)
    if awaiting_review:
        query = query.where(ScanComparison.id.is_not(None), ScanComparison.status == "done", ~reviewed)
    columns: dict[str, Any] = {
        "scanned_at": Scan.scanned_at,
        "container": Scan.container_number,
        "phase": Scan.phase,
        "place": Scan.unlocode,
        "score": ScanComparison.score,
    }
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    page = query.add_columns(reviewed).order_by(*order_by(sort, columns, Scan.id)).limit(limit).offset(offset)
    rows = []
    for s, c, done in session.execute(page):
        pair = (c.id, c.score, c.alert_id, bool(done)) if c is not None else (None, None, None, False)
        rows.append(ScanRow(s.id, s.container_number, s.phase, s.unlocode, s.scanner_id, s.scanned_at, *pair))
    audit.record(
        session=session,
        actor=actor,
        action="scan.search",
        entity_type="scan",
        entity_id="*",
        detail={"q": q, "phase": phase, "place": place, "awaiting": awaiting_review, "returned": len(rows)},
    )
    return rows, total
