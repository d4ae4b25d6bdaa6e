"""The selections list: every hub-day selection with how many it selected and how many outcomes came back
(and found), newest first or as sorted; government intelligence users only, the read audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.database.sorting import Sort, order_by
from mainport.identity.principal import Principal
from mainport.shipments.models import Inspection
from mainport.targeting.models import ModelVersion, Selection, SelectionItem

SELECTION_SORTS = ("day", "hub", "selected", "recorded", "found", "candidates")


@dataclass(frozen=True)
class SelectionRow:
    id: int
    hub: str
    day: date
    strategy: str
    candidates: int
    selected: int
    recorded: int
    found: int
    created_by: str
    created_at: datetime


def search_selections(
    *,
    session: Session,
    actor: Principal,
    hub: str | None = None,
    since: date | None = None,
    until: date | None = None,
    sort: Sort,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[SelectionRow], int]:
    actor.require("intel:read")
    counts = (
        select(
            SelectionItem.selection_id.label("sid"),
            func.count().label("selected"),
            func.count(SelectionItem.inspection_id).label("recorded"),
            func.sum(case((Inspection.result == "found", 1), else_=0)).label("found"),
        )
        .outerjoin(Inspection, Inspection.id == SelectionItem.inspection_id)
        .group_by(SelectionItem.selection_id)
        .subquery()
    )
    query = select(
        Selection,
        func.coalesce(counts.c.selected, 0),
        func.coalesce(counts.c.recorded, 0),
        func.coalesce(counts.c.found, 0),
    ).outerjoin(counts, counts.c.sid == Selection.id)
    if hub:
        query = query.where(Selection.hub == hub)
    if since:
        query = query.where(Selection.day >= since)
    if until:
        query = query.where(Selection.day <= until)
    columns: dict[str, Any] = {
        "day": Selection.day,
        "hub": Selection.hub,
        "selected": counts.c.selected,
        "recorded": counts.c.recorded,
        "found": counts.c.found,
        "candidates": Selection.candidates,
    }
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    page = query.order_by(*order_by(sort, columns, Selection.id)).limit(limit).offset(offset)
    rows = [
        SelectionRow(s.id, s.hub, s.day, s.strategy, s.candidates, int(n), int(r), int(f), s.created_by,
                     s.created_at)
        for s, n, r, f in session.execute(page)
    ]  # fmt: skip
    audit.record(
        session=session,
        actor=actor,
        action="targeting.selection.search",
        entity_type="selection",
        entity_id="*",
        detail={"hub": hub, "since": str(since or ""), "until": str(until or ""), "returned": len(rows)},
    )
    return rows, total


def list_models(*, session: Session, actor: Principal, limit: int = 20) -> list[ModelVersion]:
    """Trained risk models, newest first (which one scores is `active`); targeting administrators only."""
    actor.require("targeting:admin")
    rows = list(session.scalars(select(ModelVersion).order_by(ModelVersion.id.desc()).limit(limit)))
    audit.record(
        session=session, actor=actor, action="targeting.models.read", entity_type="model", entity_id="*"
    )
    return rows
