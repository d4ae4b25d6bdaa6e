from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mainport.targeting.selection import Capacity, combine, select, systematic_pps


def _candidates(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = rng.beta(0.5, 20, n)
    return pd.DataFrame({"declaration_id": np.arange(n), "score": p, "model_p": p})


def test_capacity_and_exploration_share_are_respected() -> None:
    c = _candidates()
    out = select(c, Capacity(scan=45, physical=5), exploration_share=0.1, strategy="mixed", seed=1)
    assert len(out) == 50 and out["declaration_id"].is_unique
    assert (out["strategy"] != "risk").sum() == 5
    assert set(out["strategy"]) == {"risk", "random_audit", "uncertainty"}
    assert list(out["rank"]) == list(range(1, 51))
    assert (out["kind"] == "physical").sum() == 5
    risk = out[out["strategy"] == "risk"]
    # the risk slice is the top of the ranking
    assert set(risk["declaration_id"]) == set(c.nlargest(45, "score")["declaration_id"])
    assert (risk["propensity"] == 1.0).all()
    audit = out[out["strategy"] == "random_audit"]
    # total inclusion probability: the random audit's 3 / 955 plus the chance uncertainty sampling had
    assert (audit["propensity"] > 3 / (1000 - 45)).all() and (audit["propensity"] < 0.05).all()
    assert ((out["propensity"] > 0) & (out["propensity"] <= 1)).all()


def test_random_strategy_is_uniform_over_the_rest() -> None:
    c = _candidates(200)
    counts = np.zeros(200)
    for s in range(600):
        out = select(c, 20, exploration_share=0.5, strategy="random", seed=s)
        counts[out.loc[out["strategy"] == "random_audit", "declaration_id"]] += 1
    rest = c.nsmallest(190, "score")["declaration_id"]
    expected = 600 * 10 / 190
    assert abs(counts[rest].mean() - expected) < 0.5
    assert counts[rest].min() > 0  # every remaining item had a real chance


def test_pps_inclusion_probabilities_are_exact() -> None:
    sizes = np.array([5.0, 1.0, 1.0, 1.0, 2.0, 0.5, 0.5])
    rng = np.random.default_rng(0)
    hits = np.zeros(len(sizes))
    for _ in range(4000):
        picked, pi = systematic_pps(sizes, 3, rng)
        assert len(picked) == 3
        hits[picked] += 1
    assert pi[0] == 1.0 and pi.sum() == pytest.approx(3)
    assert np.allclose(hits / 4000, pi, atol=0.03)


def test_small_pool_and_zero_exploration() -> None:
    c = _candidates(3)
    assert len(select(c, 10, seed=0)) == 3
    out = select(_candidates(), 10, exploration_share=0.0, seed=0)
    assert (out["strategy"] == "risk").all()
    assert select(c.iloc[:0], 10).empty
    with pytest.raises(ValueError):
        select(c, 10, strategy="greedy")


def test_combine_is_a_noisy_or() -> None:
    assert combine(np.array([0.5]), np.array([0.5]))[0] == pytest.approx(0.75)
    assert combine(None, np.array([0.3]))[0] == pytest.approx(0.3)


def _profiled(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    c = _candidates(n, seed)
    c["profile"] = rng.choice(["A", "B", "C"], n)
    c.loc[c["profile"] == "C", ["score", "model_p"]] = 0.0005  # implausible: the model sees no risk
    return c


def test_stochastic_rounding_keeps_the_exploration_share_on_average() -> None:
    c = _candidates(500)
    explored = [
        (select(c, 7, exploration_share=0.1, strategy="mixed", seed=s)["strategy"] != "risk").sum()
        for s in range(400)
    ]
    assert np.mean(explored) == pytest.approx(0.7, abs=0.07)  # before: always 1 (0.7 rounded up)
    assert set(explored) == {0, 1}


def test_thompson_explores_profiles_with_few_labels() -> None:
    """Same prior for A and B; A was inspected 300 times without a find, B never: B gets the exploration.
    C has many items but the model gives it almost nothing: it is rarely explored."""
    c = _profiled()
    c.loc[c["profile"] != "C", "model_p"] = 0.02
    stats = pd.DataFrame({"profile": ["A"], "inspections": [300.0], "hits": [0.0]})
    counts = {"A": 0, "B": 0, "C": 0}
    for s in range(300):
        out = select(
            c, 20, exploration_share=0.5, audit_share=0.0, strategy="thompson", seed=s, profile_stats=stats
        )
        picked = out[out["strategy"] == "thompson"]
        assert len(picked) == 10
        for prof in c.set_index("declaration_id").loc[picked["declaration_id"], "profile"]:
            counts[prof] += 1
    assert counts["B"] > 2 * counts["A"] and counts["B"] > 10 * counts["C"]


def test_thompson_borrows_a_commodity_groups_record_across_origins() -> None:
    """The model sees almost no risk in cocoa from Abidjan or general cargo from Shanghai (no labels there);
    cocoa from Guayaquil was inspected with finds. Abidjan cocoa gets the exploration, Shanghai does not."""
    n = 300
    c = pd.DataFrame(
        {
            "declaration_id": np.arange(n),
            "profile": np.repeat(["ECGYE|cocoa|new", "CIABJ|cocoa|new", "CNSHA|general|new"], n // 3),
            "model_p": np.repeat([0.05, 0.001, 0.001], n // 3),
        }
    )
    c["score"] = c["model_p"]
    stats = pd.DataFrame({"profile": ["ECGYE|cocoa|new"], "inspections": [200.0], "hits": [20.0]})
    counts = dict.fromkeys(c["profile"].unique(), 0)
    for s in range(200):
        out = select(
            c, 20, exploration_share=0.5, audit_share=0.0, strategy="thompson", seed=s, profile_stats=stats
        )
        picked = out[out["strategy"] == "thompson"]
        for prof in c.set_index("declaration_id").loc[picked["declaration_id"], "profile"]:
            counts[prof] += 1
    assert counts["CIABJ|cocoa|new"] > 5 * counts["CNSHA|general|new"]


@pytest.mark.parametrize("strategy", ["thompson", "mixed", "random"])
def test_recorded_propensities_give_unbiased_totals_at_small_capacity(strategy: str) -> None:
    """Horvitz-Thompson with the recorded propensities recovers the number of positives in the flow, with
    stochastic budgets (7 slots x 10%) and Thompson draws that change every day."""
    rng = np.random.default_rng(9)
    c = _profiled(40, 1)  # a small flow keeps the propensities, and so the estimator's variance, moderate
    truth = rng.random(len(c)) < 0.25
    stats = pd.DataFrame({"profile": ["A", "B"], "inspections": [40.0, 5.0], "hits": [1.0, 0.0]})
    totals = []
    for s in range(500):
        out = select(c, 7, exploration_share=0.3, strategy=strategy, seed=s, profile_stats=stats)
        assert ((out["propensity"] > 0) & (out["propensity"] <= 1)).all()
        totals.append((truth[out["declaration_id"]] / out["propensity"]).sum())
    assert np.mean(totals) == pytest.approx(truth.sum(), rel=0.12)


def test_thompson_needs_profiles() -> None:
    with pytest.raises(ValueError, match="profile"):
        select(_candidates(), 10, strategy="thompson")
