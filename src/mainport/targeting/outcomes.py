"""Targeting's reads and outcomes: a declaration with why it was selected, an inspection's outcome (which
flows back to training), hit rates per strategy."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit.service import record
from mainport.errors import NotFound
from mainport.identity.principal import Principal
from mainport.shipments.models import ContainerEvent, Declaration, Inspection
from mainport.targeting import learning
from mainport.targeting.frames import known_hub
from mainport.targeting.models import Selection, SelectionItem


def declaration_detail(*, session: Session, actor: Principal, declaration_id: int) -> dict[str, Any]:
    """The declaration, why it was selected, its container journey (events) and the inspections so far."""
    actor.require("intel:read")
    actor.require("declarations:read")
    decl = session.get(Declaration, declaration_id)
    if decl is None:
        raise NotFound(f"declaration {declaration_id} not found")
    items = session.scalars(
        select(SelectionItem)
        .where(SelectionItem.declaration_id == declaration_id)
        .order_by(SelectionItem.id.desc())
    ).all()
    events = (
        session.scalars(
            select(ContainerEvent)
            .where(ContainerEvent.equipment_reference == decl.container_number)
            .order_by(ContainerEvent.event_datetime)
        ).all()
        if decl.container_number
        else []
    )
    inspections = session.scalars(
        select(Inspection)
        .where(Inspection.declaration_id == declaration_id)
        .order_by(Inspection.inspected_at)
    ).all()
    record(
        session=session,
        actor=actor,
        action="targeting.declaration.view",
        entity_type="declaration",
        entity_id=str(declaration_id),
    )
    return {
        "declaration": decl,
        "items": list(items),
        "events": list(events),
        "inspections": list(inspections),
    }


def hit_rates(*, session: Session, actor: Principal, hub: str | None = None) -> dict[str, Any]:
    """Hit rate per strategy, and the unbiased random-audit estimate."""
    actor.require("intel:read")
    q = (
        select(
            SelectionItem.strategy,
            SelectionItem.propensity,
            Inspection.result == "found",
            Inspection.kg_found,
        )
        .join(Inspection, Inspection.id == SelectionItem.inspection_id)
        .join(Selection)
    )
    if hub:
        q = q.where(Selection.hub == known_hub(hub))
    frame = pd.DataFrame(session.execute(q).all(), columns=["strategy", "propensity", "found", "kg"])
    by = frame.groupby("strategy")["found"].agg(["count", "sum"]).to_dict("index") if len(frame) else {}
    audit = learning.random_audit_hit_rate(frame) if len(frame) else learning.wilson(0, 0)
    return {
        "by_strategy": {k: {"inspected": int(v["count"]), "found": int(v["sum"])} for k, v in by.items()},
        "random_audit_estimate": {"value": audit.value, "low": audit.low, "high": audit.high, "n": audit.n},
    }
