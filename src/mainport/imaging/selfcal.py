"""Self-calibration of the alert threshold per scanner pairing, from pairs that inspections found clean.

A new pairing (an origin scanner never paired with this arrival scanner, or a new parameter version)
starts at the configured threshold (``prior``): the one fitted on tuning data for the target
false-alarm rate. Each confirmed-clean pair adds its score; the threshold moves towards the score that
the clean pairs of *this* pairing exceed at the target rate, with the prior weighted as ``PRIOR_PAIRS``
pairs, so a handful of pairs cannot swing it and fifty have nearly the last word. Pure functions: the
service stores the scores and the result (:mod:`models`) and audits every change.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

TARGET_FA = 0.05
PRIOR_PAIRS = 5  # weight of the configured threshold, in confirmed-clean pairs
KEEP_SCORES = 500  # newest clean scores kept per pairing (the threshold follows drift)


def clean_quantile(scores: Sequence[float] | np.ndarray, target_fa: float) -> float:
    """The score exceeded by ``target_fa`` of the clean pairs: the order statistic at rank
    ``(1 - target_fa) * (n + 1)`` (interpolated), whose expected exceedance on new clean pairs *is* the
    target; the common ``(n - 1)`` interpolation lets 6.7% through at 5% with 50 pairs. With too few pairs
    for that rank, the highest score."""
    x = np.sort(np.asarray(scores, dtype=float))
    if x.size == 0:
        raise ValueError("no clean scores")
    return float(np.quantile(x, 1.0 - target_fa, method="weibull"))


def threshold(
    scores: Sequence[float] | np.ndarray, target_fa: float, prior: float, prior_pairs: int = PRIOR_PAIRS
) -> float:
    """Alert threshold after ``len(scores)`` confirmed-clean pairs (see module docstring)."""
    if not 0 < target_fa < 1:
        raise ValueError(f"target false-alarm rate must be between 0 and 1, got {target_fa}")
    n = len(scores)
    if n == 0:
        return float(prior)
    w = n / (n + prior_pairs)
    return float(w * clean_quantile(scores, target_fa) + (1 - w) * prior)
