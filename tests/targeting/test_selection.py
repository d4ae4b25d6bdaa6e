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
