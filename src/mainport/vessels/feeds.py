"""The vessel-call feed: a ship's arrival at a Dutch hub with the ports it called on the way (times, hours
waited at anchor) and the crew changes it made, as the port's vessel-traffic and crew-list systems report it.

`mainport ingest vessel_calls FILE` (JSON Lines). Checked here (pure); stored by
`vessels.service.store_calls`, one call per vessel, voyage and hub (a call sent twice is stored once)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mainport.identity.principal import Principal
from mainport.ingest import checks
from mainport.ingest.checks import Invalid
from mainport.ingest.registry import Feed, Stored, register
from mainport.vessels import service

MAX_PORT_CALLS = 40


def _items(d: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = d.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise Invalid(f"{name}: must be a list of objects (value {value!r:.60})")
    if len(value) > MAX_PORT_CALLS:
        raise Invalid(f"{name}: more than {MAX_PORT_CALLS} entries ({len(value)})")
    return value


def vessel_call(d: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """vesselIMONumber, vesselName, voyageNumber, hub, UNLocationCode, arrivedAt, portCalls
    [{UNLocationCode, arrivedAt, departedAt, anchorageHours}], crewChanges [{UNLocationCode, at, joined}]."""
    kind = d.get("kind")
    if kind is not None and kind != "vessel_call":
        raise Invalid(f"kind: not a vessel call record (value {kind!r:.60})")
    imo = checks.imo("vesselIMONumber", d.get("vesselIMONumber"))
    arrived = checks.moment(d, "arrivedAt", now)
    ports = []
    for i, p in enumerate(_items(d, "portCalls")):
        where = f"portCalls[{i}]"
        at = checks.timestamp(f"{where}.arrivedAt", p.get("arrivedAt"))
        left = checks.timestamp(f"{where}.departedAt", p.get("departedAt"))
        if left < at:
            raise Invalid(f"{where}.departedAt: before its arrivedAt (value {p.get('departedAt')!r})")
        if left > arrived:
            raise Invalid(f"{where}.departedAt: after the arrival at the hub (value {p.get('departedAt')!r})")
        wait = checks.mass(p, "anchorageHours", required=False)
        if wait > 24 * 60:
            raise Invalid(f"{where}.anchorageHours: more than 60 days (value {wait!r})")
        ports.append(
            {
                "unlocode": checks.unlocode(f"{where}.UNLocationCode", p.get("UNLocationCode")),
                "arrived_at": at.isoformat(),
                "departed_at": left.isoformat(),
                "anchorage_hours": wait,
            }
        )
    crew = []
    for i, c in enumerate(_items(d, "crewChanges")):
        where = f"crewChanges[{i}]"
        joined = c.get("joined", 0)
        if isinstance(joined, bool) or not isinstance(joined, int) or not 0 <= joined <= 500:
            raise Invalid(f"{where}.joined: a whole number of crew 0-500 (value {joined!r:.60})")
        crew.append(
            {
                "unlocode": checks.unlocode(f"{where}.UNLocationCode", c.get("UNLocationCode")),
                "at": checks.timestamp(f"{where}.at", c.get("at")).isoformat(),
                "joined": joined,
            }
        )
    return {
        "vessel_imo": imo,
        "vessel_name": checks.text(d, "vesselName", 100),
        "voyage_number": checks.required_text(d, "voyageNumber", 50),
        "hub": checks.hub(d),
        "unlocode": checks.unlocode("UNLocationCode", d.get("UNLocationCode")),
        "arrived_at": arrived,
        "port_calls": ports,
        "crew_changes": crew,
    }


def _store(
    *, session: Session, actor: Principal, rows: Sequence[dict[str, Any]], source: str, run_id: int | None
) -> Stored:
    stored, duplicates = service.store_calls(session=session, actor=actor, rows=rows, source=source)
    return Stored(stored, duplicates)


FEED = register(
    Feed(
        kind="vessel_calls",
        record="vessel_call",
        permissions=("events:write",),
        validate=vessel_call,
        identity=lambda row: (row["vessel_imo"], row["voyage_number"], row["hub"]),
        store=_store,
        help="Ingest vessel calls at the hubs (ports called, waits at anchor, crew changes; JSON Lines).",
        containers=lambda row: None,
    )
)
