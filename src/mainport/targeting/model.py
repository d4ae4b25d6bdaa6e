"""The learned risk model: LightGBM trees, calibrated probabilities, TreeSHAP reasons in an analyst's words.

Calibration is fitted on the latest part of the training data (by time), never on what the trees saw.
Contributions come from LightGBM's ``pred_contrib=True``, which is TreeSHAP (exact SHAP values for trees).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from mainport.reference.locations import LOCATIONS
from mainport.targeting import history
from mainport.targeting.features import CATEGORICAL_FEATURES, HISTORY_FEATURES, NUMERIC_FEATURES

DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.1,
    "num_leaves": 31,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.7,
    "bagging_freq": 1,
    # Balanced bagging: every positive, a share of the (abundant) negatives per tree; keeps 1M rows fast.
    "pos_bagging_fraction": 1.0,
    "neg_bagging_fraction": 0.3,
    "lambda_l2": 1.0,
    "max_bin": 63,
    "cat_smooth": 10,
    "num_threads": 2,
    "verbose": -1,
    "seed": 7,
}


SINGLE_THREAD_ROWS = 100_000
# What the model reads by default: the product's features and the generic history of its own keys.
MODEL_NUMERIC = (*NUMERIC_FEATURES, *HISTORY_FEATURES)


@dataclass(frozen=True)
class Reason:
    feature: str
    contribution: float  # log-odds added by this feature
    text: str


@dataclass
class RiskModel:
    booster: lgb.Booster
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    vocab: dict[str, list[str]]
    calibration: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        return _matrix(frame, self.numeric, self.categorical, self.vocab)

    def raw(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.booster.predict(self.matrix(frame), raw_score=True), dtype=float)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability that the declaration hides drugs."""
        return self.calibrate(self.raw(frame))

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        cal = self.calibration
        platt = 1.0 / (1.0 + np.exp(-(cal["a"] * raw + cal["b"]))) if "a" in cal else None
        if cal["method"] == "isotonic":
            iso = np.interp(raw, cal["x"], cal["y"])
            share = float(cal.get("platt_share", 0.0))
            return iso if platt is None or not share else (1.0 - share) * iso + share * platt
        assert platt is not None
        return platt

    def explain(self, frame: pd.DataFrame, top: int = 3) -> list[list[Reason]]:
        """The features that raised each declaration's score most, in words (positive contributions only)."""
        if frame.empty:
            return []
        contrib = np.asarray(self.booster.predict(self.matrix(frame), pred_contrib=True))[:, :-1]
        names = self.feature_names
        out = []
        records: list[dict[str, Any]] = frame.to_dict("records")  # type: ignore[assignment]
        for row, values in zip(records, contrib, strict=True):
            order = np.argsort(-values)[:top]
            out.append(
                [Reason(names[j], float(values[j]), describe(names[j], row)) for j in order if values[j] > 0]
            )
        return out

    def to_bytes(self) -> bytes:
        doc = {
            "booster": self.booster.model_to_string(),
            "numeric": list(self.numeric),
            "categorical": list(self.categorical),
            "vocab": self.vocab,
            "calibration": self.calibration,
            "meta": self.meta,
        }
        return base64.b64encode(json.dumps(doc, default=str).encode())

    @classmethod
    def from_bytes(cls, data: bytes) -> RiskModel:
        doc = json.loads(base64.b64decode(data))
        return cls(
            booster=lgb.Booster(model_str=doc["booster"]),
            numeric=tuple(doc["numeric"]),
            categorical=tuple(doc["categorical"]),
            vocab=doc["vocab"],
            calibration=doc["calibration"],
            meta=doc["meta"],
        )


def _matrix(
    frame: pd.DataFrame,
    numeric: Sequence[str],
    categorical: Sequence[str],
    vocab: dict[str, list[str]],
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """The float32 matrix the trees read (``rows``: only those positions), filled column by column into one
    array: a million rows by 150 features is 600 MB, so no second copy is made on the way."""
    n = len(frame) if rows is None else len(rows)
    out = np.empty((n, len(numeric) + len(categorical)), dtype=np.float32)
    for j, c in enumerate(numeric):
        if c not in frame:
            out[:, j] = np.nan
            continue
        col = frame[c]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            col = pd.to_numeric(col, errors="coerce")
        values = col.to_numpy(dtype=np.float32, na_value=np.nan)
        out[:, j] = values if rows is None else values[rows]
    for k, c in enumerate(categorical):
        j = len(numeric) + k
        if c not in frame:
            out[:, j] = np.nan
            continue
        # Unknown categories become missing (NaN), which LightGBM sends down its default branch.
        codes = pd.Index(vocab[c], dtype=object).get_indexer(pd.Index(frame[c].astype(object)))
        codes = codes.astype(np.float32)
        codes[codes < 0] = np.nan
        out[:, j] = codes if rows is None else codes[rows]
    return out


def _vocab(
    frame: pd.DataFrame, categorical: Sequence[str], limit: int = 200, rows: np.ndarray | None = None
) -> dict[str, list[str]]:
    out = {}
    for c in categorical:
        col = frame[c] if rows is None else frame[c].iloc[rows]
        counts = col.dropna().astype(str).value_counts()
        out[c] = [str(v) for v in counts.index[:limit]]
    return out


def train(
    frame: pd.DataFrame,
    labels: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    numeric: Sequence[str] = MODEL_NUMERIC,
    categorical: Sequence[str] = CATEGORICAL_FEATURES,
    rounds: int = 400,
    calibration_share: float = 0.2,
    params: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
    times: pd.Series | np.ndarray | None = None,
    early_stopping: bool = True,
    recency: Sequence[float | None] | None = None,
    refit: bool = True,
    rows: np.ndarray | None = None,
) -> RiskModel:
    """Fit trees on earlier rows, stop and calibrate on the latest ``calibration_share`` (rows in time order).

    - **Early stopping** on that time-ordered validation slice (average precision, the top of the ranking),
      at most ``rounds`` rounds; with under ``MIN_VALID_POSITIVES`` positives in it, ``rounds`` are fitted
      without stopping (a new hub, the first weeks).
    - **Drift**: each of ``recency`` (half-lives in days, ``None`` = no decay; default: none, and a third of
      the training span) is fitted and the best on the validation slice is kept.
    - **Imbalance**: every positive and a share of the negatives per tree (balanced bagging, the share
      ``NEG_PER_POS`` negatives per positive), which also keeps a million rows fast.
    - **Refit** (default): the chosen setting is refitted on all rows, validation slice included (the most
      recent labels matter most under drift), for the stopped number of rounds scaled to the larger set.
    - **Calibration**: isotonic (>= 50 positives in the slice, blended with 10% Platt so the probability
      stays strictly increasing and ranks within a low-risk hub survive) or Platt, fitted on the slice's
      out-of-sample scores; after a refit it is applied to the refitted trees (stated approximation: same
      settings, scores on the same scale).

    ``weights`` (inverse-propensity weights of inspected declarations, learning.py) enter both the trees
    and the calibrator. ``times``: the rows' moments (for the whole-day cut and the recency weights).
    ``rows``: train on these positions of ``frame`` only (labels, weights and times are theirs), without
    copying the frame.
    """
    y = np.asarray(labels, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    n_rows = len(frame) if rows is None else len(rows)
    if len(y) != n_rows or len(w) != len(y):
        raise ValueError("frame, labels and weights must have the same length")
    if y.sum() == 0 or y.sum() == len(y):
        raise ValueError("training needs both positive and negative outcomes")
    numeric = [c for c in numeric if c in frame]
    categorical = [c for c in categorical if c in frame]
    vocab = _vocab(frame, categorical, rows=rows)
    x = _matrix(frame, numeric, categorical, vocab, rows)
    t = _days(times, len(y))
    cut = _cut(t, calibration_share)
    if y[cut:].sum() < 5 or y[:cut].sum() < 5:  # too few positives to hold out: calibrate in-sample
        cut = len(y)
    p = _params(y[:cut], len(y), params)
    names = [*numeric, *categorical]
    cat_idx = list(range(len(numeric), len(names)))
    # feature_pre_filter off: the fits below use their own min_data_in_leaf on the same binned data.
    ds_params = {"max_bin": p["max_bin"], "verbose": -1, "feature_pre_filter": False}
    # One binned dataset for every fit: the fitting and validation slices are subsets of it (binning a
    # million rows once, not three times); each candidate only changes the weights.
    full = lgb.Dataset(
        x, label=y, feature_name=names, categorical_feature=cat_idx, params=ds_params, free_raw_data=True
    ).construct()
    # Once binned, only the validation slice's raw values are still needed (calibration): a million rows'
    # float32 matrix is dropped here rather than held through three fits.
    held = slice(cut, None) if cut < len(y) else slice(0, None)
    x_held = x[held].copy()
    del x
    stopping = early_stopping and cut < len(y) and y[cut:].sum() >= MIN_VALID_POSITIVES
    span = float(t[:cut].max() - t[:cut].min()) if cut else 0.0
    candidates = list(recency) if recency is not None else [None, max(span / 3.0, 7.0)]
    if not stopping:
        candidates = candidates[:1]
    fit = full.subset(np.arange(cut, dtype=np.int32)).construct() if cut < len(y) else full  # type: ignore[arg-type]
    valid = (
        full.subset(np.arange(cut, len(y), dtype=np.int32)).construct()  # type: ignore[arg-type]
        if stopping
        else None
    )
    if valid is not None:
        valid.set_weight(w[cut:])
    tried: list[_Candidate] = []
    for half_life in candidates:
        fit.set_weight(w[:cut] * _decay(t[:cut], half_life))
        if valid is not None:
            booster = lgb.train(
                {**p, "metric": "average_precision"},
                fit,
                num_boost_round=rounds,
                valid_sets=[valid],
                callbacks=[lgb.early_stopping(STOPPING_ROUNDS, verbose=False)],
            )
            ap = float(booster.best_score["valid_0"]["average_precision"])
            score: float | None = None if np.isnan(ap) else ap
            best = max(1, int(booster.best_iteration or rounds))
        else:
            booster = lgb.train(p, fit, num_boost_round=rounds)
            score, best = None, rounds
        tried.append(_Candidate(half_life, score, best, booster))
    chosen = max(tried, key=lambda c: -np.inf if c.valid_ap is None else c.valid_ap) if stopping else tried[0]
    booster = chosen.booster
    raw = np.asarray(booster.predict(x_held, raw_score=True, num_iteration=chosen.rounds), dtype=float)
    del x_held
    calibration = _fit_calibration(raw, y[held], w[held])
    refitted = False
    if refit and stopping:
        full.set_weight(w * _decay(t, chosen.half_life_days))
        final_rounds = max(1, round(chosen.rounds * len(y) / max(cut, 1)))
        booster = lgb.train(_params(y, len(y), params), full, num_boost_round=final_rounds)
        refitted = True
    elif stopping:
        booster = _trim(booster, chosen.rounds)
    info = {
        "rows": len(y),
        "positives": float(y.sum()),
        "rounds": int(booster.num_trees()),
        "early_stopping": stopping,
        "half_life_days": chosen.half_life_days,
        "candidates": [
            {"half_life_days": c.half_life_days, "valid_ap": c.valid_ap, "rounds": c.rounds} for c in tried
        ],
        "refit": refitted,
        "calibration_rows": len(raw),
        "calibration": calibration["method"],
        **(meta or {}),
    }
    return RiskModel(booster, tuple(numeric), tuple(categorical), vocab, calibration, info)


@dataclass
class _Candidate:
    """One fitted setting: its recency half-life, average precision on the validation slice, rounds."""

    half_life_days: float | None
    valid_ap: float | None
    rounds: int
    booster: lgb.Booster


MIN_VALID_POSITIVES = 10
STOPPING_ROUNDS = 20
NEG_PER_POS = 10.0


def _params(y: np.ndarray, n: int, params: dict[str, Any] | None) -> dict[str, Any]:
    p = {**DEFAULT_PARAMS, **(params or {})}
    pos = float(y.sum())
    neg = float(len(y) - pos)
    if not (params and "neg_bagging_fraction" in params) and neg > 0:
        p["neg_bagging_fraction"] = float(np.clip(NEG_PER_POS * pos / neg, 0.05, 1.0))
    if n < SINGLE_THREAD_ROWS and not (params and "num_threads" in params):
        # OpenMP threads spin while they wait: on a shared, loaded box a few hundred rows took 29 s to train
        # with 2 threads and 0.07 s with one (80 rounds, measured); threads pay only on large sets.
        p["num_threads"] = 1
    # Small outcome sets (a new hub, the first weeks) still need leaves that can split.
    p["min_data_in_leaf"] = min(int(p["min_data_in_leaf"]), max(3, len(y) // 20))
    return p


def _days(times: pd.Series | np.ndarray | None, n: int) -> np.ndarray:
    """Moments as days (float); without times, the row order stands for time."""
    if times is None:
        return np.arange(n, dtype=float) / max(n, 1)
    # days since the epoch whatever unit the column has (pandas keeps microseconds from some sources)
    ts = pd.to_datetime(pd.Series(np.asarray(times)), utc=True)
    return np.asarray((ts - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(days=1), dtype=float)


def _cut(t: np.ndarray, share: float) -> int:
    """First row of the validation slice: the latest ``share`` of rows, moved back to a whole day when the
    rows have moments, so one day is never on both sides."""
    n = len(t)
    cut = int(n * (1.0 - share))
    if cut <= 0 or cut >= n:
        return n
    day = np.floor(t[cut])
    if t[-1] - t[0] > 1.0:  # rows carry days: cut at the start of that day
        cut = int(np.searchsorted(t, day, side="left"))
    return cut if 0 < cut < n else int(n * (1.0 - share))


def _decay(t: np.ndarray, half_life: float | None) -> np.ndarray:
    if half_life is None or not len(t):
        return np.ones(len(t))
    return np.asarray(0.5 ** ((t.max() - t) / half_life), dtype=float)


def _trim(booster: lgb.Booster, rounds: int) -> lgb.Booster:
    """The booster cut to its best iteration (what gets stored)."""
    return lgb.Booster(model_str=booster.model_to_string(num_iteration=rounds))


def _fit_calibration(raw: np.ndarray, y: np.ndarray, w: np.ndarray) -> dict[str, Any]:
    # Isotonic needs many positives to be smooth; with fewer, Platt scaling (two parameters) is steadier.
    lr = LogisticRegression(C=1e4)
    lr.fit(raw.reshape(-1, 1), y, sample_weight=w)
    platt = {"a": float(lr.coef_[0][0]), "b": float(lr.intercept_[0])}
    if y.sum() >= 50:
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        iso.fit(raw, y, sample_weight=w)
        return {
            "method": "isotonic",
            "x": iso.X_thresholds_.tolist(),
            "y": iso.y_thresholds_.tolist(),
            "platt_share": PLATT_SHARE,
            **platt,
        }
    return {"method": "platt", **platt}


PLATT_SHARE = 0.1


def _place(code: Any) -> str:
    loc = LOCATIONS.get(str(code))
    return f"{loc.name} ({loc.role} port)" if loc else str(code)


def _num(row: dict[str, Any], key: str) -> float:
    try:
        return float(row.get(key) or 0.0)
    except (TypeError, ValueError):
        return 0.0


# feature -> words for an analyst; each gets the whole row so it can name the place, party or commodity.
_WORDS: dict[str, Callable[[dict[str, Any]], str]] = {
    "loading_in_source": lambda r: f"loaded in {_place(r.get('place_of_loading'))}, a source country",
    "loading_in_transit": lambda r: f"loaded in {_place(r.get('place_of_loading'))}, a transit country",
    "routing_source_count": lambda r: f"routed through source countries ({r.get('routing_countries')})",
    "routing_transit_count": lambda r: f"routed through transit countries ({r.get('routing_countries')})",
    "routing_length": lambda r: f"routed through {_num(r, 'routing_length'):.0f} countries",
    "transhipment": lambda r: f"transhipped on the way ({r.get('routing_countries')})",
    "hs_heading_risk": lambda r: f"HS heading {r.get('hs_heading')} is a known cover-load commodity",
    "group_risk": lambda r: f"commodity {r.get('commodity_group')} is often used as cover load",
    "commodity_group": lambda r: f"commodity group {r.get('commodity_group')}",
    "reefer": lambda r: "reefer container",
    "consignee_age_days": lambda r: (
        f"consignee first seen {_num(r, 'consignee_age_days'):.0f} days before filing"
    ),
    "consignor_age_days": lambda r: (
        f"consignor first seen {_num(r, 'consignor_age_days'):.0f} days before filing"
    ),
    "notify_age_days": lambda r: (
        f"notify party first seen {_num(r, 'notify_age_days'):.0f} days before filing"
    ),
    "new_notify_party": lambda r: "new notify party (first seen under 30 days ago)",
    "consignee_country_mismatch": lambda r: "consignee's country differs from the place of delivery",
    "consignee_volume_90d": lambda r: (
        f"consignee filed {_num(r, 'consignee_volume_90d'):.0f} declarations in 90 days"
    ),
    "consignor_volume_90d": lambda r: (
        f"consignor filed {_num(r, 'consignor_volume_90d'):.0f} declarations in 90 days"
    ),
    "consignee_past_inspections": lambda r: (
        f"consignee inspected {_num(r, 'consignee_past_inspections'):.0f} times before"
    ),
    "consignee_past_hits": lambda r: f"consignee had {_num(r, 'consignee_past_hits'):.0f} earlier seizures",
    "consignor_past_hits": lambda r: f"consignor had {_num(r, 'consignor_past_hits'):.0f} earlier seizures",
    "hs_heading_past_hits": lambda r: (
        f"{_num(r, 'hs_heading_past_hits'):.0f} earlier seizures in HS heading {r.get('hs_heading')}"
    ),
    "carrier_past_inspections": lambda r: (
        f"carrier {r.get('carrier')} inspected {_num(r, 'carrier_past_inspections'):.0f} times before"
    ),
    "carrier_past_hits": lambda r: (
        f"carrier {r.get('carrier')} had {_num(r, 'carrier_past_hits'):.0f} earlier hits"
    ),
    "carrier": lambda r: f"carrier {r.get('carrier')}",
    "vessel_past_hits": lambda r: f"vessel had {_num(r, 'vessel_past_hits'):.0f} earlier hits",
    "loading_port_past_inspections": lambda r: (
        f"boxes from {r.get('place_of_loading')} inspected {_num(r, 'loading_port_past_inspections'):.0f} "
        "times before"
    ),
    "loading_port_hit_rate": lambda r: (
        f"earlier inspections of boxes from {r.get('place_of_loading')} found loads at a rate of "
        f"{_num(r, 'loading_port_hit_rate'):.1%} (shrunk)"
    ),
    "mass_payload_ratio": lambda r: (
        f"declared mass is {_num(r, 'mass_payload_ratio'):.0%} of the box's payload"
    ),
    "mass_per_package": lambda r: f"{_num(r, 'mass_per_package'):.1f} kg per package",
    "packages": lambda r: f"{_num(r, 'packages'):.0f} packages declared",
    "gross_mass_kg": lambda r: f"gross mass {_num(r, 'gross_mass_kg'):.0f} kg",
    "vague_description": lambda r: "vague goods description",
    "description_length": lambda r: (
        f"short goods description ({_num(r, 'description_length'):.0f} characters)"
    ),
    "amendments": lambda r: f"declaration amended {_num(r, 'amendments'):.0f} times",
    "late_filing": lambda r: "filed after the container was loaded",
    "shipper_owned": lambda r: "shipper-owned container",
    "seal_changes": lambda r: f"seal changed {_num(r, 'seal_changes'):.0f} times on the way",
    "day_of_week": lambda r: "day of the week of filing",
    "loading_country": lambda r: f"loading country {r.get('loading_country')}",
    "hub": lambda r: f"hub {r.get('hub')}",
}


def describe(feature: str, row: dict[str, Any]) -> str:
    fn = _WORDS.get(feature)
    if fn:
        return fn(row)
    words = history.describe(feature, row)
    return words if words is not None else f"{history.label(feature).replace('_', ' ')} = {row.get(feature)}"
