"""Generic, strictly as-of history encodings of any key column: a pure function on arrays and dataframes.

What customs analysts look at for any party, code or route, whatever the table calls it:
- **outcome record**: outcomes known strictly before the moment (inspections, or in an outside table every
  labelled row once its label delay has passed): ``h_<key>_n`` (outcomes), ``h_<key>_hits`` and the smoothed
  rate ``h_<key>_rate = (hits + m p0) / (n + m)``, where ``p0`` is the flow's own as-of rate (``h_base_rate``)
  and ``m`` = ``HistorySpec.smoothing`` outcomes: a key with three clean outcomes is not "0% risk";
- **volume and novelty** (keys named in ``volume``): declarations with the key strictly before
  (``h_<key>_count``) and days since it was first seen (``h_<key>_age_days``, -1 when never: a new trader,
  a new consignor-consignee relationship);
- **values against commodity norms**: per numeric value, its log ratio to the as-of mean of the same
  commodity at the finest HS level that has ``min_norm_rows`` earlier declarations (HS 10 -> 8 -> 6 -> 4
  -> 2), and the same in standard deviations (``norm_<value>_logratio``, ``norm_<value>_z``,
  ``norm_<value>_level``).

Pairs (importer x commodity, consignor x consignee, origin x commodity) are keys of their own, named
``<a>__<b>``. Every count is an as-of join with sorted ``(key, time rank)`` codes and
``searchsorted(side="left")``: an event at the very moment, or later, never counts. Keys are factorised once
over the history; queries and outcomes point into it by position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

DAY_NS = 86400e9
HS_LEVELS = (10, 8, 6, 4, 2)


@dataclass(frozen=True)
class HistorySpec:
    """Which keys and values to encode (column names of the history frame)."""

    entities: tuple[str, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()
    values: tuple[str, ...] = ()
    # Keys (entity or ``a__b`` pair names) whose declaration counts and first-seen ages are computed.
    volume: tuple[str, ...] = ()
    smoothing: float = 20.0
    min_norm_rows: int = 10
    hs_levels: tuple[int, ...] = field(default=HS_LEVELS)

    def key_names(self) -> list[str]:
        return [*self.entities, *(pair_name(a, b) for a, b in self.pairs)]

    def feature_names(self) -> list[str]:
        out = ["h_base_rate"]
        for key in self.key_names():
            out += [f"h_{key}_n", f"h_{key}_hits", f"h_{key}_rate"]
            if key in self.volume:
                out += [f"h_{key}_count", f"h_{key}_age_days"]
        for v in self.values:
            out += [f"norm_{v}_logratio", f"norm_{v}_z", f"norm_{v}_level"]
        return out


def pair_name(a: str, b: str) -> str:
    return f"{a}__{b}"


def label(name: str) -> str:
    """A column name as a feature-name part: lower case, runs of other characters as one underscore."""
    out = re.sub(r"[^0-9a-zA-Z]+", "_", str(name)).strip("_").lower()
    return out or "column"


def as_key(s: pd.Series) -> pd.Series:
    """Ids as text, so 7, 7.0 (an int column with gaps) and "7" are the same party; blank text is missing."""
    if pd.api.types.is_float_dtype(s):
        v = s.to_numpy(dtype=float)
        if np.all(np.isnan(v) | (v == np.round(v))):
            s = s.astype("Int64")
    out = s.astype("string")
    return out.mask(out.str.strip() == "")


def _objects(s: pd.Series) -> np.ndarray:
    """Distinct values as an object array with None for missing (a few thousand at most)."""
    return np.array([None if pd.isna(v) else v for v in s], dtype=object)


def _take(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``values[codes]`` with None where the code is -1 (missing)."""
    if not len(values):
        return np.full(len(codes), None, dtype=object)
    out = values[np.maximum(codes, 0)]
    out[codes < 0] = None
    return out


def hs_digits(s: pd.Series) -> pd.Series:
    """HS codes as digit strings; an odd length lost its leading zero to a number column (710807000 ->
    0710807000), so one is put back. Anything that is not 2-10 digits is missing. Works on the distinct
    values only (a million rows hold a few thousand codes)."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    text = as_key(pd.Series(uniq, dtype=object)).str.replace(r"[.\s]", "", regex=True)
    text = text.where(text.str.fullmatch(r"\d{2,10}").fillna(False))
    odd = (text.str.len() % 2 == 1).fillna(False)
    text = text.mask(odd, "0" + text)
    values = _objects(text)
    return pd.Series(_take(values, codes), index=s.index, dtype="string")


def add_hs_levels(
    frame: pd.DataFrame, column: str = "hs_code", levels: tuple[int, ...] = HS_LEVELS
) -> list[str]:
    """Adds ``hs<L>`` columns (the HS code cut to L digits, missing where the code is shorter); returns the
    names of the levels that hold anything."""
    if column not in frame:
        for lv in levels:
            frame[f"hs{lv}"] = pd.Series(pd.NA, index=frame.index, dtype="string")
        return []
    codes, uniq = pd.factorize(hs_digits(frame[column]), use_na_sentinel=True)
    digits = pd.Series(uniq, dtype="string")
    present = []
    for lv in levels:
        cut = _objects(digits.str[:lv].where(digits.str.len() >= lv))
        frame[f"hs{lv}"] = pd.Series(_take(cut, codes), index=frame.index, dtype="string")
        if any(v is not None for v in cut):
            present.append(f"hs{lv}")
    return present


def key_codes(values: pd.Series | np.ndarray) -> np.ndarray:
    """Integer codes of key values compared as text (``as_key``), -1 for missing; the text work is done on
    the distinct values only."""
    raw, uniq = pd.factorize(pd.Series(values) if not isinstance(values, pd.Series) else values)
    if not len(uniq):
        return np.full(len(raw), -1, dtype=np.int64)
    text = as_key(pd.Series(uniq))
    merged, _ = pd.factorize(text, use_na_sentinel=True)
    merged = merged.astype(np.int64)
    return np.where(raw >= 0, merged[np.maximum(raw, 0)], -1).astype(np.int64)


def _pair_codes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    joined = np.where((a >= 0) & (b >= 0), a * (int(b.max(initial=0)) + 1) + b, -1)
    codes, _ = pd.factorize(joined)
    codes = codes.astype(np.int64)
    codes[joined < 0] = -1
    return codes


@dataclass
class _Sorted:
    """Events of one key, sorted by (key, time rank); running sums of any values in that order on demand."""

    comp: np.ndarray
    order: np.ndarray
    ok: np.ndarray
    width: np.int64

    @classmethod
    def of(cls, code: np.ndarray, rank: np.ndarray, width: np.int64) -> _Sorted:
        ok = code >= 0
        comp = code[ok] * width + rank[ok]
        order = np.argsort(comp)  # equal (key, moment) pairs may come in any order: only their sums count
        return cls(comp[order], order, ok, width)

    def cumsum(self, values: np.ndarray) -> np.ndarray:
        return np.concatenate([[0.0], np.cumsum(np.asarray(values)[self.ok][self.order], dtype=float)])

    def positions(self, code: np.ndarray, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per query: (first event position of its key, end position strictly before its rank).

        The needles are searched in sorted order: at a million rows, unsorted needles make searchsorted
        jump around the haystack and it takes five times as long (measured)."""
        safe = np.where(code >= 0, code, 0)
        needles = safe * self.width + np.where(code >= 0, rank, 0)
        order = np.argsort(needles)
        lo = np.empty(len(code), dtype=np.int64)
        hi = np.empty(len(code), dtype=np.int64)
        lo[order] = np.searchsorted(self.comp, (safe * self.width)[order], side="left")
        hi[order] = np.searchsorted(self.comp, needles[order], side="left")
        return lo, np.where(code >= 0, hi, lo)


def encode(
    history: pd.DataFrame,
    times: np.ndarray,
    *,
    query: np.ndarray,
    query_times: np.ndarray,
    outcome_rows: np.ndarray,
    outcome_times: np.ndarray,
    outcome_found: np.ndarray,
    spec: HistorySpec,
) -> pd.DataFrame:
    """History encodings for the rows ``query`` (positions into ``history``) at ``query_times``.

    ``times``: each history row's filing moment (int64 ns); outcomes: the history row each belongs to,
    when it became known (int64 ns) and whether it was found. Returns float32 columns
    ``spec.feature_names()``, one row per query, in query order."""
    n_q = len(query)
    out: dict[str, np.ndarray] = {}
    # Keys the history does not have at all (an outside table without vessels) share one array of NaN:
    # their columns exist (rules and models find them) at the cost of one column, not dozens.
    nan = np.full(n_q, np.nan, dtype=np.float32)
    known = np.asarray(outcome_rows, dtype=np.int64)
    keep = known >= 0
    known, o_t, o_y = known[keep], np.asarray(outcome_times)[keep], np.asarray(outcome_found, float)[keep]
    # One rank space for every instant: history filings, query moments, outcome moments.
    all_t = np.concatenate(
        [np.asarray(times, np.int64), np.asarray(query_times, np.int64), o_t.astype(np.int64)]
    )
    uniq, inv = np.unique(all_t, return_inverse=True)
    inv = inv.astype(np.int64)
    width = np.int64(len(uniq) + 1)
    h_rank = inv[: len(times)]
    q_rank = inv[len(times) : len(times) + n_q]
    o_rank = inv[len(times) + n_q :]
    q_t = np.asarray(query_times, np.int64)

    # The flow's own as-of outcome rate: the prior every key is shrunk towards.
    glob = _Sorted.of(np.zeros(len(known), np.int64), o_rank, width)
    g_lo, g_hi = glob.positions(np.zeros(n_q, np.int64), q_rank)
    g_cum = glob.cumsum(o_y)
    g_hits = g_cum[g_hi] - g_cum[g_lo]
    g_n = (g_hi - g_lo).astype(float)
    p0 = (g_hits + 0.5) / (g_n + 1.0)
    out["h_base_rate"] = p0
    m = float(spec.smoothing)

    # Key codes: over the whole history where volumes need it (or the history is no larger than queries and
    # outcomes together), else over the queries' and outcomes' values only (the platform's history is large).
    whole = len(query) + len(known) >= len(history)
    full: dict[str, np.ndarray] = {}
    part: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def column(name: str) -> pd.Series:
        return history[name] if name in history else pd.Series(pd.NA, index=history.index, dtype="string")

    def over_history(name: str) -> np.ndarray:
        if name not in full:  # kept as int32 (a million rows: 4 MB a column), widened where joined
            full[name] = key_codes(column(name)).astype(np.int32)
        return full[name].astype(np.int64)

    def over_queries(name: str) -> tuple[np.ndarray, np.ndarray]:
        if whole or name in full:
            code = over_history(name)
            return code[query], code[known]
        if name not in part:
            col = column(name)
            both = key_codes(pd.concat([col.iloc[query], col.iloc[known]], ignore_index=True)).astype(
                np.int32
            )
            part[name] = (both[:n_q], both[n_q:])
        q, e = part[name]
        return q.astype(np.int64), e.astype(np.int64)

    for key in spec.key_names():
        a, _, b = key.partition("__")
        if key in spec.volume:
            code = over_history(a) if not b else _pair_codes(over_history(a), over_history(b))
            q_code, e_code = code[query], code[known]
        elif not b:
            q_code, e_code = over_queries(a)
        else:
            (qa, ea), (qb, eb) = over_queries(a), over_queries(b)
            both = _pair_codes(np.concatenate([qa, ea]), np.concatenate([qb, eb]))
            q_code, e_code = both[:n_q], both[n_q:]
            code = q_code
        if not (q_code >= 0).any():
            for stat in ("n", "hits", "rate", *(("count", "age_days") if key in spec.volume else ())):
                out[f"h_{key}_{stat}"] = nan
            continue
        ev = _Sorted.of(e_code, o_rank, width)
        lo, hi = ev.positions(q_code, q_rank)
        cum = ev.cumsum(o_y)
        hits = cum[hi] - cum[lo]
        n = (hi - lo).astype(float)
        missing = q_code < 0
        rate = (hits + m * p0) / (n + m)
        out[f"h_{key}_n"] = np.where(missing, np.nan, n).astype(np.float32)
        out[f"h_{key}_hits"] = np.where(missing, np.nan, hits).astype(np.float32)
        out[f"h_{key}_rate"] = np.where(missing, np.nan, rate).astype(np.float32)
        if key in spec.volume:
            vol = _Sorted.of(code, h_rank, width)
            vlo, vhi = vol.positions(q_code, q_rank)
            count = (vhi - vlo).astype(float)
            if len(vol.comp):
                first_rank = vol.comp[np.minimum(vlo, len(vol.comp) - 1)] % width
                first_t = uniq[np.minimum(first_rank, len(uniq) - 1)]
            else:
                first_t = q_t
            age = np.where(vhi > vlo, (q_t - first_t) / DAY_NS, -1.0)
            out[f"h_{key}_count"] = np.where(missing, np.nan, count).astype(np.float32)
            out[f"h_{key}_age_days"] = np.where(missing, np.nan, age).astype(np.float32)

    full.clear()
    part.clear()
    if spec.values:
        _norms(history, query, h_rank, q_rank, width, spec, out, nan)
    # One array per column, no consolidated copy: at a million rows the encodings are 400 MB as float32.
    columns = {
        k: out[k] if out[k] is nan else np.asarray(out[k], dtype=np.float32) for k in spec.feature_names()
    }
    out.clear()
    return pd.DataFrame(columns, copy=False)


def _norms(
    history: pd.DataFrame,
    query: np.ndarray,
    h_rank: np.ndarray,
    q_rank: np.ndarray,
    width: np.int64,
    spec: HistorySpec,
    out: dict[str, np.ndarray],
    nan: np.ndarray,
) -> None:
    """Each value against the as-of mean of its commodity at the finest HS level with enough earlier rows."""
    levels = [f"hs{lv}" for lv in spec.hs_levels if f"hs{lv}" in history and history[f"hs{lv}"].notna().any()]
    logs = {}
    for v in spec.values:
        raw = pd.to_numeric(history[v], errors="coerce").to_numpy(dtype=float) if v in history else None
        if raw is None:
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            logs[v] = np.where(raw >= 0, np.log1p(np.where(raw >= 0, raw, 0.0)), np.nan)
    n_q = len(query)
    result = {
        v: (np.full(n_q, np.nan, np.float32), np.full(n_q, np.nan, np.float32), np.zeros(n_q, np.float32))
        for v in logs
    }
    # Finest level first: a query keeps the first level that has enough earlier rows of its value. One
    # sort per level serves every value (summed one at a time: a million rows, a few arrays at once).
    for lv_name in levels:
        code = key_codes(history[lv_name])
        q_code = code[query]
        lv = float(lv_name[2:])
        ev = _Sorted.of(code, h_rank, width)
        lo, hi = ev.positions(q_code, q_rank)
        for v, x in logs.items():
            logratio, z, level = result[v]
            ok = ~np.isnan(x)
            c_n = ev.cumsum(ok.astype(float))
            cnt = c_n[hi] - c_n[lo]
            take = (level == 0) & (cnt >= spec.min_norm_rows) & (q_code >= 0)
            if not take.any():
                continue
            xv = np.where(ok, x, 0.0)
            c1 = ev.cumsum(xv)
            s1 = (c1[hi] - c1[lo])[take]
            del c1
            c2 = ev.cumsum(xv * xv)
            s2 = (c2[hi] - c2[lo])[take]
            del c2
            mean = s1 / cnt[take]
            sd = np.sqrt(np.maximum(s2 / cnt[take] - mean * mean, 0.0))
            xq = x[query][take]
            logratio[take] = xq - mean
            z[take] = (xq - mean) / np.maximum(sd, 0.05)
            level[take] = lv
    for v, (logratio, z, level) in result.items():
        out[f"norm_{v}_logratio"] = logratio
        out[f"norm_{v}_z"] = z
        out[f"norm_{v}_level"] = level
    zero = np.zeros(n_q, dtype=np.float32)
    for v in spec.values:
        if v not in logs:
            out[f"norm_{v}_logratio"] = nan
            out[f"norm_{v}_z"] = nan
            out[f"norm_{v}_level"] = zero


def describe(feature: str, row: dict[str, object]) -> str | None:
    """Words for a history feature, with the key's value from the row; None for other features."""
    num = _number(row.get(feature))
    if feature == "h_base_rate":
        return f"flow-wide hit rate so far {num:.1%}"
    m = re.fullmatch(r"norm_(.+)_(logratio|z|level)", feature)
    if m:
        value = m.group(1)
        level = _number(row.get(f"norm_{value}_level"))
        ratio = float(np.exp(_number(row.get(f"norm_{value}_logratio"))))
        where = f"HS {level:.0f}-digit" if level else "commodity"
        return f"{_words(value)} is {ratio:.2g}x the {where} norm so far"
    m = re.fullmatch(r"h_(.+)_(n|hits|rate|count|age_days)", feature)
    if not m:
        return None
    key, stat = m.group(1), m.group(2)
    parts = key.split("__")
    who = " x ".join(f"{_words(p)} {row.get(p, '?')}" for p in parts)
    if stat in ("n", "hits", "rate"):
        n = _number(row.get(f"h_{key}_n"))
        hits = _number(row.get(f"h_{key}_hits"))
        rate = _number(row.get(f"h_{key}_rate"))
        return f"{who}: {hits:.0f} found in {n:.0f} earlier outcomes (smoothed rate {rate:.1%})"
    if stat == "count":
        return f"{who}: {_number(row.get(feature)):.0f} earlier declarations"
    age = _number(row.get(feature))
    return f"{who}: first seen {age:.0f} days before" if age >= 0 else f"{who}: never seen before"


def _words(name: str) -> str:
    return re.sub(r"^x_", "", name).replace("_id", "").replace("_", " ").strip()


def _number(value: object) -> float:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if np.isnan(out) else out
