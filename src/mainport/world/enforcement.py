"""The enforcement loop: what a policy sees (declarations only), what it chooses, what it learns back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from mainport.ingest.declarations import FIELDS
from mainport.reference.countries import SOURCE_COUNTRIES, TRANSIT_COUNTRIES

# The declaration format is the ingest's (docs/ingest.md); the policy view adds `shipment_id` and `hub`.
DECLARATION_COLUMNS = FIELDS
VIEW_COLUMNS = ("shipment_id", "hub", *DECLARATION_COLUMNS)


class Policy(Protocol):
    """Chooses which declared units at one hub to scan or open today, at most `capacity` of them.

    `candidates` holds only what the product could know: VIEW_COLUMNS.
    """

    def select(self, day: int, hub: str, candidates: pd.DataFrame, capacity: int) -> list[str]: ...


@dataclass(frozen=True)
class InspectionOutcome:
    shipment_id: str
    hub: str
    container_number: str
    kind: str  # scan | physical
    found: bool
    kg: float


@dataclass
class DayOutcome:
    day: int
    units: dict[str, int] = field(default_factory=dict)  # declared units per Dutch hub
    capacity: dict[str, int] = field(default_factory=dict)
    inspections: list[InspectionOutcome] = field(default_factory=list)
    # Every seizure of the day, whatever found it: {hub, kg, channel, method} (method: truth, for evaluation).
    seizures: list[dict[str, object]] = field(default_factory=list)
    attempts: int = 0

    @property
    def finds(self) -> int:
        return sum(1 for i in self.inspections if i.found)

    @property
    def kg_found(self) -> float:
        return sum(i.kg for i in self.inspections)


class RandomPolicy:
    """Picks uniformly: the yardstick any targeting must beat."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def select(self, day: int, hub: str, candidates: pd.DataFrame, capacity: int) -> list[str]:
        if capacity <= 0 or candidates.empty:
            return []
        rng = np.random.default_rng([self.seed, day, sum(map(ord, hub))])
        ids = candidates["shipment_id"].to_numpy()
        return list(rng.choice(ids, size=min(capacity, len(ids)), replace=False))


_RISKY = SOURCE_COUNTRIES | TRANSIT_COUNTRIES


class RiskRulePolicy:
    """A customs-like baseline from declaration fields: risky origin or routing, new consignee, reefer,
    amendments, a little randomness (the world's default policy for `generate`)."""

    def __init__(self, seed: int = 0, random_share: float = 0.25) -> None:
        self.seed = seed
        self.random_share = random_share
        self.first_seen: dict[str, int] = {}

    def select(self, day: int, hub: str, candidates: pd.DataFrame, capacity: int) -> list[str]:
        if candidates.empty:
            return []
        rng = np.random.default_rng([self.seed, day, sum(map(ord, hub)), 1])
        consignees = candidates["consignee_eori"].to_numpy()
        first = np.array([self.first_seen.setdefault(c, day) for c in consignees])
        if capacity <= 0:
            return []
        loading = candidates["place_of_loading"].str[:2]
        routing = candidates["countries_of_routing"].map(lambda cs: bool(_RISKY.intersection(cs)))
        score = (
            2.0 * loading.isin(_RISKY).to_numpy()
            + 1.0 * routing.to_numpy()
            + 1.5 * ((day - first) < 30)
            + 0.6 * candidates["size_type"].fillna("").str.contains("R").to_numpy()
            + 0.5 * (candidates["amendments"].to_numpy() > 0)
            + rng.normal(0, 0.8, size=len(candidates))
        )
        ids = candidates["shipment_id"].to_numpy()
        n_random = round(capacity * self.random_share)
        top = list(ids[np.argsort(-score)[: capacity - n_random]])
        rest = np.setdiff1d(ids, top)
        if n_random and len(rest):
            top += list(rng.choice(rest, size=min(n_random, len(rest)), replace=False))
        return top
