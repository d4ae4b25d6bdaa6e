"""Criminal organisations: routes, methods, front companies, insiders, and how they adapt to seizures."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mainport.world.commodities import COMMODITIES
from mainport.world.config import ATTEMPTS_PER_YEAR, INBOUND_HUBS, NEIGHBOUR_HUBS, TRAIT_SENSITIVITY
from mainport.world.parties import PartyBook

# Size of a load, kg: lognormal (median, sigma) per method. Door bags and reefer units hold tens of kilos;
# cargo and bulk cover loads run to tonnes (Rotterdam 2023: 81 finds <100 kg, 13 >1,000 kg).
LOAD_KG: dict[str, tuple[float, float]] = {
    "rip_on": (42.0, 0.55),
    "reefer_unit": (55.0, 0.5),
    "structure": (38.0, 0.5),
    "cargo": (250.0, 1.55),
    "bulk": (900.0, 1.0),
    "hull": (60.0, 0.4),
    "air_cargo": (25.0, 0.7),
    "baggage": (18.0, 0.4),
    "flower_truck": (35.0, 0.8),
}
# Chance that a scan or opening of a loaded unit finds the load (door bags are easy, structure is hard).
DETECT: dict[str, float] = {
    "rip_on": 0.92,
    "cargo": 0.75,
    "reefer_unit": 0.6,
    "structure": 0.45,
    "bulk": 0.5,
    "air_cargo": 0.8,
    "flower_truck": 0.7,
}
# Base method preferences at sea (reefer unit most common, then the cargo, shared/README.md).
SEA_METHODS = {
    "reefer_unit": 0.48,
    "cargo": 0.30,
    "rip_on": 0.10,
    "structure": 0.04,
    "hull": 0.04,
    "bulk": 0.04,
}
AIR_METHODS = {"air_cargo": 0.5, "baggage": 0.5}
BASE_HUB_PREF = {
    "rotterdam": 0.325,
    "zeeland_west_brabant": 0.25,
    "north_sea_canal": 0.053,
    "schiphol": 0.5,
    "BEANR": 1.45,
    "DEHAM": 0.225,
    "FRLEH": 0.2,
    "ESALG": 0.1,
}
# The chance an organisation can work through a hub (organisation_hubs); others weigh OTHER_HUB of their base.
ORG_REACH = {
    "rotterdam": 0.8,
    "zeeland_west_brabant": 0.4,
    "north_sea_canal": 0.15,
    "schiphol": 0.3,
    "BEANR": 0.8,
    "DEHAM": 0.4,
    "FRLEH": 0.2,
    "ESALG": 0.2,
}
OTHER_HUB = 0.03
# Cover loads front companies declare (the risk headings of reference.hs).
COVERS = (
    "bananas",
    "pineapples",
    "avocados",
    "fruit_other",
    "coffee",
    "shrimp",
    "frozen_meat",
    "juice",
    "timber",
    "cocoa_beans",
)
METHODS_NEEDING_INSIDER = ("rip_on", "reefer_unit", "structure")
LATAM_AIRPORTS = ("COBOG", "PELIM", "BRGRU", "CWCUR", "SRPBM", "BOVVI")
PRIOR_RISK = 0.1
# Intelligence-led seizures at the Dutch hubs: TIP_RATE x (kg / 100) ** 0.3, at most TIP_MAX (docs/world.md).
TIP_RATE, TIP_MAX = 0.025, 0.2
# A cargo load consigned to a hijacked importer must be taken out before the importer unpacks it: the crew
# manages that this often, otherwise the importer finds it and calls customs (CONSIGNEE_REPORTS of the time).
HIJACKED_EXTRACTION, CONSIGNEE_REPORTS = 0.7, 0.6

# Declaration traits an organisation varies per load and a risk analyst (or model) sees in the declaration.
# Organisations keep a risk per (kind, value) learned from which of the loads customs PULLED (docs/world.md).
TRAIT_KINDS = ("origin", "lane", "routing", "commodity", "consignee")
# What an organisation assumes of a trait it has no news on: about the share of boxes that is scanned.
PRIOR_TRAIT_RISK = 0.01
# Exposure news per load: seized at an inspection 1.0; box pulled but the load missed 0.5 (the insider or the
# extraction crew sees the box held and scanned: a warning, not a loss).
EXPOSURE_SEIZED, EXPOSURE_PULLED = 1.0, 0.5
# Weights of boxes from other ports than the organisation's own (a new contact at another port to set up),
# and of West African boxes (cocaine re-shipped via the Gulf of Guinea), relative to its own ports.
ALT_ORIGIN, ALT_LANE = 0.05, 0.02
# An insider's terminal is strongly preferred for door, reefer and structure loads (the insider gets it out).
INSIDER_TERMINAL = 20.0
# Cargo loads: share consigned to a hijacked legitimate importer (stolen identity) instead of a front company
# at the start; covers outside the organisation's usual three are weighted ALT_COVER.
HIJACK_BASE, ALT_COVER = 0.2, 0.1


@dataclass
class Insider:
    user: str
    employer: str  # terminal facility code or ground handler
    hub: str
    role: str  # planner | checker | baggage_handler
    # A careful insider mimics their peers: looks up the box in their own shift, from their own workstation,
    # and never the release code (passed on another way); only what happens to the boxes gives them away.
    careful: bool = False


@dataclass
class Organisation:
    code: str
    home: str
    origins: tuple[str, ...]
    rate_per_day: float
    hub_pref: dict[str, float]
    method_pref: dict[str, float]
    covers: tuple[str, ...]
    insiders: list[Insider] = field(default_factory=list)
    fronts: list[list[int]] = field(default_factory=list)  # [party index, uses left]
    risk_hub: dict[str, float] = field(default_factory=dict)
    risk_method: dict[str, float] = field(default_factory=dict)
    risk_trait: dict[tuple[str, str], float] = field(default_factory=dict)
    aversion: float = 6.0
    trait_sensitivity: float = TRAIT_SENSITIVITY

    def hub_weights(self) -> dict[str, float]:
        return {
            h: p * math.exp(-self.aversion * self.risk_hub.get(h, PRIOR_RISK))
            for h, p in self.hub_pref.items()
        }

    def method_weights(self, hub: str) -> dict[str, float]:
        allowed = methods_at(hub)
        return {
            m: p * math.exp(-self.aversion * self.risk_method.get(m, PRIOR_RISK))
            for m, p in self.method_pref.items()
            if m in allowed
        }

    def trait_factor(self, kind: str, values: np.ndarray) -> np.ndarray:
        """exp(-aversion x sensitivity x risk) per value: how much less attractive a trait's boxes look."""
        uniq, inv = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
        risk = np.array([self.risk_trait.get((kind, str(u)), PRIOR_TRAIT_RISK) for u in uniq])
        return np.exp(-self.aversion * self.trait_sensitivity * risk)[inv]

    def pick_style(self, rng: np.random.Generator) -> str:
        """Front company or a hijacked legitimate importer for a cargo load."""
        f = self.trait_factor("consignee", np.array(["front", "hijacked"], dtype=object))
        w = np.array([1.0 - HIJACK_BASE, HIJACK_BASE]) * f
        return "front" if rng.random() < w[0] / w.sum() else "hijacked"

    def pick_cover(self, rng: np.random.Generator, reefer: bool) -> str | None:
        """A cover load that fits the box (reefer or dry), away from the commodities that got boxes pulled."""
        fits = np.array([c for c in COVERS if COMMODITIES[c].reefer == reefer], dtype=object)
        if not len(fits):
            return None
        base = np.where(np.isin(fits, self.covers), 1.0, ALT_COVER) * self.trait_factor("commodity", fits)
        return str(fits[int(rng.choice(len(fits), p=base / base.sum()))])


def methods_at(hub: str) -> tuple[str, ...]:
    if hub == "schiphol":
        return tuple(AIR_METHODS)
    if hub == "north_sea_canal":
        return tuple(SEA_METHODS)
    return tuple(m for m in SEA_METHODS if m != "bulk")


@dataclass
class Attempt:
    """One load of cocaine on its way: truth only."""

    id: str
    day: int
    org: str
    hub: str
    method: str
    kg: float
    origin: str
    row: int = -1  # row in the day's declarations (-1: nothing declared in NL for it)
    container_number: str = ""
    vessel_imo: str = ""
    insider: str = ""
    front_party: int = -1
    position: str = ""
    # pending | seized_inspection | seized_consignee | seized_diver | seized_tip | seized_border | extracted
    # | delivered
    outcome: str = "pending"
    kg_found: float = 0.0
    traces: list[str] = field(default_factory=list)
    # What the declaration shows of the load's route and papers (TRAIT_KINDS), and whether customs pulled it.
    traits: dict[str, str] = field(default_factory=dict)
    inspected: bool = False

    @property
    def seized(self) -> bool:
        return self.outcome.startswith("seized")


def tip_probability(kg: float) -> float:
    """Chance that intelligence (intercepted messages, informants, partners abroad) gives a load away before
    it is delivered: bigger loads involve more people and more talk."""
    return min(TIP_MAX, TIP_RATE * (kg / 100.0) ** 0.3)


def draw_kg(rng: np.random.Generator, method: str) -> float:
    median, sigma = LOAD_KG[method]
    return float(np.clip(round(median * math.exp(sigma * rng.standard_normal()), 1), 2.0, 12_000.0))


def organisation_hubs(rng: np.random.Generator) -> dict[str, float]:
    """An organisation's hub preferences: it works through the hubs it can reach (ORG_REACH: the chance it has
    contacts, insiders and extraction crews there; at least two); any other hub weighs OTHER_HUB of its base
    (a route still to set up). So pressure on one hub pushes each organisation to ITS other hubs, not evenly
    to all: displacement is concentrated, as in the public record (Rotterdam -> Antwerp, Vlissingen)."""
    while True:
        own = {h for h in INBOUND_HUBS if rng.random() < ORG_REACH[h]}
        if len(own) >= 2:
            break
    return {
        h: BASE_HUB_PREF[h] * rng.uniform(0.5, 1.5) * (1.0 if h in own else OTHER_HUB) for h in INBOUND_HUBS
    }


_ORG_HOMES = ("CO", "NL", "NL", "BE", "EC", "AL", "MA", "NL", "BR", "CO")
_ORG_ORIGINS = (
    ("ECGYE", "ECPBO", "COTRB", "COBUN"),
    ("COCTG", "COSMR", "PAMIT", "CRMOB"),
    ("BRSSZ", "BRPNG", "PYASU"),
    ("ECGYE", "PECLL", "PEPAI", "CLARI"),
    ("CRMOB", "DOCAU", "GTSTC", "HNPCR"),
    ("ECGYE", "COCTG", "BRSSZ"),
)


def build_organisations(
    seed: int,
    n: int,
    staff: dict[str, list[tuple[str, str]]],
    aversion: float,
    scale: float,
    boost: float,
    *,
    trait_sensitivity: float = TRAIT_SENSITIVITY,
) -> list[Organisation]:
    rng = np.random.default_rng([seed, 7003])
    sizes = rng.dirichlet(np.full(n, 1.5))
    orgs = []
    for i in range(n):
        hub_pref = organisation_hubs(rng)
        method_pref = {m: p * rng.uniform(0.75, 1.25) for m, p in {**SEA_METHODS, **AIR_METHODS}.items()}
        insiders = []
        for hub, count in (
            ("rotterdam", int(rng.integers(1, 4))),
            ("zeeland_west_brabant", int(rng.integers(0, 2))),
            ("schiphol", int(rng.integers(0, 2))),
        ):
            people = staff.get(hub, [])
            for j in rng.choice(len(people), size=min(count, len(people)), replace=False) if people else []:
                user, employer = people[int(j)]
                role = (
                    "baggage_handler"
                    if hub == "schiphol"
                    else ("planner" if rng.random() < 0.6 else "checker")
                )
                insiders.append(Insider(user, employer, hub, role))
        orgs.append(
            Organisation(
                code=f"ORG{i + 1:02d}",
                home=_ORG_HOMES[i % len(_ORG_HOMES)],
                origins=_ORG_ORIGINS[i % len(_ORG_ORIGINS)],
                rate_per_day=float(sizes[i] * ATTEMPTS_PER_YEAR / 365.0 * scale * boost),
                hub_pref=hub_pref,
                method_pref=method_pref,
                covers=tuple(rng.choice(COVERS, size=3, replace=False)),
                insiders=insiders,
                aversion=aversion * rng.uniform(0.8, 1.2),
                trait_sensitivity=trait_sensitivity,
            )
        )
    return orgs


def front_company(
    rng: np.random.Generator, org: Organisation, book: PartyBook, day: int, country: str = "NL"
) -> int:
    """A front company to consign a load to; used a few times, then dropped (or burned by a seizure)."""
    org.fronts[:] = [f for f in org.fronts if f[1] > 0]  # retire used-up and burned fronts: bounded list
    live = [f for f in org.fronts if book.country[f[0]] == country]
    if live and rng.random() < 0.75:
        front = live[int(rng.integers(len(live)))]
        front[1] -= 1
        return front[0]
    idx = book.add(rng, country, day, front=True)
    org.fronts.append([idx, int(rng.integers(1, 5))])
    return idx


def burn(org: Organisation, party: int) -> None:
    for f in org.fronts:
        if f[0] == party:
            f[1] = 0


# Strategic re-planning (which hub, which method) is slower than the tactical choices (which box, port,
# cover): it forgets `adaptation_rate / REPLAN_SLOWDOWN` a day, a memory of about a month at the default rate.
REPLAN_SLOWDOWN = 5.0
# Strength of the prior seizure fraction, in full-volume loads: a hub with little news stays near PRIOR_RISK.
PRIOR_LOADS = 20.0
DUTCH_PRIOR_RISK = 0.15
# Scanning intensity is seen directly (insiders see boxes held for the scanner, new scanners are in the news):
# a hub's perceived risk adds PRESSURE_WEIGHT x its inspection share. At the base 0.65% that is 0.05; tripled
# scanning adds 0.1, as much as a tenth more loads seized.
PRESSURE_WEIGHT = 8.0
# Neighbouring ports' scanning is not simulated: taken as the Dutch base share x interdiction / its base.
NEIGHBOUR_PRESSURE = 0.0065


@dataclass
class SeizureNews:
    """What all organisations have heard, pooled: per hub and per method the loads sent and seized, and per
    hub the scanning intensity, each exponentially forgotten. Counts are in full-volume loads (divided by
    scale x smuggling_boost) so that re-planning behaves the same at every scale."""

    sent: dict[str, float] = field(default_factory=dict)
    seized: dict[str, float] = field(default_factory=dict)
    pressure: dict[str, float] = field(default_factory=dict)
    # What they knew before the run starts (last years' experience), per key; PRIOR_RISK otherwise.
    prior: dict[str, float] = field(default_factory=dict)

    def fraction(self, key: str) -> float:
        """Seizure fraction with a prior of PRIOR_LOADS loads at the key's prior."""
        seized, sent = self.seized.get(key, 0.0), self.sent.get(key, 0.0)
        return (seized + self.prior.get(key, PRIOR_RISK) * PRIOR_LOADS) / (sent + PRIOR_LOADS)

    @classmethod
    def experienced(cls, interdiction: dict[str, float]) -> SeizureNews:
        """News at the start of a run: neighbouring ports at their known interdiction rate, Dutch hubs at
        DUTCH_PRIOR_RISK (about what a year of the base enforcement seizes), so that a run does not open
        with weeks of organisations discovering the known."""
        prior = {f"hub:{h}": interdiction.get(h, PRIOR_RISK) for h in NEIGHBOUR_HUBS}
        prior.update({f"hub:{h}": DUTCH_PRIOR_RISK for h in INBOUND_HUBS if h not in NEIGHBOUR_HUBS})
        return cls(prior=prior)

    def inform(self, orgs: list[Organisation]) -> None:
        """Set every organisation's hub and method risk from the news (pressure: NEIGHBOUR_PRESSURE where
        nothing was seen yet)."""
        risk_hub = {
            h: self.fraction(f"hub:{h}") + PRESSURE_WEIGHT * self.pressure.get(h, NEIGHBOUR_PRESSURE)
            for h in INBOUND_HUBS
        }
        methods = {k.removeprefix("method:") for k in self.sent if k.startswith("method:")}
        risk_method = {m: self.fraction(f"method:{m}") for m in methods}
        for org in orgs:
            org.risk_hub.update(risk_hub)
            org.risk_method.update(risk_method)


def adapt(
    orgs: list[Organisation],
    attempts: list[Attempt],
    rate: float,
    *,
    news: SeizureNews | None = None,
    unit: float = 1.0,
    scanning: dict[str, float] | None = None,
) -> None:
    """The waterbed: organisations read the day's seizures per hub and method (and the scanning intensity per
    hub) and re-weight their plans.

    Hub and method risk: the pooled seizure fraction of the last weeks (`SeizureNews`, forgotten at
    `rate / REPLAN_SLOWDOWN` a day) plus, for hubs, PRESSURE_WEIGHT x the perceived inspection share.
    `unit`: loads per full-volume load (scale x boost). `scanning`: today's inspection share per Dutch hub.
    Declaration traits adapt faster, from the day's pulled loads (`adapt_traits`).
    """
    if rate <= 0:
        return
    news = news if news is not None else SeizureNews()
    keep = 1.0 - min(1.0, rate / REPLAN_SLOWDOWN)
    today: dict[str, list[float]] = {}
    for a in attempts:
        for key in (f"hub:{a.hub}", f"method:{a.method}"):
            sent_seized = today.setdefault(key, [0.0, 0.0])
            sent_seized[0] += 1.0 / unit
            sent_seized[1] += float(a.seized) / unit
    for key in set(news.sent) | set(today):
        sent, seized = today.get(key, (0.0, 0.0))
        news.sent[key] = keep * news.sent.get(key, 0.0) + sent
        news.seized[key] = keep * news.seized.get(key, 0.0) + seized
    for hub in INBOUND_HUBS:
        seen = (scanning or {}).get(hub, NEIGHBOUR_PRESSURE)
        before = news.pressure.get(hub, seen)  # first day: what is seen is what was always seen
        news.pressure[hub] = keep * before + (1.0 - keep) * seen
    news.inform(orgs)
    if attempts:
        adapt_traits(orgs, attempts, rate)


def exposure(a: Attempt) -> float:
    if a.outcome == "seized_inspection":
        return EXPOSURE_SEIZED
    return EXPOSURE_PULLED if a.inspected else 0.0


def adapt_traits(orgs: list[Organisation], attempts: list[Attempt], rate: float) -> None:
    """Re-plan what the declaration shows: per origin, lane, routing, commodity and consignee style, the
    exponentially weighted share of loads that customs pulled (seized or inspected). Only inspections count:
    a consignee's or diver's find says nothing about which declarations customs looks at."""
    news: dict[tuple[str, str], list[float]] = {}
    for a in attempts:
        for kind, value in a.traits.items():
            sent_hit = news.setdefault((kind, value), [0.0, 0.0])
            sent_hit[0] += 1
            sent_hit[1] += exposure(a)
    for org in orgs:
        for key, (sent, hit) in news.items():
            r = org.risk_trait.get(key, PRIOR_TRAIT_RISK)
            w = rate * min(1.0, sent / 3.0)
            org.risk_trait[key] = r + w * (hit / sent - r)


def pick_weighted(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    w = np.array([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=w / w.sum()))]


def is_neighbour(hub: str) -> bool:
    return hub in NEIGHBOUR_HUBS
