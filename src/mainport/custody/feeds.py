"""The e-seal status feed: INTACT / BREACHED reports of electronic seals, as port systems send them.

`mainport ingest eseal FILE` (JSON Lines). Checked here (pure); stored as custody telemetry by
`seals.ingest_readings` (INTACT -> closed, BREACHED -> tampered, judged like any tampered reading), each
report once by its reading id (container, seal, time)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mainport.custody.seals import ingest_readings
from mainport.identity.principal import Principal
from mainport.ingest import checks
from mainport.ingest.checks import Invalid
from mainport.ingest.registry import Feed, Stored, register

ESEAL_STATUS = {"INTACT": "closed", "BREACHED": "tampered"}  # -> SealTelemetry.status


def eseal(d: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """An e-seal status report: equipmentReference, sealNumber, reportedAt, UNLocationCode, status.

    Returns a custody telemetry reading; its reading_id is derived from the container, seal and time, so the
    same report received twice is stored once.
    """
    kind = d.get("kind")
    if kind is not None and kind != "eseal_status":
        raise Invalid(f"kind: not an e-seal status record (value {kind!r:.60})")
    container = checks.container(d, "equipmentReference", required=True)
    seal = checks.text(d, "sealNumber", 32)
    at = checks.moment(d, "reportedAt", now)
    place = checks.optional_unlocode(d, "UNLocationCode")
    reported = checks.enum(d, "status", tuple(ESEAL_STATUS), upper=True)
    return {
        "reading_id": f"eseal:{container}:{seal or '-'}:{at.strftime('%Y%m%dT%H%M%SZ')}",
        "container_number": container,
        "kind": "eseal",
        "status": ESEAL_STATUS[reported],
        "seal_number": seal,
        "at": at,
        "location": place,
        "reported_status": reported,
    }


def _store(
    *, session: Session, actor: Principal, rows: Sequence[dict[str, Any]], source: str, run_id: int | None
) -> Stored:
    stored, duplicates, _alerts = ingest_readings(session=session, actor=actor, readings=rows, source=source)
    return Stored(stored, duplicates)


FEED = register(
    Feed(
        kind="eseal",
        record="eseal",
        # custody judges every breached seal (intelligence)
        permissions=("custody:write", "intel:write"),
        validate=eseal,
        identity=lambda row: row["reading_id"],
        store=_store,
        help="Ingest e-seal status reports (INTACT/BREACHED on discharge, JSON Lines) into custody "
        "telemetry.",
    )
)
