"""Choose what to inspect per hub and day within capacity; keep an explicit exploration share.

Design (recorded per item as ``strategy`` and ``propensity``, the probability the item was selected):
- Budget: ``n_explore = capacity x exploration_share`` rounded stochastically (floor or ceiling, the ceiling
  with probability equal to the fraction), so the share holds on average even where a hub has 7 slots a day
  (before, 0.7 was rounded to 1, and a 2-slot hub explored half its capacity). The exploration slots are
  split the same way: ``n_explore x audit_share`` random audits (rounded stochastically), the rest directed.
- ``risk``: the highest combined scores fill ``capacity - n_explore`` slots.
- ``random_audit``: a simple random sample of the rest; ``n_random / len(rest)``. This slice gives unbiased
  hit-rate estimates (learning.py).
- directed exploration of what is left, by systematic probability-proportional-to-size (PPS) sampling:
  ``uncertainty``: size ``sqrt(p(1-p)) + 0.02``; ``thompson``: Thompson sampling over declaration profiles
  (origin port x commodity group x consignee new/established, ``features.profile_key``): per profile a draw
  ``theta ~ Beta(n0 m + hits, n0 (1 - m) + inspections - hits)`` where the prior mean ``m`` is the larger of
  the profile's mean model probability today ``mu`` and its commodity group's pooled hit rate over all
  profiles (hits / (inspections + n0): a cover commodity found from one origin is worth a look from an origin
  the model has no labels on), worth ``n0`` = ``prior_strength`` inspections, and hits/inspections are the
  outcomes known so far (``profile_stats``); an item's size is its model probability x ``theta / mu`` (the
  draw sets the profile's level, the model ranks within it), plus a floor of 1% of the mean size so every
  item keeps a chance. Profiles with few labels have wide posteriors and are drawn high more often than
  profiles already inspected without finds: exploration goes where the labels are thin, weighted by how
  plausible the profile is, which is where displaced loads go.
- Propensity: the item's inclusion probability under the whole design, the mixture over the possible
  budgets (at most 2 x 2) of 1 for the risk slice and ``pi_random + (1 - pi_random) x pi_pps`` for the rest
  (``pi_pps`` computed on the whole rest; removing the few random picks first changes it negligibly).
  For ``thompson`` it is conditional on the day's profile draws; since those draws do not depend on the
  outcomes, Horvitz-Thompson estimates stay unbiased (tested).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

STRATEGIES = ("random", "uncertainty", "mixed", "thompson")
# Seeds numpy accepts (it refuses negative ones); callers check theirs against this before the draw.
MAX_SEED = 2**63 - 1
# Strategy -> the label recorded for its directed (non-random) exploration picks.
DIRECTED = {"uncertainty": "uncertainty", "mixed": "uncertainty", "thompson": "thompson"}
# The platform's strategy unless a selection names another: half random audit, half Thompson sampling over
# declaration profiles. In the full-volume closed loop it found more than no exploration in 12 of 12 seeds
# (docs/targeting.md). `select` itself defaults to "mixed", which needs no profile column.
DEFAULT_STRATEGY: Final = "thompson"
PRIOR_STRENGTH = 10.0


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
        if k <= 0 or not rest.any():
            break
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


def _stochastic_round(x: float) -> list[tuple[int, float]]:
    """``x`` as (value, probability) pairs: floor and ceiling, the ceiling with probability ``x - floor``."""
    lo = int(np.floor(x + 1e-12))
    frac = x - lo
    if frac < 1e-9:
        return [(lo, 1.0)]
    return [(lo, 1.0 - frac), (lo + 1, frac)]


def thompson_sizes(
    profiles: np.ndarray,
    prior_p: np.ndarray,
    stats: pd.DataFrame | None,
    rng: np.random.Generator,
    *,
    prior_strength: float = PRIOR_STRENGTH,
    borrow: bool = True,
) -> np.ndarray:
    """PPS sizes from one posterior draw of the hit rate per profile: item size = model probability x
    (draw / the profile's mean model probability), i.e. the draw sets the profile's level and the model
    ranks within it (a per-profile random effect on top of the model, sampled from its posterior).

    ``profiles``: a key per item; ``prior_p``: the model's probability per item (the profile's mean is the
    prior mean); ``stats``: ``profile, inspections, hits`` known so far (may be weighted counts)."""
    names, inv = np.unique(np.asarray(profiles).astype(str), return_inverse=True)
    prior = np.clip(np.nan_to_num(np.asarray(prior_p, dtype=float), nan=0.0), 1e-6, 1 - 1e-6)
    count = np.bincount(inv, minlength=len(names)).astype(float)
    mu = np.bincount(inv, weights=prior, minlength=len(names)) / count
    n = np.zeros(len(names))
    h = np.zeros(len(names))
    if stats is not None and len(stats):
        st = stats.groupby(stats["profile"].astype(str))[["inspections", "hits"]].sum()
        at = st.index.get_indexer(pd.Index(names))
        known = at >= 0
        n[known] = st["inspections"].to_numpy(dtype=float)[at[known]]
        h[known] = np.minimum(st["hits"].to_numpy(dtype=float)[at[known]], n[known])
    # Borrowing across origins: a profile's prior mean is at least its commodity group's pooled hit rate
    # (shrunk by ``prior_strength`` inspections at 0). The model's low probability for a route it has no
    # labels on is extrapolation, not evidence; loads found in a cover commodity from one origin make the
    # same commodity from an unexplored origin worth a look.
    level = np.maximum(mu, _group_rate(names, stats, prior_strength)) if borrow else mu
    theta = rng.beta(prior_strength * level + h, prior_strength * (1.0 - level) + (n - h))
    # The draw corrects the profile's level; within a profile the model's ranking is kept.
    sizes = prior * (theta / mu)[inv]
    return sizes + 0.01 * float(sizes.mean()) + 1e-12


def _profile_group(keys: np.ndarray) -> np.ndarray:
    """The commodity group of ``port|group|style`` profile keys (a key without two ``|`` is its own group)."""
    return np.array([k.split("|")[1] if k.count("|") >= 2 else k for k in keys.astype(str)], dtype=object)


def _group_rate(names: np.ndarray, stats: pd.DataFrame | None, shrink: float) -> np.ndarray:
    """Per profile in ``names``, the pooled hit rate of its commodity group over all the profiles in
    ``stats`` (today's or not): hits / (inspections + shrink); 0 for a group never inspected."""
    if stats is None or not len(stats):
        return np.zeros(len(names))
    groups = _profile_group(stats["profile"].astype(str).to_numpy())
    pooled = stats.assign(group=groups).groupby("group")[["inspections", "hits"]].sum()
    rate = pooled["hits"] / (pooled["inspections"] + shrink)
    return rate.reindex(_profile_group(names)).fillna(0.0).to_numpy(dtype=float)


def select(
    candidates: pd.DataFrame,
    capacity: Capacity | int,
    *,
    exploration_share: float = 0.10,
    strategy: str = "mixed",
    seed: int | np.random.Generator | None = None,
    audit_share: float = 0.5,
    profile_stats: pd.DataFrame | None = None,
    prior_strength: float = PRIOR_STRENGTH,
    borrow: bool = True,
) -> pd.DataFrame:
    """Candidates (``declaration_id, score``, optionally ``model_p``; ``profile`` for ``thompson``) -> the
    selected rows, ranked.

    ``audit_share``: the part of the exploration slots given to the random audit under ``mixed`` and
    ``thompson`` (``random``: all, ``uncertainty``: none). ``profile_stats`` (``profile, inspections,
    hits``): outcomes known so far, for ``thompson``; ``borrow``: its prior also borrows each commodity
    group's record across origins (default) or is the model's profile mean only.
    Output columns: ``declaration_id, rank, score, strategy, propensity, kind`` (kind: physical | scan)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}")
    if not 0.0 <= exploration_share <= 1.0:
        raise ValueError("exploration_share must be between 0 and 1")
    if not 0.0 <= audit_share <= 1.0:
        raise ValueError("audit_share must be between 0 and 1")
    if strategy == "thompson" and "profile" not in candidates:
        raise ValueError("strategy 'thompson' needs a 'profile' column (features.profile_key)")
    cap = capacity if isinstance(capacity, Capacity) else Capacity(scan=int(capacity))
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    cols = ["declaration_id", "rank", "score", "strategy", "propensity", "kind"]
    n_all = len(candidates)
    total = min(cap.total, n_all)
    if total == 0:
        return pd.DataFrame(columns=cols)
    score = candidates["score"].to_numpy(dtype=float)
    # Ties broken at random so that equal scores (e.g. no rule hit) do not favour file order.
    order = np.lexsort((rng.random(n_all), -score))
    p_all = candidates["model_p"].to_numpy(dtype=float) if "model_p" in candidates else score
    if strategy == "thompson":
        sizes_all = thompson_sizes(
            candidates["profile"].to_numpy(),
            p_all,
            profile_stats,
            rng,
            prior_strength=prior_strength,
            borrow=borrow,
        )
    else:
        p = np.nan_to_num(p_all, nan=0.5)
        sizes_all = np.sqrt(np.clip(p * (1.0 - p), 0.0, 0.25)) + 0.02
    share = {"random": 1.0, "uncertainty": 0.0}.get(strategy, audit_share)

    # Every possible budget (n_explore, n_random) with its probability; the propensity mixes over them.
    scenarios: list[tuple[float, int, int]] = []
    for k, qk in _stochastic_round(total * exploration_share):
        k = min(k, total)
        for r, qr in _stochastic_round(k * share):
            scenarios.append((qk * qr, k, r))
    propensity = np.zeros(n_all)
    for q, k, r in scenarios:
        rest = order[total - k :]
        propensity[order[: total - k]] += q
        if k and len(rest):
            n_random = min(r, len(rest))
            pi_random = n_random / len(rest)
            n_directed = min(k - n_random, len(rest) - n_random)
            pi_dir = np.zeros(len(rest))
            if n_directed > 0:
                _, pi_dir = systematic_pps(sizes_all[rest], n_directed, np.random.default_rng(0))
            propensity[rest] += q * (pi_random + (1.0 - pi_random) * pi_dir)
    weights = np.array([s[0] for s in scenarios])
    _, k, r = scenarios[int(rng.choice(len(scenarios), p=weights / weights.sum()))]
    n_risk = total - k
    rest = order[n_risk:]
    chosen: list[tuple[int, str]] = [(int(i), "risk") for i in order[:n_risk]]
    if k and len(rest):
        n_random = min(r, len(rest))
        random_pos = rng.choice(len(rest), size=n_random, replace=False)
        chosen += [(int(rest[j]), "random_audit") for j in random_pos]
        left = np.setdiff1d(np.arange(len(rest)), random_pos)
        n_directed = min(k - n_random, len(left))
        if n_directed > 0:
            picked, _ = systematic_pps(sizes_all[rest[left]], n_directed, rng)
            chosen += [(int(rest[left[j]]), DIRECTED[strategy]) for j in picked]
    idx = np.array([c[0] for c in chosen], dtype=int)
    out = pd.DataFrame(
        {
            "declaration_id": candidates["declaration_id"].to_numpy()[idx],
            "score": score[idx],
            "strategy": [c[1] for c in chosen],
            "propensity": np.clip(propensity[idx], 1e-12, 1.0),
        }
    )
    out["rank"] = np.arange(1, len(out) + 1)
    # The highest-risk items get the physical inspections; everything else is scanned.
    out["kind"] = np.where((out["strategy"] == "risk") & (out["rank"] <= cap.physical), "physical", "scan")
    return out[cols]
