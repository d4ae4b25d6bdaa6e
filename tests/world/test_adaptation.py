"""Organisations re-plan what the declaration shows (port, lane, routing, cover, consignee) from what customs
pulls, not from consignee finds and not from the policy itself."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from mainport.world import World, WorldConfig
from mainport.world.smuggling import (
    BASE_HUB_PREF,
    DUTCH_PRIOR_RISK,
    OTHER_HUB,
    PRESSURE_WEIGHT,
    PRIOR_TRAIT_RISK,
    TIP_MAX,
    Attempt,
    SeizureNews,
    adapt,
    adapt_traits,
    build_organisations,
    organisation_hubs,
    tip_probability,
)


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


def test_trait_sensitivity_reaches_every_organisation_and_sharpens_the_steering() -> None:
    calm = World(WorldConfig(days=1, seed=3, scale=0.01))
    reactive = World(WorldConfig(days=1, seed=3, scale=0.01, trait_sensitivity=12.0))
    assert {o.trait_sensitivity for o in calm.orgs} == {WorldConfig.trait_sensitivity}
    assert {o.trait_sensitivity for o in reactive.orgs} == {12.0}
    for world in (calm, reactive):
        world.orgs[0].risk_trait[("lane", "latam_west")] = 0.05  # 5% of its boxes pulled
    lanes = np.array(["latam_west"], dtype=object)
    f_calm = calm.orgs[0].trait_factor("lane", lanes)[0]
    f_reactive = reactive.orgs[0].trait_factor("lane", lanes)[0]
    aversion = calm.orgs[0].aversion
    assert f_calm == pytest.approx(np.exp(-aversion * 3.0 * 0.05))
    assert f_reactive == pytest.approx(np.exp(-aversion * 12.0 * 0.05))
    with pytest.raises(ValueError, match="trait_sensitivity"):
        WorldConfig(trait_sensitivity=-1.0)


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
    cfg = WorldConfig(seed=4, scale=0.02, smuggling_boost=80.0, adaptation_rate=0.0)
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


# --- hub and method re-planning (the waterbed's memory) ------------------------------------------------


def _sea_load(hub: str, seized: bool) -> Attempt:
    return Attempt(
        "L", 0, "ORG01", hub, "reefer_unit", 50.0, "ECGYE", outcome="seized_tip" if seized else "extracted"
    )


def test_news_is_pooled_in_full_volume_loads_so_scale_does_not_change_the_estimate() -> None:
    small, big = _orgs(), _orgs()
    news_small, news_big = SeizureNews.experienced({}), SeizureNews.experienced({})
    for _ in range(30):
        # The same world at 3x the loads (scale x boost = 3): three times the loads, the same fractions.
        adapt(small, [_sea_load("rotterdam", i < 1) for i in range(4)], 0.15, news=news_small, unit=1.0)
        adapt(big, [_sea_load("rotterdam", i < 3) for i in range(12)], 0.15, news=news_big, unit=3.0)
    assert news_small.fraction("hub:rotterdam") == pytest.approx(news_big.fraction("hub:rotterdam"))
    # A quarter of the loads seized for a month: the estimate has moved most of the way from the 0.15 prior.
    assert 0.2 < news_small.fraction("hub:rotterdam") < 0.25
    assert small[0].risk_hub["rotterdam"] == pytest.approx(big[1].risk_hub["rotterdam"])


def test_a_hub_with_little_news_stays_near_its_prior() -> None:
    orgs, news = _orgs(), SeizureNews.experienced({"BEANR": 0.25})
    adapt(orgs, [_sea_load("zeeland_west_brabant", True)], 0.15, news=news)  # one load, seized
    assert news.fraction("hub:zeeland_west_brabant") < DUTCH_PRIOR_RISK + 0.05
    assert news.fraction("hub:BEANR") == pytest.approx(0.25)


def test_more_scanning_is_seen_directly_and_lowers_the_hubs_weight() -> None:
    orgs, news = _orgs(), SeizureNews.experienced({})
    base = {"rotterdam": 0.0065, "zeeland_west_brabant": 0.0065, "north_sea_canal": 0.0065, "schiphol": 0.01}
    adapt(orgs, [], 0.15, news=news, scanning=base)
    before = orgs[0].hub_weights()
    for _ in range(90):  # three months of tripled scanning at Rotterdam, no seizure news at all
        adapt(orgs, [], 0.15, news=news, scanning={**base, "rotterdam": 0.0195})
    after = orgs[0].hub_weights()
    assert news.pressure["rotterdam"] == pytest.approx(0.0195, rel=0.1)
    # exp(-aversion x PRESSURE_WEIGHT x the rise in perceived scanning): about 0.55-0.65 at aversion 5-6.
    rise = news.pressure["rotterdam"] - 0.0065
    expected = np.exp(-orgs[0].aversion * PRESSURE_WEIGHT * rise)
    assert after["rotterdam"] / before["rotterdam"] == pytest.approx(expected)
    assert expected < 0.7
    assert after["BEANR"] == pytest.approx(before["BEANR"])


def test_no_adaptation_when_the_rate_is_zero() -> None:
    orgs, news = _orgs(), SeizureNews.experienced({})
    news.inform(orgs)
    before = dict(orgs[0].risk_hub)
    adapt(
        orgs, [_sea_load("rotterdam", True) for _ in range(50)], 0.0, news=news, scanning={"rotterdam": 0.5}
    )
    assert orgs[0].risk_hub == before and not news.sent


def test_each_organisation_works_through_its_own_hubs() -> None:
    for seed in range(40):
        prefs = organisation_hubs(np.random.default_rng(seed))
        own = [h for h, p in prefs.items() if p >= 0.5 * BASE_HUB_PREF[h]]
        assert len(own) >= 2
        for h, p in prefs.items():
            assert h in own or p <= 1.5 * OTHER_HUB * BASE_HUB_PREF[h]


def test_intelligence_tips_grow_with_the_load_and_are_capped() -> None:
    assert tip_probability(10) < tip_probability(100) < tip_probability(1000) <= TIP_MAX
    assert tip_probability(100) == pytest.approx(0.025)
    assert tip_probability(1e9) == TIP_MAX
