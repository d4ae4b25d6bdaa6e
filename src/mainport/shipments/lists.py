"""Declaration and container lists: filters, a chosen sort, a text search across what an analyst knows of a
shipment (reference, parties, goods, container, B/L, vessel, HS, places), and the entities linked to each
container (a page's "related" panel). Reads go through need-to-know (identity.policy) and are audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from mainport.audit import service as audit
from mainport.database.sorting import Sort, like_term, order_by, paged
from mainport.identity import policy
from mainport.identity.principal import Principal
from mainport.shipments.models import Container, ContainerEvent, Declaration, Party, Scan, Vessel

DECLARATION_SORTS: dict[str, Any] = {
    "filed_at": Declaration.filed_at,
    "reference": Declaration.reference,
    "hub": Declaration.hub,
    "loading": Declaration.place_of_loading,
    "hs": Declaration.hs_code,
    "kg": Declaration.gross_mass_kg,
    "container": Declaration.container_number,
}
CONTAINER_SORTS = ("number", "first_seen", "last_seen", "events", "size_type")


@dataclass(frozen=True)
class DeclarationFilter:
    q: str | None = None
    hub: str | None = None
    mode: str | None = None  # sea | air | road
    loading: str | None = None  # UN/LOCODE
    since: datetime | None = None
    until: datetime | None = None


def _contains(column: Any, term: str) -> Any:
    return func.lower(column).contains(term.lower(), autoescape=True)


def _declaration_text(term: str) -> Any:
    """Any field a person would search for: exact codes, prefixes of numbers, words of names and goods."""
    code = term.upper().replace(" ", "")
    parties = select(Party.id).where(or_(_contains(Party.name, term), Party.eori == code))
    vessels = select(Vessel.imo).where(_contains(Vessel.name, term))
    return or_(
        Declaration.reference == term,
        Declaration.reference.startswith(code, autoescape=True),
        Declaration.container_number.startswith(code, autoescape=True),
        Declaration.bill_of_lading == term,
        Declaration.hs_code.startswith(term, autoescape=True),
        Declaration.place_of_loading == code,
        Declaration.vessel_imo == code,
        Declaration.vessel_imo.in_(vessels),
        _contains(Declaration.goods_description, term),
        Declaration.consignor_id.in_(parties),
        Declaration.consignee_id.in_(parties),
        Declaration.notify_id.in_(parties),
    )


def declarations_query(f: DeclarationFilter) -> Any:
    query = select(Declaration)
    if f.hub:
        query = query.where(Declaration.hub == f.hub)
    if f.mode:
        query = query.where(Declaration.mode == f.mode)
    if f.loading:
        query = query.where(Declaration.place_of_loading == f.loading.strip().upper())
    if f.since:
        query = query.where(Declaration.filed_at >= f.since)
    if f.until:
        query = query.where(Declaration.filed_at < f.until)
    term = like_term(f.q)
    return query if term is None else query.where(_declaration_text(term))


def search_declarations(
    *,
    session: Session,
    actor: Principal,
    f: DeclarationFilter,
    sort: Sort,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Declaration], int]:
    actor.require("declarations:read")
    query = declarations_query(f).options(
        selectinload(Declaration.consignee), selectinload(Declaration.consignor)
    )
    rows, total = paged(session, query, sort, DECLARATION_SORTS, Declaration.id, limit, offset)
    audit.record(
        session=session,
        actor=actor,
        action="declaration.search",
        entity_type="declaration",
        entity_id="*",
        detail={**{k: str(v) for k, v in vars(f).items() if v}, "sort": sort.param, "returned": len(rows)},
    )
    return rows, total


@dataclass(frozen=True)
class ContainerRow:
    number: str
    size_type: str | None
    shipper_owned: bool
    first_seen: datetime | None  # first event the actor may see (not when the record was loaded)
    last_seen: datetime | None
    events: int


def search_containers(
    *,
    session: Session,
    actor: Principal,
    q: str | None = None,
    hub: str | None = None,
    sort: Sort,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ContainerRow], int]:
    """Containers the actor may see, with the span and count of the events it may see of each."""
    actor.require("containers:read")
    shown = policy.visible_events(actor)
    ev = (
        select(
            ContainerEvent.equipment_reference.label("number"),
            func.min(ContainerEvent.event_datetime).label("first_seen"),
            func.max(ContainerEvent.event_datetime).label("last_seen"),
            func.count().label("events"),
        )
        .where(shown, ContainerEvent.equipment_reference.is_not(None))
        .group_by(ContainerEvent.equipment_reference)
    )
    if hub:
        ev = ev.where(ContainerEvent.hub == hub)
    spans = ev.subquery()
    query = select(
        Container.number,
        Container.size_type,
        Container.shipper_owned,
        spans.c.first_seen,
        spans.c.last_seen,
        func.coalesce(spans.c.events, 0),
    ).where(policy.containers(actor, Container.number))
    query = (
        query.join(spans, spans.c.number == Container.number)
        if hub
        else query.outerjoin(spans, spans.c.number == Container.number)
    )
    term = like_term(q)
    if term is not None:
        code = term.upper().replace(" ", "")
        on_declaration = (
            exists().where(
                Declaration.container_number == Container.number,
                or_(Declaration.bill_of_lading == term, Declaration.reference == term),
            )
            if actor.can("declarations:read")
            else None
        )
        matches = [Container.number.contains(code, autoescape=True)]
        if on_declaration is not None:
            matches.append(on_declaration)
        query = query.where(or_(*matches))
    columns = {
        "number": Container.number,
        "first_seen": spans.c.first_seen,
        "last_seen": spans.c.last_seen,
        "events": spans.c.events,
        "size_type": Container.size_type,
    }
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.execute(
        query.order_by(*order_by(sort, columns, Container.number)).limit(limit).offset(offset)
    )
    out = [ContainerRow(n, st, bool(so), fs, ls, int(c or 0)) for n, st, so, fs, ls, c in rows]
    audit.record(
        session=session,
        actor=actor,
        action="container.search",
        entity_type="container",
        entity_id="*",
        detail={"q": q, "hub": hub, "sort": sort.param, "returned": len(out)},
    )
    return out, total


def scans_of(session: Session, actor: Principal, number: str) -> list[Scan]:
    """The container's scans, for its page's links (government with imaging rights only)."""
    if not actor.can("imaging:read"):
        return []
    return list(
        session.scalars(select(Scan).where(Scan.container_number == number).order_by(Scan.scanned_at))
    )
