"""The vessel risk score of a call: route, waits at anchor and crew changes in source or transit ports, boxes
loaded there, and what dives of this vessel and of calls at these ports found before. Pure: no database.

A call's score is a sum of log-odds terms on a base rate, each a reason the analyst sees. The terms for the
route, the waits and the crew changes are prior weights (the modus operandi of sea-chest loads: swimmers work
while a ship waits at anchor in the source port, and a crew change there brings the organisation's man on
board); the vessel's and the ports' own records are learned from dive outcomes, shrunk towards the rate all
dives have found (a vessel dived once and found clean says little; one found twice says a lot).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from mainport.reference.countries import SOURCE_COUNTRIES, TRANSIT_COUNTRIES

RISK_COUNTRIES = SOURCE_COUNTRIES | TRANSIT_COUNTRIES
BASE_RATE = 0.02  # prior share of dives on source-lane calls that find a load, before any outcome
PRIOR_DIVES = 50.0  # weight of that prior against the dives recorded
VESSEL_SHRINK = 3.0  # pseudo-dives a vessel's own record is shrunk with
PORT_SHRINK = 20.0
W_EXTRA_PORT = 0.25  # each source/transit port called after the first
W_ANCHORAGE = 0.6  # per day waited at anchor in a source/transit port (up to 3 days)
W_CREW_CHANGE = 0.8
W_BOXES = 0.1  # per log(1 + boxes loaded in source/transit countries on this voyage)


def is_risk_port(unlocode: str) -> bool:
    return unlocode[:2].upper() in RISK_COUNTRIES


@dataclass(frozen=True)
class PortCall:
    unlocode: str
    anchorage_hours: float = 0.0


@dataclass(frozen=True)
class CallInput:
    """What the product knows of one call at a Dutch hub."""

    call_id: int
    vessel_imo: str
    port_calls: Sequence[PortCall]
    crew_change_ports: Sequence[str] = ()
    risk_boxes: int = 0  # declarations on this vessel and voyage loaded in a source/transit country

    @property
    def risk_ports(self) -> list[str]:
        return [p.unlocode for p in self.port_calls if is_risk_port(p.unlocode)]

    @property
    def from_source(self) -> bool:
        return bool(self.risk_ports) or self.risk_boxes > 0


@dataclass(frozen=True)
class Reason:
    code: str
    text: str
    weight: float  # log-odds it adds


@dataclass(frozen=True)
class Scored:
    call_id: int
    score: float  # log-odds
    p: float  # chance a dive finds a load
    reasons: tuple[Reason, ...]


@dataclass
class History:
    """Dive outcomes so far: per vessel, per port called, and in all."""

    vessel: dict[str, list[int]] = field(default_factory=dict)  # imo -> [dives, finds]
    port: dict[str, list[int]] = field(default_factory=dict)
    dives: int = 0
    finds: int = 0

    def add(self, vessel_imo: str, ports: Iterable[str], found: bool) -> None:
        for rec in (self.vessel.setdefault(vessel_imo, [0, 0]),):
            rec[0] += 1
            rec[1] += int(found)
        for port in set(ports):
            rec = self.port.setdefault(port, [0, 0])
            rec[0] += 1
            rec[1] += int(found)
        self.dives += 1
        self.finds += int(found)

    @property
    def rate(self) -> float:
        return (self.finds + BASE_RATE * PRIOR_DIVES) / (self.dives + PRIOR_DIVES)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _lift(finds: int, dives: int, rate: float, shrink: float) -> float:
    """log of a record's shrunk find rate over the overall rate, clipped to [-1.5, 2.5]."""
    shrunk = (finds + rate * shrink) / (dives + shrink)
    return max(-1.5, min(2.5, math.log(shrunk / rate)))


def score_call(call: CallInput, history: History, *, priors: bool = True) -> Scored:
    """`priors=False` leaves out the prior terms (route, waits, crew changes, boxes): the records alone."""
    rate = history.rate
    reasons: list[Reason] = []
    if not priors:
        call = CallInput(call.call_id, call.vessel_imo, [PortCall(p.unlocode) for p in call.port_calls])
    risk = call.risk_ports
    if priors and len(risk) > 1:
        reasons.append(
            Reason(
                "route",
                f"{len(risk)} calls in source/transit ports ({', '.join(risk)})",
                W_EXTRA_PORT * (len(risk) - 1),
            )
        )
    waits = [(p.anchorage_hours, p.unlocode) for p in call.port_calls if is_risk_port(p.unlocode)]
    if waits:
        hours, port = max(waits)
        if hours >= 6:
            reasons.append(
                Reason(
                    "anchorage", f"{hours:.0f} h at anchor off {port}", W_ANCHORAGE * min(hours, 72.0) / 24.0
                )
            )
    crew = [p for p in call.crew_change_ports if is_risk_port(p)]
    if crew:
        reasons.append(Reason("crew_change", f"crew change in {', '.join(crew)}", W_CREW_CHANGE))
    if call.risk_boxes:
        reasons.append(
            Reason(
                "boxes",
                f"{call.risk_boxes} boxes loaded in source/transit countries",
                W_BOXES * math.log1p(call.risk_boxes),
            )
        )
    dives, finds = history.vessel.get(call.vessel_imo, (0, 0))
    if dives:
        lift = _lift(finds, dives, rate, VESSEL_SHRINK)
        reasons.append(Reason("vessel_record", f"vessel dived {dives}x before, {finds} found", lift))
    ports = [(history.port[p], p) for p in set(risk) if p in history.port]
    if ports:
        lifts = [(_lift(rec[1], rec[0], rate, PORT_SHRINK), p, rec) for rec, p in ports]
        lift, port, rec = max(lifts)
        reasons.append(Reason("port_record", f"dives after calls at {port}: {rec[0]}, {rec[1]} found", lift))
    total = _logit(rate) + sum(r.weight for r in reasons)
    reasons.sort(key=lambda r: -abs(r.weight))
    return Scored(call.call_id, total, 1.0 / (1.0 + math.exp(-total)), tuple(r for r in reasons if r.weight))


def score_calls(calls: Sequence[CallInput], history: History, *, priors: bool = True) -> list[Scored]:
    return [score_call(c, history, priors=priors) for c in calls]
