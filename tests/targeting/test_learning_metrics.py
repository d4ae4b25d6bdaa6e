from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from mainport.targeting.learning import (
    clipped_ipw_weights,
    horvitz_thompson_hit_rate,
    ipw_precision_at,
    ipw_weights,
    random_audit_hit_rate,
    recency_weights,
    should_retrain,
    training_weights,
    wilson,
)
from mainport.targeting.metrics import at_rates
from mainport.targeting.selection import select


def test_metrics_at_rates_match_hand_counts() -> None:
    scores = np.arange(100, dtype=float)[::-1]  # item 0 scores highest
    labels = np.zeros(100)
    labels[[0, 3, 50, 99]] = 1
    kg = np.zeros(100)
    kg[[0, 3, 50, 99]] = [10, 30, 40, 20]
    out = at_rates(scores, labels, kg).set_index("rate")
    assert out.loc[0.01, "precision"] == 1.0 and out.loc[0.01, "recall"] == 0.25
    assert out.loc[0.05, "precision"] == pytest.approx(2 / 5) and out.loc[0.05, "revenue"] == pytest.approx(
        0.4
    )
    assert out.loc[0.10, "inspected"] == 10


def test_ipw_weights_and_audit_estimate() -> None:
    w = ipw_weights(np.array([1.0, 0.5, 0.01]))
    assert w.mean() == pytest.approx(1.0) and w[2] / w[0] == pytest.approx(100)
    est = random_audit_hit_rate(
        pd.DataFrame(
            {
                "strategy": ["random_audit"] * 50 + ["risk"] * 50,
                "found": [True] * 5 + [False] * 45 + [True] * 50,
            }
        )
    )
    assert est.value == pytest.approx(0.1) and est.n == 50 and est.low < 0.1 < est.high
    assert wilson(0, 0).n == 0


def test_logged_selections_give_unbiased_population_estimates() -> None:
    """Repeat a selection on a flow whose truth we know: HT and IPW estimates must centre on the truth,
    while the raw hit rate of the inspected is biased upward."""
    rng = np.random.default_rng(4)
    n = 1500
    p = rng.beta(0.8, 15, n)
    truth = rng.random(n) < p
    cand = pd.DataFrame({"declaration_id": np.arange(n), "score": p + rng.normal(0, 0.01, n), "model_p": p})
    ht, naive, prec = [], [], []
    new_score = p + rng.normal(0, 0.02, n)
    true_prec = truth[np.argsort(-new_score, kind="stable")[:150]].mean()
    for s in range(300):
        out = select(cand, 60, exploration_share=0.5, strategy="mixed", seed=s)
        found = truth[out["declaration_id"]]
        log = out.assign(found=found)
        ht.append(horvitz_thompson_hit_rate(log, n))
        naive.append(found.mean())
        labelled = np.zeros(n, dtype=bool)
        labelled[out["declaration_id"]] = True
        prop = np.ones(n)
        prop[out["declaration_id"]] = out["propensity"]
        f = np.zeros(n)
        f[out["declaration_id"]] = found
        prec.append(ipw_precision_at(new_score, labelled, f, prop, 0.05))
    assert abs(np.mean(ht) - truth.mean()) < 0.1 * truth.mean()
    assert np.mean(naive) > 1.5 * truth.mean()
    assert abs(np.mean(prec) - true_prec) < 0.15 * true_prec


def test_retraining_schedule() -> None:
    now = datetime(2025, 5, 1, tzinfo=UTC)
    assert should_retrain(None, now, 60)
    assert not should_retrain(now - timedelta(days=2), now, 500)
    assert should_retrain(now - timedelta(days=8), now, 60)
    assert not should_retrain(now - timedelta(days=8), now, 10)


def test_training_weights_methods() -> None:
    prop = np.array([1.0, 1.0, 0.5, 0.003])
    assert np.array_equal(training_weights(prop), np.ones(4))  # the default: every revealed label counts once
    ipw = training_weights(prop, method="ipw")
    assert np.allclose(ipw, ipw_weights(prop)) and ipw[3] / ipw[0] == pytest.approx(1 / 0.003)
    clipped = training_weights(prop, method="clipped_ipw", cap=10.0)
    assert clipped.mean() == pytest.approx(1.0)
    assert clipped[3] / clipped[0] == pytest.approx(10.0) and clipped[2] / clipped[0] == pytest.approx(2.0)
    assert np.allclose(clipped, clipped_ipw_weights(prop, cap=10.0))
    with pytest.raises(ValueError):
        training_weights(prop, method="bogus")
    with pytest.raises(ValueError, match="times"):
        training_weights(prop, half_life_days=28)


def test_recency_weights_halve_per_half_life() -> None:
    now = pd.Timestamp("2025-06-01", tz="UTC")
    times = pd.Series(
        [now, now - pd.Timedelta(days=28), now - pd.Timedelta(days=56), now + pd.Timedelta(days=1)]
    )
    assert np.allclose(recency_weights(times, now, 28.0), [1.0, 0.5, 0.25, 1.0])
    w = training_weights(np.ones(4), times=times, now=now, half_life_days=28.0)
    assert w.mean() == pytest.approx(1.0) and w[1] / w[0] == pytest.approx(0.5)
