"""Parameters of the synthetic world; every calibrated figure names its source in docs/world.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# Hubs of the simulation: the Dutch nodes (reference.nodes codes) and the neighbouring ports that take
# displaced traffic (UN/LOCODE). Only Dutch hubs produce declarations the product sees.
DUTCH_SEA_HUBS = ("rotterdam", "zeeland_west_brabant", "north_sea_canal")
DUTCH_HUBS = (*DUTCH_SEA_HUBS, "schiphol", "flower_auctions")
NEIGHBOUR_HUBS = ("BEANR", "DEHAM", "FRLEH", "ESALG")
# Where inbound cocaine can be sent: the waterbed. (Flower auctions are an export route, modelled apart.)
INBOUND_HUBS = (*DUTCH_SEA_HUBS, "schiphol", *NEIGHBOUR_HUBS)
# A declaration trait's exposure is a fraction of loads pulled (tenths at most); this scales it onto the same
# footing as hub and method risks (seizure fractions of up to 1) in exp(-aversion x risk). The calibrated
# world's value; WorldConfig.trait_sensitivity overrides it for what-if runs.
TRAIT_SENSITIVITY = 3.0

# Yearly volumes at scale 1. Rotterdam: Port of Rotterdam, ~14.5 M TEU ~ 8.5 M boxes (shared/README.md).
# The others are order-of-magnitude assumptions (docs/world.md lists them as such).
UNITS_PER_YEAR: dict[str, float] = {
    "rotterdam": 8_500_000,
    "zeeland_west_brabant": 350_000,
    "north_sea_canal": 60_000,
    "schiphol": 1_100_000,  # air cargo consignments (house level) on the declared lanes
    "flower_auctions": 550_000,  # outbound export trucks
}

# Share of units scanned/opened per hub and day; Rotterdam ~55,000 of 8.5 M = 0.65% (shared/README.md).
CAPACITY_SHARE: dict[str, float] = {
    "rotterdam": 0.0065,
    "zeeland_west_brabant": 0.0065,
    "north_sea_canal": 0.0065,
    "schiphol": 0.01,
    "flower_auctions": 0.005,
}

# Chance that a cocaine load sent to a neighbouring port is seized there (their enforcement is not ours to
# steer); calibrated so Antwerp's share of seizures is of the order of the public series.
NEIGHBOUR_INTERDICTION: dict[str, float] = {"BEANR": 0.25, "DEHAM": 0.12, "FRLEH": 0.10, "ESALG": 0.10}

# Smuggling attempts per year at scale 1 (all organisations, all inbound hubs); with ~250 kg a load and the
# interdiction above, the Dutch seizures come out at 40-60 t in >140 consignments (see docs/world.md).
ATTEMPTS_PER_YEAR = 3700.0
FLOWER_EXPORT_ATTEMPTS_PER_YEAR = 60.0


@dataclass(frozen=True)
class WorldConfig:
    days: int = 3
    seed: int = 0
    scale: float = 1.0
    start: date = date(2024, 3, 4)
    # Multiplies smuggling attempts only (not legitimate trade): changes the dirty ratio, for demos and tests
    # that need enough loads at a small scale. 1.0 keeps the calibrated ratio.
    smuggling_boost: float = 1.0
    # How fast organisations re-plan from seizures: weight of one day's news in their risk estimates.
    adaptation_rate: float = 0.15
    # How strongly a perceived seizure risk of 1.0 suppresses a route choice (exp(-aversion * risk)).
    risk_aversion: float = 6.0
    # How strongly organisations steer their declaration profile (port, lane, cover, consignee) away from
    # what customs pulls: a trait weighs exp(-risk_aversion x trait_sensitivity x pulled share). The default
    # is the calibrated world (docs/world.md); larger values are what-if runs of more reactive smugglers.
    trait_sensitivity: float = TRAIT_SENSITIVITY
    capacity_share: dict[str, float] = field(default_factory=lambda: dict(CAPACITY_SHARE))
    # hub -> ((from_day, share), ...): enforcement changes over time (the waterbed experiments).
    capacity_schedule: dict[str, tuple[tuple[int, float], ...]] = field(default_factory=dict)
    neighbour_interdiction: dict[str, float] = field(default_factory=lambda: dict(NEIGHBOUR_INTERDICTION))
    # neighbour -> ((from_day, probability), ...): a crackdown abroad (e.g. Antwerp 2024), pushing flow to NL.
    interdiction_schedule: dict[str, tuple[tuple[int, float], ...]] = field(default_factory=dict)
    # A scripted waterbed for demos: (from_day, from_hub, to_hub, share) sends `share` of the loads the
    # organisations choose to send to from_hub to to_hub instead, from that day on (on top of the emergent
    # re-planning, which needs months to show in a small world). () = the calibrated world.
    displacement: tuple[tuple[int, str, str, float], ...] = ()
    # Origin ports in the scan-image programme (plan line 2): every container leaving them gets a scan.
    origin_scan_ports: tuple[str, ...] = ("ECGYE",)
    smart_seal_share: float = 0.15  # share of boxes carrying an e-seal that reports door events
    # Per-hub volume factor on top of `scale` (a demo that wants the small hubs to show); {} = calibrated.
    hub_volume: dict[str, float] = field(default_factory=dict)
    organisations: int = 8
    declaration_formats: tuple[str, ...] = ("jsonl", "csv")
    # Generation time: events after it are written as estimates (EST), not actual (ACT), and sensor
    # readings after it are left out. None: `generate_world` uses the wall clock when it starts.
    now: datetime | None = None
    # Share of insiders who are careful (mimic their peers' look-ups; world.smuggling.Insider.careful).
    careful_insiders: float = 0.0
    # People per terminal or ground handler who look up container data; 0: 40 x sqrt(scale) (at least 4).
    staff_per_site: int = 0
    # Staff work day, late and night shifts (their look-ups fall in their own shift) instead of all by day: a
    # night look-up is then ordinary for some people, and only unusual against one's own hours.
    shift_work: bool = False

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if not 0 <= self.careful_insiders <= 1 or not 0 <= self.staff_per_site <= 2000:
            raise ValueError("careful_insiders must be 0..1 and staff_per_site 0..2000")
        if not 0 < self.scale <= 10:
            raise ValueError(f"scale must be in (0, 10], got {self.scale}")
        if self.trait_sensitivity < 0:
            raise ValueError(f"trait_sensitivity must be >= 0, got {self.trait_sensitivity}")
        if not 0 <= self.adaptation_rate <= 1:
            raise ValueError(f"adaptation_rate must be in [0, 1], got {self.adaptation_rate}")
        if self.now is not None and self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware (UTC)")
        unknown = set(self.hub_volume) - set(UNITS_PER_YEAR)
        if unknown or any(not 0 < v <= 100 for v in self.hub_volume.values()):
            raise ValueError(f"hub_volume: known hubs {sorted(UNITS_PER_YEAR)}, factors in (0, 100]")
        for _day, src, dst, share in self.displacement:
            if src not in INBOUND_HUBS or dst not in INBOUND_HUBS or not 0 <= share <= 1:
                raise ValueError(f"displacement {src} -> {dst}: inbound hubs and a share in [0, 1]")
        for fmt in self.declaration_formats:
            if fmt not in ("jsonl", "csv"):
                raise ValueError(f"unknown declaration format {fmt!r} (jsonl, csv)")

    def capacity_share_on(self, hub: str, day: int) -> float:
        return _on(day, self.capacity_share.get(hub, 0.0), self.capacity_schedule.get(hub, ()))

    def interdiction_on(self, hub: str, day: int) -> float:
        """A neighbouring port's chance of seizing a load sent there, on `day`."""
        return _on(day, self.neighbour_interdiction.get(hub, 0.1), self.interdiction_schedule.get(hub, ()))

    def units_per_day(self, hub: str) -> float:
        return UNITS_PER_YEAR[hub] / 365.0 * self.scale * self.hub_volume.get(hub, 1.0)


def _on(day: int, base: float, schedule: tuple[tuple[int, float], ...]) -> float:
    """The value on `day`: `base`, replaced by each (from_day, value) of the schedule from its day on."""
    value = base
    for from_day, new_value in sorted(schedule):
        if day >= from_day:
            value = new_value
    return value
