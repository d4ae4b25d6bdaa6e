"""The access-log feed: staff look-ups of container data, as terminals and port systems log them.

`mainport ingest access FILE` (JSON Lines). Checked here (pure), stored by `service.record_lookups`, each
look-up once by the SHA-1 of its fields (`staff_lookup.key`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mainport.identity.principal import Principal
from mainport.ingest import checks
from mainport.ingest.registry import Feed, Stored, register
from mainport.insider.service import record_lookups

ACCESS_KINDS = ("status", "position", "release_code", "gate_entry", "baggage_lookup")
CONTAINER_LOOKUPS = ("status", "position", "release_code")  # look-ups of one container's data


def access(d: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """A staff look-up: at, user, org, hub, unlocode, facility, container_number, kind, object, and
    optionally device and place (where the look-up came from; not part of its identity)."""
    at = checks.moment(d, "at", now)
    user = checks.required_text(d, "user", 64)
    org = checks.required_text(d, "org", 32)
    hub = checks.hub(d)
    kind = checks.enum(d, "kind", ACCESS_KINDS)
    unlocode = checks.optional_unlocode(d, "unlocode")
    facility = checks.text(d, "facility", 16)
    container = checks.container(d, "container_number", required=kind in CONTAINER_LOOKUPS)
    obj = checks.text(d, "object", 100)
    device = checks.text(d, "device", 64)
    place = checks.text(d, "place", 64)
    return {
        "key": checks.digest(at.isoformat(), user, org, hub, kind, container, obj, unlocode, facility),
        "at": at,
        "username": user,
        "org_code": org,
        "hub": hub,
        "unlocode": unlocode,
        "facility_code": facility.upper() if facility else None,
        "container_number": container,
        "kind": kind,
        "object": obj,
        "device": device,
        "place": place,
    }


def _store(
    *, session: Session, actor: Principal, rows: Sequence[dict[str, Any]], source: str, run_id: int | None
) -> Stored:
    stored, duplicates = record_lookups(session=session, actor=actor, rows=rows, source=source, run_id=run_id)
    return Stored(stored, duplicates)


FEED = register(
    Feed(
        kind="access",
        record="access",
        permissions=("insider:write",),
        validate=access,
        identity=lambda row: row["key"],
        store=_store,
        help="Ingest staff look-ups of container data (access logs, JSON Lines).",
    )
)
