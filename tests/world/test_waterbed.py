"""The waterbed: raise enforcement at Rotterdam and the smuggling flow moves to other hubs."""

from __future__ import annotations

import pytest

from mainport.world import RiskRulePolicy, World, WorldConfig

CHANGE_DAY = 10
DAYS = 45


def _share_elsewhere(schedule: dict[str, tuple[tuple[int, float], ...]]) -> tuple[float, float]:
    world = World(
        WorldConfig(
            seed=21, scale=0.01, smuggling_boost=40.0, adaptation_rate=0.3, capacity_schedule=schedule
        )
    )
    policy = RiskRulePolicy(seed=21)
    before = after = 0
    elsewhere_after = 0
    for day in range(DAYS):
        world.step(day, policy)
        loads = world.attempts(day)
        if day >= CHANGE_DAY + 10:
            after += len(loads)
            elsewhere_after += sum(1 for a in loads if a.hub not in ("rotterdam", "flower_auctions"))
        before += len(loads)
    rtm_weight = sum(o.hub_weights()["rotterdam"] / sum(o.hub_weights().values()) for o in world.orgs)
    return elsewhere_after / after, rtm_weight / len(world.orgs)


@pytest.mark.slow
def test_more_scanning_at_rotterdam_pushes_flow_to_other_hubs() -> None:
    base_share, base_weight = _share_elsewhere({})
    raised_share, raised_weight = _share_elsewhere({"rotterdam": ((CHANGE_DAY, 0.08),)})
    # Same seed, same legitimate trade: only the enforcement differs.
    assert raised_share > base_share + 0.08, (base_share, raised_share)
    assert raised_weight < base_weight * 0.6, (base_weight, raised_weight)


def _dutch_share_after(crackdown: dict[str, tuple[tuple[int, float], ...]]) -> float:
    world = World(
        WorldConfig(
            seed=22, scale=0.01, smuggling_boost=40.0, adaptation_rate=0.3, interdiction_schedule=crackdown
        )
    )
    policy = RiskRulePolicy(seed=22)
    dutch = total = 0
    for day in range(DAYS):
        world.step(day, policy)
        if day >= CHANGE_DAY + 10:
            loads = [a for a in world.attempts(day) if a.hub != "flower_auctions"]
            total += len(loads)
            dutch += sum(
                1 for a in loads if a.hub in ("rotterdam", "zeeland_west_brabant", "north_sea_canal")
            )
    return dutch / total


@pytest.mark.slow
def test_a_crackdown_in_antwerp_pushes_flow_into_the_dutch_ports() -> None:
    base = _dutch_share_after({})
    raised = _dutch_share_after({"BEANR": ((CHANGE_DAY, 0.6),)})
    assert raised > base * 1.15, (base, raised)


def test_interdiction_schedule_applies_from_its_day() -> None:
    cfg = WorldConfig(interdiction_schedule={"BEANR": ((10, 0.5), (20, 0.3))})
    assert cfg.interdiction_on("BEANR", 9) == 0.25
    assert cfg.interdiction_on("BEANR", 10) == 0.5 and cfg.interdiction_on("BEANR", 25) == 0.3
    assert cfg.interdiction_on("DEHAM", 15) == cfg.neighbour_interdiction["DEHAM"]
