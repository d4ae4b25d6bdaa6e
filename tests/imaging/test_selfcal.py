"""Self-calibration of the alert threshold per scanner pairing (pure functions)."""

from __future__ import annotations

import numpy as np
import pytest

from mainport.imaging import selfcal


def test_no_clean_pairs_keeps_the_prior() -> None:
    assert selfcal.threshold([], 0.05, 0.5) == 0.5


def test_few_pairs_move_the_threshold_only_a_little() -> None:
    # one very high clean score must not swing a new pairing's threshold to that score
    t = selfcal.threshold([0.99], 0.05, 0.5)
    assert 0.5 < t < 0.6


def test_fifty_clean_pairs_give_the_pairing_its_own_quantile_and_the_target_rate() -> None:
    from scipy import stats

    clean = stats.beta(2, 5)  # this pairing's clean scores sit below the configured 0.5
    rng = np.random.default_rng(1)
    realised = []
    for _ in range(400):  # 400 pairings, 50 confirmed-clean pairs each
        scores = clean.rvs(50, random_state=rng)
        t = selfcal.threshold(scores, 0.05, 0.5)
        assert abs(t - selfcal.clean_quantile(scores, 0.05)) < 0.1
        realised.append(float(clean.sf(t)))
    # on average the false-alarm rate of a pairing lands on the target (unbiased) ...
    assert abs(float(np.mean(realised)) - 0.05) < 0.01
    # ... though 50 pairs leave a sampling spread of about +-3 points for any one pairing
    assert 0.015 < float(np.std(realised)) < 0.04


def test_quantile_of_clean_scores() -> None:
    scores = np.linspace(0, 1, 101)
    assert selfcal.clean_quantile(scores, 0.05) == pytest.approx(0.95, abs=0.01)
    assert selfcal.clean_quantile([0.3], 0.05) == pytest.approx(0.3)
    with pytest.raises(ValueError):
        selfcal.clean_quantile([], 0.05)


def test_refuses_a_target_outside_zero_and_one() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        selfcal.threshold([0.1], 1.5, 0.5)
