"""Learning from inspection outcomes when labels exist only for what was inspected.

Method (stated): every selected item carries its selection propensity (selection.py). Training weights each
labelled declaration by 1/propensity (inverse-propensity weighting, clipped and normalised to mean 1), so the
risk-ranked items, which are over-represented, do not teach the model only the old policy. Hit rates for the
whole flow are estimated from the random-audit slice (a simple random sample of what the ranking left:
unbiased for that part) combined with the risk slice by Horvitz-Thompson weighting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

MIN_PROPENSITY = 0.002  # weights above 500 would let one lucky audit dominate


def ipw_weights(propensity: np.ndarray, *, floor: float = MIN_PROPENSITY) -> np.ndarray:
    p = np.clip(np.asarray(propensity, dtype=float), floor, 1.0)
    w = 1.0 / p
    return w / w.mean()


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
