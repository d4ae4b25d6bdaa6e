"""Small synthetic declaration flows for tests, demos and benchmarks (not the world simulator).

Smuggling risk depends on route, commodity, new consignees, reefers, seal changes and vague descriptions, with
noise; ``truth`` (label, kg) is returned separately and must only reach evaluation code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

PORTS_SOURCE = ["COCTG", "COBUN", "PECLL", "COTRB"]
PORTS_TRANSIT = ["ECGYE", "BRSSZ", "CRMOB", "PAMIT", "DOCAU"]
PORTS_OTHER = ["CNSHA", "USNYC", "SGSIN", "TRIST", "ZADUR", "INNSA"]
HS = {
    "fresh_fruit": ["080390", "080430", "080510", "070960"],
    "cocoa": ["180100", "180400"],
    "coffee": ["090111"],
    "frozen_food": ["030617"],
    "machinery": ["847130", "850440"],
    "general": ["392690", "640299", "940360", "690721"],
}
HUBS = ["rotterdam", "zeeland_west_brabant", "north_sea_canal"]
DESCRIPTIONS = {
    "fresh_fruit": "fresh bananas",
    "cocoa": "cocoa beans in bags",
    "coffee": "green coffee beans",
    "frozen_food": "frozen shrimp",
    "machinery": "computer parts",
    "general": "plastic articles",
}


@dataclass
class Flow:
    declarations: pd.DataFrame
    parties: pd.DataFrame
    events: pd.DataFrame
    truth: pd.DataFrame  # declaration_id, label, kg (evaluation only)


def generate(
    n: int, *, days: int = 120, seed: int = 0, start: datetime | None = None, base_rate: float = 0.01
) -> Flow:
    rng = np.random.default_rng(seed)
    start = start or datetime(2025, 1, 1, tzinfo=UTC)
    n_parties = max(50, n // 20)
    party_first_seen = pd.Timestamp(start) - pd.to_timedelta(rng.integers(-days, 2000, n_parties), unit="D")
    parties = pd.DataFrame(
        {
            "party_id": np.arange(1, n_parties + 1),
            "country": rng.choice(
                ["NL", "BE", "DE", "EC", "CO", "FR", "GB"],
                n_parties,
                p=[0.5, 0.15, 0.15, 0.05, 0.05, 0.05, 0.05],
            ),
            "first_seen": party_first_seen,
        }
    )
    filed = pd.Timestamp(start) + pd.to_timedelta(np.sort(rng.uniform(0, days * 86400, n)), unit="s")
    region = rng.choice(3, n, p=[0.08, 0.17, 0.75])
    pol = np.where(
        region == 0,
        rng.choice(PORTS_SOURCE, n),
        np.where(region == 1, rng.choice(PORTS_TRANSIT, n), rng.choice(PORTS_OTHER, n)),
    )
    group = rng.choice(list(HS), n, p=[0.2, 0.05, 0.05, 0.1, 0.25, 0.35])
    hs = np.array([rng.choice(HS[g]) for g in group])
    reefer = np.isin(group, ["fresh_fruit", "frozen_food"]) & (rng.random(n) < 0.9)
    size = np.where(reefer, "45R1", rng.choice(["22G1", "42G1", "45G1"], n))
    consignee = rng.integers(1, n_parties + 1, n)
    consignor = rng.integers(1, n_parties + 1, n)
    vague = rng.random(n) < 0.04
    desc = np.where(
        vague, rng.choice(["foodstuff", "general cargo", "goods"], n), [DESCRIPTIONS[g] for g in group]
    )
    routing = [[p[:2], "NL"] if rng.random() < 0.7 else [p[:2], "PA", "ES", "NL"] for p in pol]
    seal_change = rng.random(n) < 0.02
    mass = rng.uniform(8000, 26000, n)
    ids = np.arange(1, n + 1)
    # Hidden risk: the logit the world would use; evaluation reads `truth`, the product never does.
    age = ((filed - party_first_seen[consignee - 1]) / pd.Timedelta(days=1)).to_numpy()
    logit = (
        np.log(base_rate / (1 - base_rate))
        - 1.2
        + 2.2 * (region == 0)
        + 1.6 * (region == 1)
        + 1.0 * (group == "fresh_fruit")
        + 0.6 * np.isin(group, ["cocoa", "coffee"])
        + 0.5 * reefer
        + 1.2 * (age < 90)
        + 1.5 * seal_change
        + 1.0 * vague
        + rng.normal(0, 0.5, n)
    )
    label = rng.random(n) < 1 / (1 + np.exp(-logit))
    kg = np.where(label, rng.lognormal(4.0, 1.0, n), 0.0)
    containers = np.array([f"MSKU{i % 999_999:06d}{i % 10}" for i in ids])
    declarations = pd.DataFrame(
        {
            "declaration_id": ids,
            "filed_at": filed,
            "hub": rng.choice(HUBS, n, p=[0.7, 0.2, 0.1]),
            "place_of_loading": pol,
            "place_of_discharge": "NLRTM",
            "place_of_delivery": "NLRTM",
            "countries_of_routing": routing,
            "hs_code": hs,
            "goods_description": desc,
            "packages": rng.integers(100, 2000, n),
            "gross_mass_kg": mass,
            "size_type": size,
            "consignor_id": consignor,
            "consignee_id": consignee,
            "notify_id": np.where(rng.random(n) < 0.5, consignee, rng.integers(1, n_parties + 1, n)),
            "carrier": rng.choice(["MAEU", "MSCU", "CMDU", "HLCU"], n),
            "vessel_imo": rng.choice(["9321483", "9811000", "9703291"], n),
            "amendments": rng.poisson(0.2, n),
            "container_number": containers,
            "shipper_owned": rng.random(n) < 0.05,
        }
    )
    sealed = np.flatnonzero(seal_change)
    events = pd.DataFrame(
        {
            "container_number": np.repeat(containers[sealed], 2),
            "event_datetime": pd.DatetimeIndex(np.repeat(filed[sealed] - pd.Timedelta(days=3), 2))
            + pd.to_timedelta(np.tile([0, 30], len(sealed)), unit="h"),
            "seals": [[f"S{i}"] if k == 0 else [f"S{i}X"] for i in sealed for k in range(2)],
            "type_code": "GTIN",
        }
    )
    truth = pd.DataFrame({"declaration_id": ids, "label": label.astype(int), "kg": kg})
    return Flow(declarations, parties, events, truth)
