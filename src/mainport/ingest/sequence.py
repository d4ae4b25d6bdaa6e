"""Event sequence checks across a file and against stored events (see docs/ingest.md, "Sequence").

S1: an ACT LOAD of equipment E at UN/LOCODE L is refused when E's latest earlier ACT event is a GTOT at L
    (the box left the terminal by gate and never came back in, so it cannot be loaded there).
S2: an ACT LOAD or DISC on vessel V, voyage N at L is refused when it is dated after an ACT DEPA of V/N from L
    (nothing is loaded onto or discharged from a ship that has left).
The state is loaded from the database for equipment and vessels not seen yet, and kept while a job runs.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mainport.ingest.prepare import CLASSIFIER, CODE, EQUIPMENT, IMO, UNLOCODE, VOYAGE, EventRow
from mainport.shipments.models import ContainerEvent

MAX_EQUIPMENT = 300_000  # forget and reload from the database beyond this, to keep memory bounded

CE = ContainerEvent.__table__
SQLITE_CHUNK = 30_000  # plain driver SQL on SQLite: under its default limit of 32,766 bound parameters
# The latest ACT event of each equipment asked for (ties on time: all of them; _see_equipment keeps one).
_LATEST = """
SELECT e.equipment_reference, e.event_datetime, e.type_code, e.unlocode
FROM container_event e JOIN (
    SELECT equipment_reference, max(event_datetime) AS at FROM container_event
    WHERE equipment_reference {match} AND event_classifier = 'ACT' GROUP BY equipment_reference
) latest ON e.equipment_reference = latest.equipment_reference AND e.event_datetime = latest.at
WHERE e.event_classifier = 'ACT'
"""


def _utc(value: datetime | str) -> datetime:
    """A time read by plain driver SQL: SQLite gives naive UTC text, PostgreSQL an aware datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SequenceState:
    def __init__(self) -> None:
        self.last_act: dict[str, tuple[datetime, str, str | None]] = {}  # equipment -> (time, code, unlocode)
        self.departures: dict[tuple[str, str | None, str | None], datetime] = {}  # (imo, voyage, L) -> DEPA
        self.vessels_loaded: set[str] = set()
        # Containers this job has already registered (writes.register_containers), so each is upserted once.
        self.containers_registered: set[str] = set()

    def load(self, session: Session, rows: list[EventRow]) -> None:
        """Read the state of the equipment and vessels of these rows (prepare.EventRow) not seen yet."""
        if len(self.last_act) > MAX_EQUIPMENT:
            self.last_act.clear()
        need = {r[EQUIPMENT] for r in rows if r[EQUIPMENT] and r[CLASSIFIER] == "ACT"}
        need -= self.last_act.keys()
        if need:
            self._load_equipment(session, sorted(need))
        vessels = {r[IMO] for r in rows if r[IMO]} - self.vessels_loaded
        if vessels:
            q2 = (
                select(CE.c.vessel_imo, CE.c.voyage_number, CE.c.unlocode, func.max(CE.c.event_datetime))
                .where(CE.c.vessel_imo.in_(vessels), CE.c.type_code == "DEPA", CE.c.event_classifier == "ACT")
                .group_by(CE.c.vessel_imo, CE.c.voyage_number, CE.c.unlocode)
            )
            for imo, voyage, loc, at in session.execute(q2):
                self._see_departure((imo, voyage, loc), at)
            self.vessels_loaded |= vessels

    def _load_equipment(self, session: Session, refs: list[str]) -> None:
        # Plain driver SQL: compiling an expanding IN of thousands of values costs more than the query.
        conn = session.connection()
        if conn.dialect.name == "postgresql":  # the whole list as one array parameter
            result = conn.exec_driver_sql(_LATEST.format(match="= ANY(%s)"), (refs,))
            for ref, at, code, loc in result:
                self._see_equipment(ref, _utc(at), code, loc)
            return
        for i in range(0, len(refs), SQLITE_CHUNK):
            chunk = tuple(refs[i : i + SQLITE_CHUNK])
            result = conn.exec_driver_sql(_LATEST.format(match=f"IN ({','.join('?' * len(chunk))})"), chunk)
            for ref, at, code, loc in result:
                self._see_equipment(ref, _utc(at), code, loc)

    def _see_equipment(self, ref: str, at: datetime, code: str, loc: str | None) -> None:
        seen = self.last_act.get(ref)
        if seen is None or at >= seen[0]:
            self.last_act[ref] = (at, code, loc)

    def _see_departure(self, key: tuple[str, str | None, str | None], at: datetime) -> None:
        seen = self.departures.get(key)
        if seen is None or at > seen:
            self.departures[key] = at

    def check(self, row: EventRow, at: datetime) -> str | None:
        """None when the event (row, its eventDateTime) is in sequence, else the reason; an accepted event
        updates the state."""
        if row[CLASSIFIER] != "ACT":
            return None
        code, loc, ref, imo = row[CODE], row[UNLOCODE], row[EQUIPMENT], row[IMO]
        if code in ("LOAD", "DISC") and imo:
            dep = self.departures.get((imo, row[VOYAGE], loc))
            if dep is not None and at > dep:
                return (
                    f"out of sequence: {code} at {at.isoformat()} on vessel {imo} voyage "
                    f"{row[VOYAGE]} at {loc}, after the vessel departed (DEPA {dep.isoformat()})"
                )
        if code == "LOAD" and ref:
            last = self.last_act.get(ref)
            if last is not None and last[1] == "GTOT" and last[2] == loc and last[0] < at:
                return (
                    f"out of sequence: LOAD of {ref} at {loc} {at.isoformat()} after it gated out there "
                    f"(GTOT {last[0].isoformat()}) without a gate-in"
                )
        if ref:
            self._see_equipment(ref, at, code, loc)
        if code == "DEPA" and imo:
            self._see_departure((imo, row[VOYAGE], loc), at)
        return None
