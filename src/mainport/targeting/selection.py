"""Choose what to inspect per hub and day within capacity; keep an explicit exploration share.

Design (recorded per item as ``strategy`` and ``propensity``, the probability the item was selected):
- ``risk``: the highest combined scores fill ``capacity - n_explore`` slots; deterministic given the
  scores, so propensity 1.
- ``random_audit``: a simple random sample of the rest; propensity ``n_random / len(rest)`` exactly. This
  slice gives unbiased hit-rate estimates (learning.py).
- ``uncertainty``: a systematic probability-proportional-to-size sample of what is left, with size
  ``sqrt(p(1-p)) + floor`` (every item keeps a chance).
  The propensity of an explored item is ``pi_random + (1 - pi_random) * pi_uncertainty`` whichever strategy
  picked it (pi_uncertainty computed on the whole rest; removing the few random picks first changes it
  negligibly).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

STRATEGIES = ("random", "uncertainty", "mixed")


@dataclass(frozen=True)
class Capacity:
    """Inspection slots of one hub for one day."""

    scan: int
    physical: int = 0

    @property
    def total(self) -> int:
        return self.scan + self.physical


def combine(model_p: np.ndarray | None, rule_score: np.ndarray | None) -> np.ndarray:
    """Noisy-or of the calibrated model probability and the rule score: either can raise the risk."""
    if model_p is None and rule_score is None:
        raise ValueError("need a model probability or a rule score")
    if model_p is None:
        return np.asarray(rule_score, dtype=float)
    if rule_score is None:
        return np.asarray(model_p, dtype=float)
    return 1.0 - (1.0 - np.asarray(model_p, dtype=float)) * (1.0 - np.asarray(rule_score, dtype=float))


def systematic_pps(sizes: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` distinct indices with inclusion probability proportional to ``sizes`` (capped at 1).

    Returns (chosen indices, inclusion probability of every index)."""
    sizes = np.asarray(sizes, dtype=float)
    m = len(sizes)
    n = min(n, m)
    pi = np.zeros(m)
    if n <= 0 or m == 0:
        return np.array([], dtype=int), pi
    certain = np.zeros(m, dtype=bool)
    # Items whose share would exceed 1 are taken for certain; repeat on the remainder.
    while True:
        rest = ~certain
        k = n - certain.sum()
        total = sizes[rest].sum()
        pi[rest] = k * sizes[rest] / total if total > 0 else k / rest.sum()
        over = rest & (pi >= 1.0)
        if not over.any():
            break
        certain |= over
    pi[certain] = 1.0
    order = rng.permutation(m)  # random order makes systematic sampling unbiased for any initial ordering
    cum = np.cumsum(pi[order])
    start = rng.uniform(0.0, 1.0)
    points = start + np.arange(round(cum[-1]))
    picked = order[np.searchsorted(cum, points, side="right")]
    return np.unique(picked), pi


def select(
    candidates: pd.DataFrame,
    capacity: Capacity | int,
    *,
    exploration_share: float = 0.10,
    strategy: str = "mixed",
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Candidates (``declaration_id, score`` and optionally ``model_p``) -> the selected rows, ranked.

    Output columns: ``declaration_id, rank, score, strategy, propensity, kind`` (kind: physical | scan)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}")
    if not 0.0 <= exploration_share <= 1.0:
        raise ValueError("exploration_share must be between 0 and 1")
    cap = capacity if isinstance(capacity, Capacity) else Capacity(scan=int(capacity))
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    cols = ["declaration_id", "rank", "score", "strategy", "propensity", "kind"]
    n_all = len(candidates)
    total = min(cap.total, n_all)
    if total == 0:
        return pd.DataFrame(columns=cols)
    score = candidates["score"].to_numpy(dtype=float)
    n_explore = round(total * exploration_share)
    if exploration_share > 0 and n_explore == 0 and total >= 2:
        n_explore = 1  # a small hub still explores
    n_risk = total - n_explore
    # Ties broken at random so that equal scores (e.g. no rule hit) do not favour file order.
    order = np.lexsort((rng.random(n_all), -score))
    risk_idx = order[:n_risk]
    rest = order[n_risk:]
    chosen: list[tuple[int, str, float]] = [(int(i), "risk", 1.0) for i in risk_idx]
    if n_explore and len(rest):
        n_random = min(
            n_explore if strategy == "random" else (0 if strategy == "uncertainty" else (n_explore + 1) // 2),
            len(rest),
        )
        n_uncertain = n_explore - n_random
        pi_random = n_random / len(rest)
        # Uncertainty sizes over the whole rest: the inclusion probability of an explored item is
        # pi_random + (1 - pi_random) * pi_uncertain, whichever strategy happened to pick it.
        p = candidates["model_p"].to_numpy(dtype=float) if "model_p" in candidates else score
        p = np.nan_to_num(p[rest], nan=0.5)
        sizes = np.sqrt(np.clip(p * (1.0 - p), 0.0, 0.25)) + 0.02
        pi_unc = np.zeros(len(rest))
        if n_uncertain:
            _, pi_unc = systematic_pps(
                sizes, min(n_uncertain, len(rest) - n_random), np.random.default_rng(0)
            )
        total_pi = pi_random + (1.0 - pi_random) * pi_unc
        random_pos = rng.choice(len(rest), size=n_random, replace=False)
        chosen += [(int(rest[j]), "random_audit", float(total_pi[j])) for j in random_pos]
        left = np.setdiff1d(np.arange(len(rest)), random_pos)
        if n_uncertain and len(left):
            picked, _ = systematic_pps(sizes[left], n_uncertain, rng)
            chosen += [(int(rest[left[j]]), "uncertainty", float(total_pi[left[j]])) for j in picked]
    idx = np.array([c[0] for c in chosen], dtype=int)
    out = pd.DataFrame(
        {
            "declaration_id": candidates["declaration_id"].to_numpy()[idx],
            "score": score[idx],
            "strategy": [c[1] for c in chosen],
            "propensity": [c[2] for c in chosen],
        }
    )
    out["rank"] = np.arange(1, len(out) + 1)
    # The highest-risk items get the physical inspections; everything else is scanned.
    out["kind"] = np.where((out["strategy"] == "risk") & (out["rank"] <= cap.physical), "physical", "scan")
    return out[cols]
