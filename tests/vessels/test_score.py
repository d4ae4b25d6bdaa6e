"""The vessel score (pure): reasons per term, learning from dive outcomes, and the dive selection."""

from __future__ import annotations

import numpy as np
import pytest

from mainport.vessels.score import CallInput, History, PortCall, score_call, score_calls
from mainport.vessels.selection import choose


def _call(i: int, imo: str = "9321483", wait: float = 2.0, crew: tuple[str, ...] = ()) -> CallInput:
    return CallInput(i, imo, [PortCall("ECGYE", wait), PortCall("PAMIT", 1.0)], crew)


def test_each_term_is_a_reason_and_raises_the_score() -> None:
    h = History()
    plain = score_call(_call(1), h)
    waited = score_call(_call(2, wait=36.0), h)
    crewed = score_call(_call(3, wait=36.0, crew=("ECGYE",)), h)
    assert plain.p < waited.p < crewed.p
    assert {r.code for r in plain.reasons} == {"route"}  # two source/transit ports
    assert {r.code for r in crewed.reasons} == {"route", "anchorage", "crew_change"}
    assert "36 h at anchor off ECGYE" in [r.text for r in crewed.reasons]
    # the score is the base log-odds plus the reasons' weights
    assert crewed.score - plain.score == pytest.approx(
        sum(r.weight for r in crewed.reasons) - plain.reasons[0].weight
    )


def test_a_crew_change_in_europe_is_no_reason() -> None:
    assert "crew_change" not in {r.code for r in score_call(_call(1, crew=("DEHAM",)), History()).reasons}


def test_outcomes_feed_back_per_vessel_and_per_port() -> None:
    h = History()
    before = score_call(_call(1, imo="9321483"), h).p
    h.add("9321483", ["ECGYE"], True)
    h.add("9321483", ["ECGYE"], True)
    after = score_call(_call(2, imo="9321483"), h)
    assert after.p > 2 * before
    assert {"vessel_record", "port_record"} <= {r.code for r in after.reasons}
    clean = History()
    for _ in range(30):
        clean.add("9074729", ["ECGYE"], False)
    assert score_call(_call(3, imo="9074729"), clean).p < before  # dived often, never found


def test_a_call_without_source_ports_or_boxes_is_not_from_source() -> None:
    assert not CallInput(1, "9321483", [PortCall("DEHAM", 3.0)]).from_source
    assert CallInput(1, "9321483", [PortCall("DEHAM", 3.0)], risk_boxes=3).from_source


def test_selection_fills_capacity_with_the_highest_scores_and_explores() -> None:
    h = History()
    scored = score_calls([_call(i, wait=float(i)) for i in range(60)], h)
    picks = choose(scored, 5, exploration_share=0.0, seed=1)
    assert [p.call_id for p in picks] == [59, 58, 57, 56, 55]
    assert all(p.strategy == "risk" and p.propensity == 1.0 for p in picks)
    explored = [choose(scored, 5, exploration_share=0.4, seed=s) for s in range(20)]
    strategies = {p.strategy for picks in explored for p in picks}
    assert "random_audit" in strategies
    low = [p for picks in explored for p in picks if p.strategy != "risk"]
    assert low and all(0 < p.propensity < 1 for p in low)
    assert choose(scored, 0) == [] and choose([], 3) == []
    with pytest.raises(ValueError):
        choose(scored, -1)


def test_hull_world_loads_only_on_source_lane_calls_and_finds_need_a_load() -> None:
    from mainport.world.hulls import HullWorld, call_record
    from mainport.world.network import build_network

    hw = HullWorld(3, build_network(3), 1_767_225_600)
    calls = [c for d in range(56) for c in hw.calls(d)]
    assert calls and all(c.lane.startswith("latam") for c in calls)
    loaded = [c for c in calls if c.load_kg]
    assert 0.02 < len(loaded) / len(calls) < 0.2
    rng = np.random.default_rng(0)
    assert all(hw.dive(c, rng) == 0.0 for c in calls if not c.load_kg)
    rec = call_record(loaded[0])
    assert "load" not in str(rec) and rec["portCalls"] and rec["vesselIMONumber"] == loaded[0].imo
    again = HullWorld(3, build_network(3), 1_767_225_600)
    assert [c.key for c in again.calls(5)] == [c.key for c in hw.calls(5)]


def test_without_priors_only_the_records_speak() -> None:
    h = History()
    call = _call(1, wait=40.0, crew=("ECGYE",))
    bare = score_call(call, h, priors=False)
    assert bare.reasons == () and bare.p == pytest.approx(score_call(_call(2), h, priors=False).p)
    h.add("9321483", ["ECGYE"], True)
    assert {r.code for r in score_call(call, h, priors=False).reasons} == {"vessel_record", "port_record"}
