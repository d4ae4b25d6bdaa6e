"""Read side of the shipment journey: overview per hub, searchable lists, a container's timeline.

Visibility (need-to-know, decided in `mainport.identity.policy`): government partners see declarations and
every container; a private party sees only the containers tied to it and, of their events, those it may see
(never inspection events).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, or_, select, text
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.database import chunks
from mainport.errors import NotFound
from mainport.identity import policy
from mainport.identity.principal import Principal
from mainport.shipments.models import Container, ContainerEvent, Declaration, Inspection, Seizure


@dataclass(frozen=True)
class Recorded:
    """What a bulk write stored: the new rows' ids (in the order given) and how many were duplicates."""

    ids: list[int]
    duplicates: int

    @property
    def stored(self) -> int:
        return len(self.ids)


@dataclass
class HubCounts:
    hub: str
    declarations: int
    containers: int
    events: int


def overview(*, session: Session, actor: Principal) -> dict[str, Any]:
    """Counts per hub; declarations only for partners that may see them (the overview page adds the open
    quarantine: `flows.hub_overview`)."""
    actor.require("overview:read")
    hubs: dict[str, dict[str, int]] = {}

    def add(rows: Any, key: str) -> None:
        for hub, n in rows:
            hubs.setdefault(hub or "abroad", {"declarations": 0, "containers": 0, "events": 0})[key] = n

    if actor.can("declarations:read"):
        add(session.execute(select(Declaration.hub, func.count()).group_by(Declaration.hub)), "declarations")
    # Counts of what the actor may see (everything for government: no condition then).
    shown = policy.visible_events(actor)
    event_q = select(ContainerEvent.hub, func.count()).where(shown).group_by(ContainerEvent.hub)
    cont_q = (
        select(ContainerEvent.hub, func.count(func.distinct(ContainerEvent.equipment_reference)))
        .where(shown)
        .group_by(ContainerEvent.hub)
    )
    add(session.execute(event_q), "events")
    add(session.execute(cont_q), "containers")
    return {
        "hubs": [HubCounts(hub=h, **v) for h, v in sorted(hubs.items())],
        "shows_declarations": actor.can("declarations:read"),
    }


def search_declarations(
    *,
    session: Session,
    actor: Principal,
    q: str | None = None,
    hub: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Declaration], int]:
    actor.require("declarations:read")
    stmt = select(Declaration)
    if hub:
        stmt = stmt.where(Declaration.hub == hub)
    if q:
        term = q.strip().upper()
        stmt = stmt.where(
            or_(
                Declaration.reference == q.strip(),
                Declaration.container_number == term,
                Declaration.bill_of_lading == q.strip(),
                # autoescape: '%' and '_' in the query are characters, not wildcards
                Declaration.hs_code.startswith(q.strip(), autoescape=True),
                Declaration.place_of_loading == term,
            )
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Declaration.filed_at.desc()).limit(limit).offset(offset)).all()
    audit.record(
        session=session,
        actor=actor,
        action="declaration.search",
        entity_type="declaration",
        entity_id="*",
        detail={"q": q, "hub": hub, "returned": len(rows)},
    )
    return list(rows), total


def get_declaration(*, session: Session, actor: Principal, declaration_id: int) -> Declaration:
    actor.require("declarations:read")
    decl = session.get(Declaration, declaration_id)
    if decl is None:
        raise NotFound(f"no declaration {declaration_id}")
    audit.record(
        session=session,
        actor=actor,
        action="declaration.read",
        entity_type="declaration",
        entity_id=str(declaration_id),
    )
    return decl


def search_containers(
    *, session: Session, actor: Principal, q: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Container], int]:
    actor.require("containers:read")
    stmt = select(Container).where(policy.containers(actor, Container.number))
    if q:
        prefix = q.strip().upper().replace(" ", "")
        stmt = stmt.where(Container.number.startswith(prefix, autoescape=True))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Container.number).limit(limit).offset(offset)).all()
    return list(rows), total


@dataclass
class Journey:
    container: Container
    events: list[ContainerEvent]
    declarations: list[Declaration]


def container_journey(*, session: Session, actor: Principal, number: str) -> Journey:
    """The container and the events the actor may see, in time order (plus declarations for government)."""
    actor.require("containers:read")
    number = number.strip().upper().replace(" ", "")[:20]
    stmt = select(Container).where(Container.number == number, policy.containers(actor, Container.number))
    container = session.scalar(stmt)
    if container is None:
        # Same answer whether it does not exist or is outside the caller's view: no oracle.
        raise NotFound(f"no container {number}")
    events = list(
        session.scalars(
            select(ContainerEvent)
            .where(ContainerEvent.equipment_reference == number, policy.events(actor))
            .order_by(ContainerEvent.event_datetime, ContainerEvent.id)
        )
    )
    declarations: list[Declaration] = []
    if actor.can("declarations:read"):
        declarations = list(
            session.scalars(
                select(Declaration)
                .where(Declaration.container_number == number)
                .order_by(Declaration.filed_at)
            )
        )
    audit.record(
        session=session,
        actor=actor,
        action="container.journey.read",
        entity_type="container",
        entity_id=number,
        detail={"events": len(events), "declarations": len(declarations)},
    )
    return Journey(container=container, events=events, declarations=declarations)


# --- inspections and seizures from feeds (ingest) ----------------------------------------------------------

# Writers of inspections and seizures on PostgreSQL hold this transaction lock from the look-up of what is
# stored to the insert: the tables have no unique key (the same record is recognised by its fields), so two
# feeds of overlapping records at once would otherwise both insert them. SQLite writers are serial.
OUTCOME_WRITERS_LOCK = 724203


def inspections_by_id(
    *, session: Session, actor: Principal, inspection_ids: Sequence[int]
) -> list[Inspection]:
    """Stored inspections by id (a feed's new rows, for the consequences of their outcomes)."""
    actor.require("intel:read")
    out: list[Inspection] = []
    for chunk in chunks(sorted(set(inspection_ids))):
        out.extend(session.scalars(select(Inspection).where(Inspection.id.in_(chunk))))
    return out


def _inspection_key(r: Any) -> tuple[Any, ...]:
    return (r["hub"], r["kind"], r["inspected_at"], r["container_number"], r["declaration_id"])


def _seizure_key(r: Any) -> tuple[Any, ...]:
    return (
        r["hub"],
        r["seized_at"],
        r["drug"],
        round(r["kg"], 3),
        r["modus_operandi"],
        r["container_number"],
    )


def _store_new(
    session: Session,
    actor: Principal,
    *,
    model: type[Inspection] | type[Seizure],
    rows: Sequence[Mapping[str, Any]],
    key: Callable[[Any], tuple[Any, ...]],  # a validated row or a stored row's mapping
    key_columns: tuple[str, ...],
    time_column: str,
    make_row: Callable[[Mapping[str, Any]], dict[str, Any]],
    action: str,
    source: str,
) -> Recorded:
    """Insert the rows whose `key` is neither stored (looked up by `time_column`, in chunks) nor repeated in
    `rows`; one audit entry for the batch."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": OUTCOME_WRITERS_LOCK})
    existing: set[tuple[Any, ...]] = set()
    times = sorted({r[time_column] for r in rows})
    columns = [getattr(model, c) for c in key_columns]
    for chunk in chunks(times):
        for found in session.execute(select(*columns).where(getattr(model, time_column).in_(chunk))):
            existing.add(key(found._mapping))
    new = []
    for r in rows:
        k = key(r)
        if k in existing:
            continue
        existing.add(k)
        new.append(make_row(r))
    ids: list[int] = []
    if new:
        ids = list(session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), new))
    audit.record(
        session=session,
        actor=actor,
        action=action,
        entity_type=model.__tablename__,
        entity_id=source[:200],
        detail={"stored": len(new), "duplicates": len(rows) - len(new)},
    )
    return Recorded(ids, len(rows) - len(new))


def record_inspections(
    *, session: Session, actor: Principal, rows: Sequence[Mapping[str, Any]], source: str
) -> Recorded:
    """Store inspections reported by customs (validated rows: container_number, declaration_id, hub, kind,
    inspected_at, result, kg_found); the same inspection (hub, kind, time, container, declaration) already
    stored or repeated is a duplicate. No seizure is derived: seizures are reported on their own
    (`record_seizures`); the consequences of an outcome (selection item, custody, case) are the caller's
    (`flows.inspections_recorded`)."""
    actor.require("intel:write")
    return _store_new(
        session,
        actor,
        model=Inspection,
        rows=rows,
        key=_inspection_key,
        key_columns=("hub", "kind", "inspected_at", "container_number", "declaration_id"),
        time_column="inspected_at",
        make_row=lambda r: {
            "container_number": r["container_number"],
            "declaration_id": r["declaration_id"],
            "hub": r["hub"],
            "kind": r["kind"],
            "inspected_at": r["inspected_at"],
            "result": r["result"],
            "kg_found": r["kg_found"],
            "recorded_by": actor.username[:64],
            "notes": r.get("notes") or "",
        },
        action="inspection.record",
        source=source,
    )


def record_seizures(
    *, session: Session, actor: Principal, rows: Sequence[Mapping[str, Any]], source: str
) -> Recorded:
    """Store seizures known to the authorities (validated rows: hub, seized_at, drug, kg, modus_operandi,
    container_number; optional declaration_id and found_by to link the inspection that found it).

    The same seizure (hub, time, drug, kg, modus operandi, container) already stored or repeated is a
    duplicate. A seizure found by inspection is linked to the stored 'found' inspection of the same hub,
    time and declaration (or container)."""
    actor.require("intel:write")
    links = _found_inspections(session, [r for r in rows if r.get("found_by") == "inspection"])
    return _store_new(
        session,
        actor,
        model=Seizure,
        rows=rows,
        key=_seizure_key,
        key_columns=("hub", "seized_at", "drug", "kg", "modus_operandi", "container_number"),
        time_column="seized_at",
        make_row=lambda r: {
            "inspection_id": links.get((r["hub"], r["seized_at"], r.get("declaration_id")))
            or links.get((r["hub"], r["seized_at"], r["container_number"])),
            "hub": r["hub"],
            "seized_at": r["seized_at"],
            "drug": r["drug"],
            "kg": r["kg"],
            "modus_operandi": r["modus_operandi"],
            "container_number": r["container_number"],
        },
        action="seizure.record",
        source=source,
    )


def _found_inspections(session: Session, rows: Sequence[Mapping[str, Any]]) -> dict[tuple[Any, ...], int]:
    """(hub, time, declaration id) and (hub, time, container) -> id of a stored 'found' inspection."""
    out: dict[tuple[Any, ...], int] = {}
    times = sorted({r["seized_at"] for r in rows})
    for chunk in chunks(times):
        for id_, hub, at, decl_id, number in session.execute(
            select(
                Inspection.id,
                Inspection.hub,
                Inspection.inspected_at,
                Inspection.declaration_id,
                Inspection.container_number,
            )
            .where(Inspection.inspected_at.in_(chunk), Inspection.result == "found")
            .order_by(Inspection.id)
        ):
            if decl_id is not None:
                out.setdefault((hub, at, decl_id), id_)
            if number is not None:
                out.setdefault((hub, at, number), id_)
    return out
