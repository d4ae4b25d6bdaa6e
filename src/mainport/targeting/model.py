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
from mainport.targeting.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES

DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.1,
    "num_leaves": 31,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.9,
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
        if cal["method"] == "isotonic":
            return np.interp(raw, cal["x"], cal["y"])
        return 1.0 / (1.0 + np.exp(-(cal["a"] * raw + cal["b"])))

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
    frame: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str], vocab: dict[str, list[str]]
) -> np.ndarray:
    cols = [pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float32) for c in numeric]
    for c in categorical:
        if c not in frame:
            cols.append(np.full(len(frame), np.nan, dtype=np.float32))
            continue
        # Unknown categories become missing (NaN), which LightGBM sends down its default branch.
        values = frame[c].where(frame[c].isin(vocab[c]))
        codes = pd.Categorical(values, categories=vocab[c]).codes.astype(np.float32)
        codes[codes < 0] = np.nan
        cols.append(codes)
    return np.column_stack(cols) if cols else np.empty((len(frame), 0), dtype=np.float32)


def _vocab(frame: pd.DataFrame, categorical: Sequence[str], limit: int = 200) -> dict[str, list[str]]:
    out = {}
    for c in categorical:
        counts = frame[c].dropna().astype(str).value_counts()
        out[c] = [str(v) for v in counts.index[:limit]]
    return out


def train(
    frame: pd.DataFrame,
    labels: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    numeric: Sequence[str] = NUMERIC_FEATURES,
    categorical: Sequence[str] = CATEGORICAL_FEATURES,
    rounds: int = 120,
    calibration_share: float = 0.2,
    params: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
) -> RiskModel:
    """Fit trees on earlier rows and the calibrator on the latest ``calibration_share`` (rows in time order).

    ``weights`` are inverse-propensity weights of inspected declarations (see learning.py); they enter both
    the trees and the calibrator so that neither learns the old selection policy's bias.
    """
    y = np.asarray(labels, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    if len(y) != len(frame) or len(w) != len(y):
        raise ValueError("frame, labels and weights must have the same length")
    if y.sum() == 0 or y.sum() == len(y):
        raise ValueError("training needs both positive and negative outcomes")
    numeric = [c for c in numeric if c in frame]
    categorical = [c for c in categorical if c in frame]
    vocab = _vocab(frame, categorical)
    x = _matrix(frame, numeric, categorical, vocab)
    cut = int(len(y) * (1.0 - calibration_share))
    if y[cut:].sum() < 5 or y[:cut].sum() < 5:  # too few positives to hold out: calibrate in-sample
        cut = len(y)
    p = {**DEFAULT_PARAMS, **(params or {})}
    if len(y) < SINGLE_THREAD_ROWS and not (params and "num_threads" in params):
        # OpenMP threads spin while they wait: on a shared, loaded box a few hundred rows took 29 s to train
        # with 2 threads and 0.07 s with one (80 rounds, measured); threads pay only on large sets.
        p["num_threads"] = 1
    # Small outcome sets (a new hub, the first weeks) still need leaves that can split.
    p["min_data_in_leaf"] = min(int(p["min_data_in_leaf"]), max(3, cut // 20))
    n_cat = len(categorical)
    cat_idx = list(range(len(numeric), len(numeric) + n_cat))
    data = lgb.Dataset(
        x[:cut],
        label=y[:cut],
        weight=w[:cut],
        feature_name=[*numeric, *categorical],
        categorical_feature=cat_idx,
        free_raw_data=True,
        params={"max_bin": p["max_bin"], "verbose": -1},
    )
    booster = lgb.train(p, data, num_boost_round=rounds)
    held = slice(cut, None) if cut < len(y) else slice(0, None)
    raw = np.asarray(booster.predict(x[held], raw_score=True), dtype=float)
    calibration = _fit_calibration(raw, y[held], w[held])
    info = {
        "rows": len(y),
        "positives": float(y.sum()),
        "rounds": rounds,
        "calibration_rows": len(raw),
        "calibration": calibration["method"],
        **(meta or {}),
    }
    return RiskModel(booster, tuple(numeric), tuple(categorical), vocab, calibration, info)


def _fit_calibration(raw: np.ndarray, y: np.ndarray, w: np.ndarray) -> dict[str, Any]:
    # Isotonic needs many positives to be smooth; with fewer, Platt scaling (two parameters) is steadier.
    if y.sum() >= 50:
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        iso.fit(raw, y, sample_weight=w)
        return {"method": "isotonic", "x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()}
    lr = LogisticRegression(C=1e4)
    lr.fit(raw.reshape(-1, 1), y, sample_weight=w)
    return {"method": "platt", "a": float(lr.coef_[0][0]), "b": float(lr.intercept_[0])}


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
    return fn(row) if fn else f"{feature} = {row.get(feature)}"
