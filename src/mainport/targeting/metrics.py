"""Pre@n, Rec@n, Rev@n as in the customs-fraud literature (e.g. DATE, KDD 2020): inspect the top n% by score.

Pre@n: share of the inspected that are frauds; Rec@n: share of all frauds that are inspected;
Rev@n: share of all seized mass (or revenue) that lies in the inspected.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

RATES = (0.01, 0.02, 0.05, 0.10)


def top_n(scores: np.ndarray, rate: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """Indices of the top ``rate`` share by score (at least one); ties broken at random."""
    scores = np.asarray(scores, dtype=float)
    k = max(1, round(len(scores) * rate))
    rng = rng or np.random.default_rng(0)
    order = np.lexsort((rng.random(len(scores)), -scores))
    return order[:k]


def at_rates(
    scores: np.ndarray,
    labels: np.ndarray,
    revenue: np.ndarray | None = None,
    rates: Sequence[float] = RATES,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per inspection rate with precision, recall and revenue share."""
    y = np.asarray(labels, dtype=float)
    rev = y if revenue is None else np.asarray(revenue, dtype=float) * (y > 0)
    rows = []
    for rate in rates:
        idx = top_n(scores, rate, np.random.default_rng(seed))
        rows.append(
            {
                "rate": rate,
                "inspected": len(idx),
                "precision": float(y[idx].mean()),
                "recall": float(y[idx].sum() / y.sum()) if y.sum() else 0.0,
                "revenue": float(rev[idx].sum() / rev.sum()) if rev.sum() else 0.0,
            }
        )
    return pd.DataFrame(rows)
