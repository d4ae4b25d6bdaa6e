"""Learning from inspection outcomes when labels exist only for what was inspected.

Method (stated): every selected item carries its selection propensity (selection.py).

Training (``training_weights``, default ``"unweighted"``): the model is fitted on every revealed label with
equal weight, optionally decayed by age. Reason: selection depends only on what the declaration shows (the
score is a function of the features, the exploration draws are independent of the outcome), so
``P(found | features, inspected) = P(found | features)``: the labelled set is shifted in its features, not
biased in its labels, and a flexible model fitted without weights is consistent wherever the selections gave
it support. Inverse-propensity weights would correct only a misspecified model, at a price: an audit drawn
with propensity 0.003 weighs 300 risk-ranked items, so a few negatives from the audit swamp the loss
(measured in the closed loop, docs/targeting.md). ``"clipped_ipw"`` (weights capped at ``cap``) and ``"ipw"``
(the old 1/propensity, floored at 0.002) stay selectable for comparison. Giving the model support outside the
old ranking is the job of the exploration slice (selection.py), not of the weights.

Estimation (unbiased, uses the propensities): hit rate of the flow the ranking left from the random-audit
slice (Wilson CI), the whole flow by Horvitz-Thompson, a new score's Pre@n by IPW over logged selections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

MIN_PROPENSITY = 0.002  # weights above 500 would let one lucky audit dominate


WEIGHTINGS = ("unweighted", "clipped_ipw", "ipw")


def ipw_weights(propensity: np.ndarray, *, floor: float = MIN_PROPENSITY) -> np.ndarray:
    """1 / propensity (floored at ``floor``), normalised to mean 1."""
    p = np.clip(np.asarray(propensity, dtype=float), floor, 1.0)
    w = 1.0 / p
    return w / w.mean()


def clipped_ipw_weights(propensity: np.ndarray, *, cap: float = 10.0) -> np.ndarray:
    """1 / propensity capped at ``cap`` (an audit counts at most ``cap`` risk-ranked items), mean 1."""
    p = np.clip(np.asarray(propensity, dtype=float), 1e-12, 1.0)
    w = np.minimum(1.0 / p, cap)
    return w / w.mean()


def recency_weights(
    times: pd.Series | np.ndarray, now: pd.Timestamp | datetime, half_life_days: float
) -> np.ndarray:
    """``0.5 ** (age / half_life_days)``: older outcomes count less while the smugglers' profile moves."""
    t = pd.to_datetime(pd.Series(np.asarray(times)), utc=True)
    age = (pd.Timestamp(now) - t).dt.total_seconds().to_numpy(dtype=float) / 86400.0
    return np.asarray(0.5 ** (np.clip(age, 0.0, None) / half_life_days), dtype=float)


def training_weights(
    propensity: np.ndarray,
    *,
    method: str = "unweighted",
    cap: float = 10.0,
    times: pd.Series | np.ndarray | None = None,
    now: pd.Timestamp | datetime | None = None,
    half_life_days: float | None = None,
) -> np.ndarray:
    """Sample weights for training on revealed labels (mean 1); see the module docstring for the method.

    ``method``: ``unweighted`` (default), ``clipped_ipw`` (1/propensity capped at ``cap``) or ``ipw``.
    With ``half_life_days`` (and ``times``, ``now``) each weight is also decayed by the outcome's age."""
    prop = np.asarray(propensity, dtype=float)
    if method == "unweighted":
        w = np.ones(len(prop))
    elif method == "clipped_ipw":
        w = clipped_ipw_weights(prop, cap=cap)
    elif method == "ipw":
        w = ipw_weights(prop)
    else:
        raise ValueError(f"method must be one of {WEIGHTINGS}")
    if half_life_days is not None:
        if times is None or now is None:
            raise ValueError("recency weighting needs times and now")
        w = w * recency_weights(times, now, half_life_days)
    return w / w.mean() if len(w) and w.mean() > 0 else w


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        return f"{self.value:.2%} (95% CI {self.low:.2%}-{self.high:.2%}, n={self.n})"


def wilson(hits: float, n: int, z: float = 1.96) -> Estimate:
    if n == 0:
        return Estimate(0.0, 0.0, 1.0, 0)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half), n)


def random_audit_hit_rate(outcomes: pd.DataFrame) -> Estimate:
    """Hit rate among random-audit inspections (columns ``strategy``, ``found``): unbiased for the flow the
    ranking did not take."""
    audit = outcomes[outcomes["strategy"] == "random_audit"]
    return wilson(float(audit["found"].astype(bool).sum()), len(audit))


def horvitz_thompson_hit_rate(outcomes: pd.DataFrame, population: int) -> float:
    """Estimated share of all ``population`` declarations that hide drugs (``found``, ``propensity``)."""
    if population <= 0:
        return 0.0
    found = outcomes["found"].astype(float).to_numpy()
    pi = np.clip(outcomes["propensity"].to_numpy(dtype=float), MIN_PROPENSITY, 1.0)
    return float((found / pi).sum() / population)


def ipw_precision_at(
    scores: np.ndarray, labelled: np.ndarray, found: np.ndarray, propensity: np.ndarray, rate: float
) -> float:
    """Precision a new score would have had at ``rate``, estimated from logged selections only.

    ``scores`` covers the whole population; ``labelled`` marks inspected rows whose ``found`` and
    ``propensity`` are known. Horvitz-Thompson over the new top set."""
    scores = np.asarray(scores, dtype=float)
    k = max(1, round(len(scores) * rate))
    top = np.zeros(len(scores), dtype=bool)
    top[np.argsort(-scores, kind="stable")[:k]] = True
    mask = top & np.asarray(labelled, dtype=bool)
    pi = np.clip(np.asarray(propensity, dtype=float)[mask], MIN_PROPENSITY, 1.0)
    return float((np.asarray(found, dtype=float)[mask] / pi).sum() / k)


def should_retrain(
    last_trained_at: datetime | None,
    now: datetime,
    new_outcomes: int,
    *,
    every: timedelta = timedelta(days=7),
    min_new: int = 50,
) -> bool:
    """Retrain on schedule (weekly by default) once enough new outcomes have come back."""
    if last_trained_at is None:
        return new_outcomes >= min_new
    return now - last_trained_at >= every and new_outcomes >= min_new
