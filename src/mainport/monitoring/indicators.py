"""Weekly displacement indicators per hub from product-visible records (docs/waterbed.md).

Seizures alone are too few at the smaller hubs to see smuggling move there; these records sit closer to the
flow and monitoring receives them from the platform: staff look-ups out of working hours (custody's access-log
alerts), seals seen at discharge that differ from the declared seal (custody's seal alerts), and declarations
from source or transit countries to a consignee first seen only days ago (targeting's new-consignee rule).
Pure: records in, counts per hub out; nothing here reads the world's truth.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from mainport.reference.countries import SOURCE_COUNTRIES, TRANSIT_COUNTRIES

SIGNALS = ("seizures", "night_lookups", "seal_changes", "new_consignee_source")
_RISKY = SOURCE_COUNTRIES | TRANSIT_COUNTRIES
LOOKUP_KINDS = ("position", "release_code", "gate_entry", "baggage_lookup")  # what night_lookups counts
_LOOKUPS = LOOKUP_KINDS


def night_lookups(logs: Iterable[Mapping[str, Any]], *, day_from: int = 6, day_to: int = 22) -> Counter[str]:
    """Per hub: look-ups of a box's position or release code, and gate entries, outside working hours."""
    out: Counter[str] = Counter()
    for e in logs:
        if e.get("kind") not in _LOOKUPS:
            continue
        hour = int(str(e["at"])[11:13])
        if hour < day_from or hour >= day_to:
            out[str(e["hub"])] += 1
    return out


def seal_changes(seals: pd.DataFrame) -> Counter[str]:
    """Per hub: boxes whose seal on discharge is not the declared seal (a rip-on crew's cloned seal)."""
    if seals.empty:
        return Counter()
    seen = seals["seal_at_discharge"].astype(str)
    declared = seals["declared_seal"].astype(str)
    changed = seals[(seen != "") & (declared != "") & (seen != declared)]
    return Counter(changed["hub"].astype(str).tolist())


@dataclass
class NewConsigneeWatch:
    """Remembers when each consignee was first seen; counts declarations from source/transit countries to a
    consignee first seen within `recent_days` (front companies are new and used a few times, then dropped)."""

    recent_days: int = 7
    first_seen: dict[str, int] = field(default_factory=dict)

    def observe(self, day: int, declarations: pd.DataFrame) -> Counter[str]:
        if declarations.empty:
            return Counter()
        consignees = declarations["consignee_eori"].astype(str).tolist()
        first = [self.first_seen.setdefault(c, day) for c in consignees]
        loading = declarations["place_of_loading"].astype(str).str[:2]
        routed = declarations["countries_of_routing"].map(lambda cs: bool(_RISKY.intersection(cs or ())))
        risky = (loading.isin(_RISKY) | routed).to_numpy()
        hubs = declarations["hub"].astype(str).tolist()
        out: Counter[str] = Counter()
        for hub, f, r in zip(hubs, first, risky, strict=True):
            if r and day - f < self.recent_days:
                out[hub] += 1
        return out


def combine(frames: Mapping[str, pd.DataFrame], signals: Iterable[str] = SIGNALS) -> pd.DataFrame:
    """One periods x hubs matrix: the sum of the chosen indicator counts (a hub missing a signal adds 0).

    Summing counts keeps the Poisson character (the detector works on log1p of weekly counts) and lets rare
    signals add up instead of each being too sparse to test on its own.
    """
    chosen = [frames[s] for s in signals if s in frames]
    if not chosen:
        raise ValueError("no indicator frames to combine")
    total = chosen[0].copy().astype(float)
    for f in chosen[1:]:
        total = total.add(f.astype(float), fill_value=0.0)
    return total
