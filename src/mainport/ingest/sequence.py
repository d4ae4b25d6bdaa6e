"""Event sequence checks across a file and against stored events (see docs/ingest.md, "Sequence").

S1: an ACT LOAD of equipment E at UN/LOCODE L is refused when E's latest earlier ACT event is a GTOT at L
    (the box left the terminal by gate and never came back in, so it cannot be loaded there).
S2: an ACT LOAD or DISC on vessel V, voyage N at L is refused when it is dated after an ACT DEPA of V/N from L
    (nothing is loaded onto or discharged from a ship that has left).
The state is loaded from the database for equipment and vessels not seen yet, and kept while a job runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mainport.shipments.models import ContainerEvent

MAX_EQUIPMENT = 300_000  # forget and reload from the database beyond this, to keep memory bounded

CE = ContainerEvent.__table__


class SequenceState:
    def __init__(self) -> None:
        self.last_act: dict[str, tuple[datetime, str, str | None]] = {}  # equipment -> (time, code, unlocode)
        self.departures: dict[tuple[str, str | None, str | None], datetime] = {}  # (imo, voyage, L) -> DEPA
        self.vessels_loaded: set[str] = set()

    def load(self, session: Session, rows: list[dict[str, Any]]) -> None:
        if len(self.last_act) > MAX_EQUIPMENT:
            self.last_act.clear()
        need = {
            r["equipment_reference"]
            for r in rows
            if r["equipment_reference"] and r["event_classifier"] == "ACT"
        }
        need -= self.last_act.keys()
        need_list = list(need)
        for i in range(0, len(need_list), 2000):
            chunk = need_list[i : i + 2000]
            latest = (
                select(CE.c.equipment_reference, func.max(CE.c.event_datetime).label("at"))
                .where(CE.c.equipment_reference.in_(chunk), CE.c.event_classifier == "ACT")
                .group_by(CE.c.equipment_reference)
                .subquery()
            )
            q = (
                select(CE.c.equipment_reference, CE.c.event_datetime, CE.c.type_code, CE.c.unlocode)
                .join(
                    latest,
                    (CE.c.equipment_reference == latest.c.equipment_reference)
                    & (CE.c.event_datetime == latest.c.at),
                )
                .where(CE.c.event_classifier == "ACT")
            )
            for ref, at, code, loc in session.execute(q):
                self._see_equipment(ref, at, code, loc)
        vessels = {r["vessel_imo"] for r in rows if r["vessel_imo"]} - self.vessels_loaded
        if vessels:
            q2 = (
                select(CE.c.vessel_imo, CE.c.voyage_number, CE.c.unlocode, func.max(CE.c.event_datetime))
                .where(CE.c.vessel_imo.in_(vessels), CE.c.type_code == "DEPA", CE.c.event_classifier == "ACT")
                .group_by(CE.c.vessel_imo, CE.c.voyage_number, CE.c.unlocode)
            )
            for imo, voyage, loc, at in session.execute(q2):
                self._see_departure((imo, voyage, loc), at)
            self.vessels_loaded |= vessels

    def _see_equipment(self, ref: str, at: datetime, code: str, loc: str | None) -> None:
        seen = self.last_act.get(ref)
        if seen is None or at >= seen[0]:
            self.last_act[ref] = (at, code, loc)

    def _see_departure(self, key: tuple[str, str | None, str | None], at: datetime) -> None:
        seen = self.departures.get(key)
        if seen is None or at > seen:
            self.departures[key] = at

    def check(self, row: dict[str, Any]) -> str | None:
        """None when the event is in sequence, else the reason; an accepted event updates the state."""
        if row["event_classifier"] != "ACT":
            return None
        code, at, loc = row["type_code"], row["event_datetime"], row["unlocode"]
        ref = row["equipment_reference"]
        if code in ("LOAD", "DISC") and row["vessel_imo"]:
            dep = self.departures.get((row["vessel_imo"], row["voyage_number"], loc))
            if dep is not None and at > dep:
                return (
                    f"out of sequence: {code} at {at.isoformat()} on vessel {row['vessel_imo']} voyage "
                    f"{row['voyage_number']} at {loc}, after the vessel departed (DEPA {dep.isoformat()})"
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
        if code == "DEPA" and row["vessel_imo"]:
            self._see_departure((row["vessel_imo"], row["voyage_number"], loc), at)
        return None
