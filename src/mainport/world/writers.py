"""Writes a generated world to disk: the ingest formats at the top level, the ground truth under truth/.

DIR/declarations/declarations-DATE.{jsonl,csv}   ICS2-style declarations (docs/ingest.md format)
DIR/events/events-DATE.json                      DCSA T&T 2.2.0 events, one JSON array per day
DIR/access/access-DATE.jsonl                     staff look-ups of container data
DIR/telemetry/iot-DATE.json                      smart-seal door events, DCSA 3.0.0 IOT shape
DIR/telemetry/eseal-DATE.jsonl                   e-seal status on discharge
DIR/inspections/inspections-DATE.jsonl           customs inspections and their results
DIR/seizures/seizures-DATE.jsonl                 seizures known to the authorities
DIR/vessels/calls-DATE.jsonl                     vessel calls: ports called, waits at anchor, crew changes
DIR/scans/requests.jsonl                         render queue for the imaging module (NOT an ingest input)
DIR/truth/...                                    ground truth: evaluation code only
"""

from __future__ import annotations

import csv
from dataclasses import asdict
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import orjson

from mainport.world.config import DUTCH_HUBS
from mainport.world.enforcement import DECLARATION_COLUMNS
from mainport.world.events import day_events
from mainport.world.hulls import HullWriter
from mainport.world.traces import iso1

if TYPE_CHECKING:
    import pandas as pd

    from mainport.world.engine import DayState, World

_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE
PRODUCT_DIRS = (
    "declarations",
    "events",
    "access",
    "telemetry",
    "inspections",
    "seizures",
    "scans",
    "vessels",
)


def _jsonl(fh: IO[bytes], items: list[dict[str, Any]]) -> None:
    fh.write(b"".join(orjson.dumps(i, option=_OPTS) for i in items))


class WorldWriter:
    def __init__(self, out: Path, world: World, now: int | None = None) -> None:
        self.out = out
        self.world = world
        # Generation time (seconds since epoch): later events are estimates, later sensor readings absent.
        self.now = now
        for d in (*PRODUCT_DIRS, "truth"):
            (out / d).mkdir(parents=True, exist_ok=True)
        self.counts: dict[str, int] = {}
        self._scan = (out / "scans" / "requests.jsonl").open("wb")
        truth = out / "truth"
        self._loads = (truth / "loads.jsonl").open("wb")
        self._actions = (truth / "insider_actions.jsonl").open("wb")
        self._inspections = (truth / "inspections.jsonl").open("wb")
        self._orgs = (truth / "organisations.jsonl").open("wb")
        insiders = [{"org": o.code, **asdict(i)} for o in world.orgs for i in o.insiders]
        (truth / "insiders.jsonl").write_bytes(b"".join(orjson.dumps(i, option=_OPTS) for i in insiders))
        # Vessel calls (product) and the hull loads on them (truth).
        self._hulls = HullWriter(out, world.config.seed, world.net, world.day_start(0))

    def _count(self, key: str, n: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    @property
    def cutoff(self) -> str:
        """Generation time as ISO UTC text (such texts compare in time order); '9999' without one."""
        return "9999" if self.now is None else iso1(self.now)

    def _known(self, key: str, items: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
        """The items dated up to the generation time; the later ones are counted as withheld (a world that
        runs past `now` simulates boxes still on their way, but nobody has reported their future yet)."""
        cutoff = self.cutoff
        known = [i for i in items if str(i[field]) <= cutoff]
        if len(known) < len(items):
            self._count(f"withheld_{key}", len(items) - len(known))
        return known

    def write_day(self, st: DayState, frame: pd.DataFrame) -> None:
        date = self.world.date_of(st.day)
        dutch = frame[frame["hub"].isin(DUTCH_HUBS)]
        self._declarations(date, dutch)
        events = day_events(self.world, st, frame, self.now)
        (self.out / "events" / f"events-{date}.json").write_bytes(orjson.dumps(events))
        self._count("events", len(events))
        access = self._known("access_logs", st.access_logs, "at")
        with (self.out / "access" / f"access-{date}.jsonl").open("wb") as fh:
            _jsonl(fh, access)
        self._count("access_logs", len(access))
        # A sensor cannot have reported what has not happened yet.
        iot = self._known("telemetry", [t for t in st.telemetry if "kind" not in t], "eventDateTime")
        status = self._known(
            "telemetry", [t for t in st.telemetry if t.get("kind") == "eseal_status"], "reportedAt"
        )
        (self.out / "telemetry" / f"iot-{date}.json").write_bytes(orjson.dumps({"events": iot}))
        with (self.out / "telemetry" / f"eseal-{date}.jsonl").open("wb") as fh:
            _jsonl(fh, status)
        self._count("telemetry", len(iot) + len(status))
        scans = self._known("scan_requests", st.scan_requests, "scan_time")
        _jsonl(self._scan, scans)
        self._count("scan_requests", len(scans))
        self._outcomes(date, st, frame)
        self._truth(st, frame)
        self._count(
            "vessel_calls",
            self._hulls.write_day(st.day, date, lambda r: self._known("vessel_calls", r, "arrivedAt")),
        )

    def _declarations(self, date: str, dutch: pd.DataFrame) -> None:
        cols = list(DECLARATION_COLUMNS)
        if self.now is not None:
            # Filed after `now`: not received yet. Amended after `now`: the filing as it stands today.
            cutoff = self.cutoff
            filed = dutch["filed_at"].to_numpy(dtype=object) <= cutoff
            if not filed.all():
                self._count("withheld_declarations", int((~filed).sum()))
                dutch = dutch[filed]
            later = (dutch["amended_at"].to_numpy(dtype=object) > cutoff) & (dutch["amended_at"] != "")
            if later.any():
                dutch = dutch.copy()
                dutch.loc[later, "amended_at"] = ""
                dutch.loc[later, "amendments"] = 0
        # Column lists + zip: an order of magnitude faster than DataFrame.to_dict for 25k rows.
        values = [dutch[c].tolist() for c in cols]
        records = [dict(zip(cols, row, strict=True)) for row in zip(*values, strict=True)]
        if "jsonl" in self.world.config.declaration_formats:
            with (self.out / "declarations" / f"declarations-{date}.jsonl").open("wb") as fh:
                _jsonl(fh, records)
        if "csv" in self.world.config.declaration_formats:
            with (self.out / "declarations" / f"declarations-{date}.csv").open(
                "w", newline="", encoding="utf-8"
            ) as fh:
                w = csv.writer(fh)
                w.writerow(cols)
                for rec in records:
                    w.writerow([";".join(v) if isinstance(v, list) else v for v in rec.values()])
        self._count("declarations", len(records))

    def _outcomes(self, date: str, st: DayState, frame: pd.DataFrame) -> None:
        rows = st.rows
        ref = frame["reference"].to_numpy()
        found = {a.row: a for a in st.attempts if a.outcome == "seized_inspection" and a.row >= 0}
        inspections = [
            {
                "reference": ref[r],
                "container_number": rows["container_number"][r],
                "hub": rows["hub"][r],
                "kind": kind,
                "inspected_at": iso1(t),
                "result": "found" if r in found else "not_found",
                "kg_found": found[r].kg if r in found else 0.0,
            }
            for r, (kind, t) in sorted(st.inspected.items())
        ]
        inspections = self._known("inspections", inspections, "inspected_at")
        with (self.out / "inspections" / f"inspections-{date}.jsonl").open("wb") as fh:
            _jsonl(fh, inspections)
        seizures = []
        for a in st.attempts:
            if not a.seized or a.hub not in DUTCH_HUBS:
                continue
            t = self.world.day_start(st.day) + 12 * 3600
            if a.row >= 0 and a.row in st.inspected:
                t = st.inspected[a.row][1]
            seizures.append(
                {
                    "hub": a.hub,
                    "seized_at": iso1(t),
                    "drug": "cocaine",
                    "kg": a.kg,
                    "modus_operandi": a.method,
                    "container_number": a.container_number or None,
                    "reference": ref[a.row] if a.row >= 0 and a.method != "hull" else None,
                    "found_by": a.outcome.removeprefix("seized_"),
                }
            )
        seizures = self._known("seizures", seizures, "seized_at")
        with (self.out / "seizures" / f"seizures-{date}.jsonl").open("wb") as fh:
            _jsonl(fh, seizures)
        self._count("inspections", len(inspections))
        self._count("seizures", len(seizures))

    def _truth(self, st: DayState, frame: pd.DataFrame) -> None:
        ref = frame["reference"].to_numpy()
        loads = []
        for a in st.attempts:
            d = asdict(a)
            d["shipment_id"] = str(st.ids[a.row]) if a.row >= 0 else None
            d["reference"] = str(ref[a.row]) if a.row >= 0 and a.method != "hull" else None
            d["front_party_eori"] = self.world.book.eori[a.front_party] if a.front_party >= 0 else None
            loads.append(d)
        _jsonl(self._loads, loads)
        _jsonl(self._actions, st.insider_actions)
        dirty = {a.row for a in st.attempts if a.row >= 0 and a.method != "hull"}
        _jsonl(
            self._inspections,
            [
                {"day": st.day, "shipment_id": str(st.ids[r]), "kind": k, "dirty": r in dirty}
                for r, (k, _) in sorted(st.inspected.items())
            ],
        )
        orgs = []
        for o in self.world.orgs:
            w = o.hub_weights()
            total = sum(w.values())
            orgs.append(
                {
                    "day": st.day,
                    "org": o.code,
                    "hub_share": {h: round(v / total, 4) for h, v in w.items()},
                    "risk_hub": {h: round(v, 4) for h, v in o.risk_hub.items()},
                    "risk_method": {m: round(v, 4) for m, v in o.risk_method.items()},
                }
            )
        _jsonl(self._orgs, orgs)
        self._count("loads", len(loads))

    def close(self) -> None:
        for fh in (self._scan, self._loads, self._actions, self._inspections, self._orgs):
            fh.close()
        self._hulls.close()


def as_builtin(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v
