"""Volumes, ratios and size distribution against the configuration (docs/world.md)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from mainport.world import RiskRulePolicy, World, WorldConfig
from mainport.world.config import DUTCH_HUBS
from mainport.world.network import HUB_LANES
from mainport.world.smuggling import SEA_METHODS, draw_kg


@pytest.fixture(scope="module")
def run() -> tuple[World, list, dict[str, list[int]]]:
    cfg = WorldConfig(seed=5, scale=0.02, smuggling_boost=40.0)
    world = World(cfg)
    outcomes, units = [], {h: [] for h in DUTCH_HUBS}
    lanes: Counter[str] = Counter()
    for day in range(6):
        view = world.day_declarations(day)
        for h in DUTCH_HUBS:
            units[h].append(int((view["hub"] == h).sum()))
        rows = world.state(day).rows
        lanes.update(rows["lane"][rows["hub"] == "rotterdam"].tolist())
        outcomes.append(world.step(day, RiskRulePolicy(seed=5)))
    world.lanes = lanes  # type: ignore[attr-defined]
    return world, outcomes, units


def test_daily_volumes_match_the_configured_yearly_figures(run: tuple) -> None:
    world, _, units = run
    for hub, counts in units.items():
        expected = world.config.units_per_day(hub)
        mean = float(np.mean(counts))
        # Poisson: the 6-day mean is within 5 standard errors of the configuration.
        assert abs(mean - expected) < 5 * np.sqrt(expected / len(counts)) + 1, (hub, mean, expected)
    assert world.config.units_per_day("rotterdam") == pytest.approx(8_500_000 / 365 * 0.02)


def test_capacity_is_the_configured_share_of_units(run: tuple) -> None:
    _, outcomes, _ = run
    rtm_units = sum(o.units["rotterdam"] for o in outcomes)
    rtm_cap = sum(o.capacity["rotterdam"] for o in outcomes)
    assert rtm_cap / rtm_units == pytest.approx(0.0065, abs=0.002)
    assert all(
        len([i for i in o.inspections if i.hub == "rotterdam"]) <= o.capacity["rotterdam"] for o in outcomes
    )


def test_lane_shares_at_rotterdam(run: tuple) -> None:
    world, _, _ = run
    total = sum(world.lanes.values())
    for lane, share in HUB_LANES["rotterdam"]:
        assert world.lanes[lane] / total == pytest.approx(share, abs=4 * np.sqrt(share / total) + 0.01), lane


def test_bananas_come_in_reefers_from_latin_america() -> None:
    world = World(WorldConfig(seed=3, scale=0.02))
    rows = world.state(0).rows
    bananas = rows["commodity_code"] == "bananas"
    assert bananas.sum() > 10
    assert rows["reefer"][bananas].all()
    assert set(rows["lane"][bananas]) <= {"latam_west", "latam_caribbean", "west_africa"}


def test_load_sizes_match_the_public_seizure_profile() -> None:
    # Rotterdam 2023: 81 finds under 100 kg and 13 over 1,000 kg (of ~140): most small, a few huge.
    rng = np.random.default_rng(0)
    methods = list(SEA_METHODS)
    p = np.array([SEA_METHODS[m] for m in methods])
    kg = np.array([draw_kg(rng, methods[i]) for i in rng.choice(len(methods), size=20_000, p=p / p.sum())])
    assert 0.5 < (kg < 100).mean() < 0.7
    assert 0.05 < (kg > 1000).mean() < 0.13


def test_reefer_unit_is_the_most_common_hiding_place_then_the_cargo() -> None:
    # The organisations' expected method mix at sea (rate-weighted), before any adaptation.
    world = World(WorldConfig(seed=9, scale=0.01))
    mix: Counter[str] = Counter()
    for org in world.orgs:
        w = org.method_weights("rotterdam")
        total = sum(w.values())
        for m, v in w.items():
            mix[m] += org.rate_per_day * v / total
    ranked = [m for m, _ in mix.most_common()]
    assert ranked[:2] == ["reefer_unit", "cargo"]


def test_enforcement_finds_loads_and_reports_kg(run: tuple) -> None:
    _, outcomes, _ = run
    finds = [i for o in outcomes for i in o.inspections if i.found]
    assert all(i.kg > 0 for i in finds)
    assert all(i.kg == 0 for o in outcomes for i in o.inspections if not i.found)
