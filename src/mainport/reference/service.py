"""Seed and read the reference tables. Reference data is public: any authenticated principal may read it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit.service import record
from mainport.identity.principal import Principal, system_principal
from mainport.reference.locations import LOCATIONS, SITES
from mainport.reference.models import HubNode, LocationRecord
from mainport.reference.nodes import NODES


def _upsert(session: Session, model: type[Any], key: str, key_value: str, values: dict[str, Any]) -> bool:
    """Insert or update one row; True if anything changed."""
    row = session.scalars(select(model).where(getattr(model, key) == key_value)).one_or_none()
    if row is None:
        session.add(model(**{key: key_value}, **values))
        return True
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def seed_reference(*, session: Session, actor: Principal | None = None) -> int:
    """Write the hubs and locations from the pure modules; idempotent. Returns rows inserted or updated."""
    touched = 0
    for n in NODES.values():
        values = {"name": n.name, "kind": n.kind, "budget_eur_m": n.budget_eur_m_per_year}
        touched += _upsert(session, HubNode, "code", n.code, values)
    places = {**LOCATIONS, **SITES}  # site ids (SCHIPHOL) are stored under their own key
    for key, loc in places.items():
        values = {
            "name": loc.name,
            "country": loc.country,
            "kind": loc.kind,
            "role": loc.role,
            "node_code": loc.node,
            "lat": loc.lat,
            "lon": loc.lon,
        }
        touched += _upsert(session, LocationRecord, "unlocode", key, values)
    session.flush()
    if touched:  # a no-op re-seed leaves no audit noise
        who = actor or system_principal()
        record(
            session=session,
            actor=who,
            action="reference.seed",
            entity_type="reference",
            entity_id="nodes+locations",
            detail={"rows": touched},
        )
    return touched


def list_nodes(*, session: Session, actor: Principal) -> list[HubNode]:
    # No permission check beyond authentication: hub names and budgets are published in the plan.
    del actor
    return list(session.scalars(select(HubNode).order_by(HubNode.budget_eur_m.desc(), HubNode.code)))


def list_locations(
    *, session: Session, actor: Principal, role: str | None = None, node_code: str | None = None
) -> list[LocationRecord]:
    del actor
    query = select(LocationRecord).order_by(LocationRecord.unlocode)
    if role is not None:
        query = query.where(LocationRecord.role == role)
    if node_code is not None:
        query = query.where(LocationRecord.node_code == node_code)
    return list(session.scalars(query))
