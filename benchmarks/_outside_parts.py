"""What the outside-table generators share (benchmarks/_targeting_tables.py): the start date, sigmoid, unique
random ids, Zipf choices and choices among the entities active by a day."""

from __future__ import annotations

import numpy as np
import pandas as pd

START = pd.Timestamp("2021-01-01")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _ids(rng: np.random.Generator, n: int, length: int, alphabet: str) -> np.ndarray:
    letters = np.array(list(alphabet))
    raw = letters[rng.integers(0, len(letters), size=(n, length))]
    out = np.array(["".join(r) for r in raw], dtype=object)
    # unique ids (a collision would merge two parties)
    _, first = np.unique(out, return_index=True)
    keep = np.zeros(n, dtype=bool)
    keep[first] = True
    out[~keep] = [f"{v}{i}" for i, v in zip(np.flatnonzero(~keep), out[~keep], strict=True)]
    return out


def _zipf_choice(rng: np.random.Generator, k: int, n: int, a: float = 1.1) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1) ** a
    return rng.choice(k, size=n, p=w / w.sum())


def _active_choice(
    rng: np.random.Generator, days: np.ndarray, start: np.ndarray, weight: np.ndarray
) -> np.ndarray:
    """For each row (a day), an entity active by then (started on or before the day), chosen by weight."""
    order = np.argsort(start, kind="stable")
    s_sorted = start[order]
    cum = np.cumsum(weight[order])
    active = np.searchsorted(s_sorted, days, side="right")  # how many have started
    active = np.maximum(active, 1)
    u = rng.random(len(days)) * cum[active - 1]
    pos = np.minimum(np.searchsorted(cum, u, side="right"), active - 1)
    return order[pos]


# ---- 1. a revenue-fraud table ---------------------------------------------------------------------------
