"""As-of counting for the risk features: what was known strictly before each declaration was filed.

Counts and sums of same-key events before a moment (an event at the very instant of filing, or later, never
counts), windows of days, party ages. Pure numpy/pandas on sorted integer codes, fast at a million rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mainport.targeting.history import as_key


def utc(s: pd.Series) -> pd.Series:
    out = pd.to_datetime(s, utc=True)
    return out.astype("datetime64[ns, UTC]")


def ns(s: pd.Series) -> np.ndarray:
    """UTC instants as int64 nanoseconds (NaT -> INT64 min): tz-aware ``to_numpy`` would build objects."""
    return np.asarray(utc(s).array.asi8, dtype=np.int64)


NAT = np.iinfo(np.int64).min


def key_codes(*keys: pd.Series) -> list[np.ndarray]:
    """One integer code space for keys from several frames (compared as text, like the ids in the files);
    missing keys get -1."""
    sizes = [len(k) for k in keys]
    joined = pd.concat([k.reset_index(drop=True) for k in keys], ignore_index=True)
    text = as_key(joined)
    codes, _ = pd.factorize(text, use_na_sentinel=True)
    return list(np.split(codes.astype(np.int64), np.cumsum(sizes)[:-1]))


def prior_sums(
    at: pd.DataFrame,
    key: str,
    events: pd.DataFrame,
    event_key: str,
    event_time: str,
    value: str | None = None,
    *,
    shifts_days: tuple[float, ...] = (0.0,),
) -> list[np.ndarray]:
    """For each row of ``at`` (with ``filed_at``) and each shift, the count (or sum of ``value``) of events
    with the same key strictly before ``filed_at - shift``: an as-of join done with sorted (key, time) codes
    and ``searchsorted(side="left")``, so an event at the very instant of filing, or later, never counts."""
    zeros = [np.zeros(len(at)) for _ in shifts_days]
    ev = events[[event_key, event_time] + ([value] if value else [])]
    ev = ev[ev[event_key].notna() & ev[event_time].notna()]
    if ev.empty or at.empty:
        return zeros
    q_key, e_key = key_codes(at[key], ev[event_key])
    filed = ns(at["filed_at"])
    q_ts = [filed - np.int64(round(days * 86400e9)) for days in shifts_days]
    e_t = ns(ev[event_time])
    e_v = ev[value].to_numpy(dtype=float) if value else np.ones(len(ev))
    # Dense ranks of all instants make (key, time) one int64 that sorts lexicographically.
    times, inverse = np.unique(np.concatenate([*q_ts, e_t]), return_inverse=True)
    width = np.int64(len(times) + 1)
    inverse = inverse.astype(np.int64)
    e_comp = e_key * width + inverse[len(filed) * len(q_ts) :]
    order = np.argsort(e_comp, kind="stable")
    e_comp = e_comp[order]
    cum = np.concatenate([[0.0], np.cumsum(e_v[order])])
    ok = np.flatnonzero(q_key >= 0)
    lo = np.searchsorted(e_comp, np.sort(q_key[ok] * width), side="left")
    by_key = np.argsort(q_key[ok], kind="stable")
    out = []
    for i in range(len(q_ts)):
        q_comp = q_key[ok] * width + inverse[i * len(filed) : (i + 1) * len(filed)][ok]
        # Sorted needles make searchsorted walk the haystack in order (far fewer cache misses at 1M rows).
        q_order = np.argsort(q_comp, kind="stable")
        result = np.zeros(len(at))
        hi = np.empty(len(ok), dtype=np.int64)
        hi[q_order] = np.searchsorted(e_comp, q_comp[q_order], side="left")
        start = np.empty(len(ok), dtype=np.int64)
        start[by_key] = lo
        result[ok] = cum[hi] - cum[start]
        out.append(result)
    return out


def prior_counts(
    at: pd.DataFrame,
    key: str,
    events: pd.DataFrame,
    event_key: str,
    event_time: str,
    value: str | None = None,
) -> pd.Series:
    """Count (or sum of ``value``) of same-key events strictly before filing."""
    (now,) = prior_sums(at, key, events, event_key, event_time, value)
    return pd.Series(now, index=at.index)


def windowed(
    at: pd.DataFrame,
    key: str,
    events: pd.DataFrame,
    ev_key: str,
    ev_time: str,
    days: int,
    value: str | None = None,
) -> pd.Series:
    """Events with the same key in the ``days`` before filing (count at t minus count at t - days)."""
    now, before = prior_sums(at, key, events, ev_key, ev_time, value, shifts_days=(0.0, float(days)))
    return pd.Series(now - before, index=at.index)


def party_age(filed: pd.Series, ids: pd.Series, first_seen: dict[str, int]) -> pd.Series:
    seen = as_key(ids).map(first_seen).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    filed_ns = ns(filed).astype(float)
    age = pd.Series((filed_ns - seen) / 86400e9, index=filed.index)
    # A party never seen before counts as new (age 0); a first_seen after filing is clipped, not trusted.
    return age.fillna(0.0).clip(lower=0.0)
