"""Hull and sea-chest loads on vessel calls from the source lanes, and the port-call records that show them.

Every liner call at a Dutch sea hub on a Latin American lane (the same services, vessels and voyage numbers
as the boxes in `trade.sea_rows`) gets a port-call record as the port's vessel-traffic systems would report
it: the ports called on the way (UN/LOCODE, times, hours waited at anchor before berthing) and the crew
changes made. Some calls carry a load strapped into a sea chest or to the hull, put there by divers while the
ship waited at anchor in a source or transit port; the crews of a few vessels work for an organisation.

Visible (product): DIR/vessels/calls-DATE.jsonl. Hidden (evaluation only): DIR/truth/hull_loads.jsonl and
DIR/truth/hull_vessels.jsonl (which crews are compromised).

Why these traces: sea-chest loads are attached by swimmers while a ship is at anchor or at berth in the
source port (long waits give the time), and a crew change in a source port is how an organisation puts its
man on board (EMCDDA/Europol 2023, "Criminal networks in EU ports"). The weights below are the generator's
own choices, not calibrated figures; a score tuned against this module is measured on its own assumptions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from mainport.world.config import DUTCH_SEA_HUBS
from mainport.world.network import LANES, LATAM_LANES, Network, hub_terminals, port_country
from mainport.world.traces import iso1
from mainport.world.trade import DAY, HOUR

BASE_RATE = 0.012  # chance of a load on an ordinary call from a source lane
COMPROMISED_SHARE = 0.10  # vessels whose crew includes an organisation's man
COMPROMISED_FACTOR = 6.0
CREW_CHANGE_FACTOR = 2.0  # a crew change in a source/transit port (the man comes aboard, or a swimmer helps)
# Ports where organisations have swimmers (a load needs a wait at anchor there).
PORT_FACTOR = {"ECGYE": 2.5, "BRSSZ": 2.0, "COTRB": 1.8, "PAMIT": 1.5, "PECLL": 1.5, "COCTG": 1.3}
DIVE_DETECTS = 0.8  # a diver team finds a sea-chest load when there is one
ARREST = 0.5  # a find leads to the arrest of the vessel's contact (its crew is clean from then on)
KG = (40.0, 0.4)  # log-normal median and sigma of a hull load

_RISK_COUNTRIES = {
    "CO", "PE", "BO", "EC", "BR", "PY", "CR", "PA", "DO", "UY", "AR", "CL", "MX", "GT", "HN", "JM",
}  # fmt: skip


@dataclass
class Call:
    key: str  # IMO/voyage/hub
    day: int
    hub: str
    lane: str
    imo: str
    name: str
    voyage: str
    unlocode: str
    arrived_at: int  # seconds since epoch
    port_calls: list[dict[str, Any]]  # unlocode, arrived_at, departed_at, anchorage_hours
    crew_changes: list[dict[str, Any]]  # unlocode, at, joined
    load_kg: float = 0.0  # hidden: 0 when the call carries no hull load
    load_port: str = ""


@dataclass
class HullWorld:
    """The vessel-call process of one world (seed, network); `calls(day)` is the same for every policy run
    of that seed until finds lead to arrests (`dive`)."""

    seed: int
    net: Network
    epoch0: int
    compromised: set[str] = field(default_factory=set)
    arrested: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        rng = np.random.default_rng([self.seed, 9301])
        imos = sorted({v.imo for s in self.net.services if s.lane in LATAM_LANES for v in s.vessels})
        picked = rng.random(len(imos)) < COMPROMISED_SHARE
        self.compromised = {imo for imo, p in zip(imos, picked, strict=True) if p}

    def calls(self, day: int) -> list[Call]:
        """The day's calls at the Dutch sea hubs from the source lanes, in a fixed order."""
        out: list[Call] = []
        week = day // 7
        for hub in DUTCH_SEA_HUBS:
            terminals = hub_terminals(hub)
            for lane in LATAM_LANES:
                for svc in self.net.calls_on(hub, lane, day):
                    v = svc.vessels[week % len(svc.vessels)]
                    voyage = f"{week % 52 + 1:02d}{svc.weekday}N"
                    rng = np.random.default_rng([self.seed, day, 9302, len(out)])
                    out.append(self._call(rng, day, hub, lane, v.imo, v.name, voyage, terminals))
        return out

    def _call(
        self,
        rng: np.random.Generator,
        day: int,
        hub: str,
        lane: str,
        imo: str,
        name: str,
        voyage: str,
        terminals: list[tuple[str, str]],
    ) -> Call:
        spec = LANES[lane]
        arrived = self.epoch0 + day * DAY + int(rng.integers(0, 22 * HOUR))
        bad = imo in self.compromised and imo not in self.arrested
        weights = np.array([o.weight for o in spec.origins])
        n = min(len(weights), int(rng.integers(2, 5)))
        picked = np.sort(rng.choice(len(weights), size=n, replace=False, p=weights / weights.sum()))
        ports = [spec.origins[int(i)].port for i in picked]
        if spec.tranship and rng.random() < spec.tranship_share:
            via = str(spec.tranship[int(rng.integers(len(spec.tranship)))])
            if via not in ports:
                ports.append(via)
        t = arrived - int(spec.transit_days * DAY)
        port_calls: list[dict[str, Any]] = []
        crew: list[dict[str, Any]] = []
        p_load = BASE_RATE * (COMPROMISED_FACTOR if bad else 1.0)
        best = 1.0
        load_port = ""
        for port in reversed(ports):  # the last port first, counting back in time
            wait = float(rng.exponential(20.0 if bad else 8.0))
            stay = float(rng.uniform(12, 30))
            departed = t
            berthed = departed - int(stay * HOUR)
            arrived_port = berthed - int(wait * HOUR)
            port_calls.insert(
                0,
                {
                    "unlocode": port,
                    "arrived_at": arrived_port,
                    "departed_at": departed,
                    "anchorage_hours": round(wait, 1),
                },
            )
            risky = port_country(port) in _RISK_COUNTRIES
            if rng.random() < (0.35 if bad else 0.08) and risky:
                crew.insert(0, {"unlocode": port, "at": berthed, "joined": int(rng.integers(1, 6))})
            if risky:
                f = PORT_FACTOR.get(port, 1.0) * min(3.0, 1.0 + wait / 24.0)
                if f > best:
                    best, load_port = f, port
            t = arrived_port - int(rng.uniform(1.0, 3.0) * DAY)
        p_load *= best * (CREW_CHANGE_FACTOR if crew else 1.0)
        unlocode = terminals[int(rng.integers(len(terminals)))][0]
        call = Call(
            f"{imo}/{voyage}/{hub}", day, hub, lane, imo, name, voyage, unlocode, arrived, port_calls, crew
        )
        if rng.random() < min(0.6, p_load):
            call.load_kg = round(float(KG[0] * np.exp(KG[1] * rng.standard_normal())), 1)
            call.load_port = load_port or ports[-1]
        return call

    def dive(self, call: Call, rng: np.random.Generator) -> float:
        """A diver inspection of the call's hull and sea chests: kg found (0.0 when none)."""
        if call.load_kg and rng.random() < DIVE_DETECTS:
            if call.imo in self.compromised and rng.random() < ARREST:
                self.arrested.add(call.imo)
            return call.load_kg
        return 0.0


def call_record(call: Call) -> dict[str, Any]:
    """The product-facing port-call record (the `vessel_calls` feed)."""
    return {
        "kind": "vessel_call",
        "vesselIMONumber": call.imo,
        "vesselName": call.name,
        "voyageNumber": call.voyage,
        "hub": call.hub,
        "UNLocationCode": call.unlocode,
        "arrivedAt": iso1(call.arrived_at),
        "portCalls": [
            {
                "UNLocationCode": p["unlocode"],
                "arrivedAt": iso1(p["arrived_at"]),
                "departedAt": iso1(p["departed_at"]),
                "anchorageHours": p["anchorage_hours"],
            }
            for p in call.port_calls
        ],
        "crewChanges": [
            {"UNLocationCode": c["unlocode"], "at": iso1(c["at"]), "joined": c["joined"]}
            for c in call.crew_changes
        ],
    }


def truth_record(call: Call) -> dict[str, Any]:
    return {
        "day": call.day,
        "call": call.key,
        "vessel_imo": call.imo,
        "hub": call.hub,
        "kg": call.load_kg,
        "load_port": call.load_port,
        "position": "sea_chest",
    }


class HullWriter:
    """Writes a generated world's vessel calls (DIR/vessels/) and hull loads (DIR/truth/) day by day."""

    def __init__(self, out: Path, seed: int, net: Network, epoch0: int) -> None:
        self.hulls = HullWorld(seed, net, epoch0)
        (out / "vessels").mkdir(parents=True, exist_ok=True)
        self.out = out
        self._truth = (out / "truth" / "hull_loads.jsonl").open("wb")
        crews = [{"vessel_imo": imo, "compromised": True} for imo in sorted(self.hulls.compromised)]
        (out / "truth" / "hull_vessels.jsonl").write_bytes(b"".join(orjson.dumps(c) + b"\n" for c in crews))

    def write_day(
        self, day: int, date: str, known: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
    ) -> int:
        """The day's calls (those `known` keeps: not after the generation time); returns how many."""
        calls = self.hulls.calls(day)
        records = known([call_record(c) for c in calls])
        with (self.out / "vessels" / f"calls-{date}.jsonl").open("wb") as fh:
            fh.write(b"".join(orjson.dumps(r) + b"\n" for r in records))
        self._truth.write(b"".join(orjson.dumps(truth_record(c)) + b"\n" for c in calls if c.load_kg))
        return len(records)

    def close(self) -> None:
        self._truth.close()
