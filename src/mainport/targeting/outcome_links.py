"""An inspection closes the selection item that asked for it: that link is what the hit rates per strategy,
the random-audit estimate and retraining (weighted by the item's propensity) learn from. Called by
``mainport.flows`` for every recorded outcome, one at a time or a feed's batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit.service import record
from mainport.database import chunks
from mainport.identity.principal import Principal
from mainport.targeting.models import Selection, SelectionItem


@dataclass(frozen=True)
class InspectedDeclaration:
    inspection_id: int
    declaration_id: int
    inspected_at: datetime


def link_inspections(
    *,
    session: Session,
    actor: Principal,
    inspections: Sequence[InspectedDeclaration],
    selected_before: bool = False,
) -> dict[int, int]:
    """Link each inspection to the newest open item (no inspection yet) selecting its declaration; with
    ``selected_before`` only items of a selection for the inspection's day or earlier (a feed reports
    inspections customs made on its own account too: one made before the box was selected is not the
    selection's outcome). Returns inspection id -> selection item id; one audit entry per batch."""
    actor.require("intel:write")
    if not inspections:
        return {}
    open_items: dict[int, list[tuple[SelectionItem, date]]] = {}
    for chunk in chunks(sorted({i.declaration_id for i in inspections})):
        rows = session.execute(
            select(SelectionItem, Selection.day)
            .join(Selection, Selection.id == SelectionItem.selection_id)
            .where(SelectionItem.declaration_id.in_(chunk), SelectionItem.inspection_id.is_(None))
            .order_by(SelectionItem.id.desc())
        )
        for item, day in rows:
            open_items.setdefault(item.declaration_id, []).append((item, day))
    links: dict[int, int] = {}
    for insp in sorted(inspections, key=lambda i: (i.inspected_at, i.inspection_id)):
        candidates = open_items.get(insp.declaration_id, [])
        for n, (item, day) in enumerate(candidates):
            if selected_before and day > insp.inspected_at.date():
                continue
            item.inspection_id = insp.inspection_id
            links[insp.inspection_id] = item.id
            del candidates[n]
            break
    if links:
        session.flush()
        record(
            session=session,
            actor=actor,
            action="targeting.outcome.link",
            entity_type="selection_item",
            entity_id=",".join(str(i) for i in sorted(links.values()))[:200],
            detail={"links": {str(k): v for k, v in sorted(links.items())}},
        )
    return links


def pending_kind(*, session: Session, actor: Principal, declaration_id: int) -> str | None:
    """The kind of check (scan or physical) the newest open selection item of a declaration asked for."""
    actor.require("intel:read")
    return session.scalar(
        select(SelectionItem.kind)
        .where(SelectionItem.declaration_id == declaration_id, SelectionItem.inspection_id.is_(None))
        .order_by(SelectionItem.id.desc())
        .limit(1)
    )
