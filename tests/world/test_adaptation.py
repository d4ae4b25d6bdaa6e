"""Organisations re-plan what the declaration shows (port, lane, routing, cover, consignee) from what customs
pulls, not from consignee finds and not from the policy itself."""

from __future__ import annotations

from collections import Counter

import numpy as np

from mainport.world import World, WorldConfig
from mainport.world.smuggling import PRIOR_TRAIT_RISK, Attempt, adapt_traits, build_organisations


def _orgs() -> list:
    return build_organisations(seed=3, n=2, staff={}, aversion=6.0, scale=0.05, boost=10.0)


def _load(outcome: str, inspected: bool, origin: str = "ECGYE", style: str = "front") -> Attempt:
    a = Attempt("L", 0, "ORG01", "rotterdam", "cargo", 100.0, origin, row=1, outcome=outcome)
    a.inspected = inspected
    a.traits = {"origin": origin, "lane": "latam_west", "routing": "direct", "commodity": "bananas"}
    a.traits["consignee"] = style
    return a


def test_pulled_loads_raise_the_risk_of_their_traits_for_every_organisation() -> None:
    orgs = _orgs()
    for _ in range(10):
        adapt_traits(orgs, [_load("seized_inspection", True) for _ in range(3)], rate=0.15)
    for org in orgs:
        assert org.risk_trait[("origin", "ECGYE")] > 0.7
        f = org.trait_factor("origin", np.array(["ECGYE", "PECLL"], dtype=object))
        assert f[0] < 0.01 * f[1]  # a port whose boxes get pulled: >100x less attractive than an untried one


def test_consignee_finds_and_unpulled_loads_do_not_reveal_the_declaration_profile() -> None:
    orgs = _orgs()
    loads = [_load("seized_consignee", False), _load("extracted", False), _load("delivered", False)]
    for _ in range(10):
        adapt_traits(orgs, loads, rate=0.15)
    # Three loads a day through ECGYE, none pulled: the estimate falls below the prior, not above it.
    assert orgs[0].risk_trait[("origin", "ECGYE")] < PRIOR_TRAIT_RISK


def test_a_box_pulled_but_missed_is_a_warning_worth_half_a_seizure() -> None:
    seized, missed = _orgs(), _orgs()
    adapt_traits(seized, [_load("seized_inspection", True) for _ in range(3)], rate=0.5)
    adapt_traits(missed, [_load("pending", True) for _ in range(3)], rate=0.5)
    # One full step (rate 0.5, three loads) towards the day's exposure: 1.0 when seized, 0.5 when missed.
    assert seized[0].risk_trait[("origin", "ECGYE")] == PRIOR_TRAIT_RISK + 0.5 * (1.0 - PRIOR_TRAIT_RISK)
    assert missed[0].risk_trait[("origin", "ECGYE")] == PRIOR_TRAIT_RISK + 0.5 * (0.5 - PRIOR_TRAIT_RISK)


def _declared_loads(world: World, days: int) -> list[Attempt]:
    out = []
    for day in range(days):
        world.day_declarations(day)
        out += [a for a in world.attempts(day) if a.traits and a.traits["lane"] not in ("air", "road")]
        world.end_day(day)
    return out


def test_burned_ports_and_front_companies_are_avoided_when_placing_loads() -> None:
    cfg = WorldConfig(seed=4, scale=0.02, smuggling_boost=40.0, adaptation_rate=0.0)
    base = _declared_loads(World(cfg), 12)
    world = World(cfg)
    for org in world.orgs:  # every organisation has seen its usual ports and front companies pulled
        for port in org.origins:
            org.risk_trait[("origin", port)] = 0.5
        org.risk_trait[("consignee", "front")] = 0.5
    adapted = _declared_loads(world, 12)
    orgs = {o.code: o for o in world.orgs}

    def own_share(loads: list[Attempt]) -> float:
        return sum(a.traits["origin"] in orgs[a.org].origins for a in loads) / len(loads)

    def hijack_share(loads: list[Attempt]) -> float:
        styles = Counter(a.traits["consignee"] for a in loads if a.method == "cargo")
        return styles["hijacked"] / max(1, styles["hijacked"] + styles["front"])

    assert len(base) > 30 and len(adapted) > 30
    assert own_share(base) > 0.6 > 0.3 > own_share(adapted), (own_share(base), own_share(adapted))
    assert hijack_share(adapted) > hijack_share(base) + 0.3, (hijack_share(base), hijack_share(adapted))


def test_hijacked_cargo_loads_keep_the_importers_established_consignee() -> None:
    world = World(WorldConfig(seed=4, scale=0.02, smuggling_boost=40.0))
    for org in world.orgs:
        org.risk_trait[("consignee", "front")] = 1.0
    world.day_declarations(0)
    hijacked = [a for a in world.attempts(0) if a.traits.get("consignee") == "hijacked"]
    assert hijacked
    rows = world.state(0).rows
    for a in hijacked:
        assert a.front_party < 0 and "hijacked_consignee" in a.traces
        assert world.book.created_day[int(rows["consignee"][a.row])] < 0  # a long-established importer
