"""Offline evaluation on any tabular declarations dataset (evaluation code: it reads labels, i.e. truth).

The mapping YAML names the columns::

    label: is_fraud            # 1 = drugs (or fraud) found
    date: filed_at             # strict temporal split on this column
    revenue: kg                # optional: seized mass or revenue, for Rev@n
    numeric: [col, ...]        # model features
    categorical: [col, ...]
    test_share: 0.25           # latest share of the dates for testing (or `test_from: 2025-04-01`)
    rules: default             # `default` (shipped profiles), a profile file next to the mapping, inline

The model trains on rows strictly before the first test date; Pre@n, Rec@n and Rev@n are reported for the
model, the rules alone and a random baseline in one run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from mainport.errors import ValidationFailed
from mainport.targeting import metrics
from mainport.targeting.model import train
from mainport.targeting.rules import Rule, apply_rules, load_profiles, parse_profile


def read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(f"dataset {path} not found")
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path)


def _rules(mapping: dict[str, Any], base: Path) -> list[Rule]:
    spec = mapping.get("rules")
    if spec is None:
        raise ValidationFailed(
            "the mapping needs `rules:` for the rules-only baseline (`default`, a file, inline)"
        )
    if spec == "default":
        return load_profiles()
    if isinstance(spec, str):
        return parse_profile((base / spec).read_text(encoding="utf-8"))
    return parse_profile(yaml.safe_dump(spec))


def temporal_split(dates: pd.Series, mapping: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Train mask (strictly before the cut) and test mask (from the cut); no date is on both sides."""
    d = pd.to_datetime(dates, utc=True)
    if mapping.get("test_from"):
        cut = pd.Timestamp(mapping["test_from"], tz="UTC")
    else:
        # Whole days, so one day's declarations are never split.
        ordered = d.sort_values().reset_index(drop=True)
        cut = ordered.iloc[int(len(ordered) * (1.0 - float(mapping.get("test_share", 0.25))))].normalize()
    train_mask = (d < cut).to_numpy()
    return train_mask, ~train_mask


def evaluate(
    data: pd.DataFrame, mapping: dict[str, Any], *, base: Path = Path("."), seed: int = 0
) -> pd.DataFrame:
    for key in ("label", "date"):
        if mapping.get(key) not in data.columns:
            raise ValidationFailed(f"mapping `{key}`: column {mapping.get(key)!r} not in the dataset")
    numeric = list(mapping.get("numeric", []))
    categorical = list(mapping.get("categorical", []))
    missing = [c for c in numeric + categorical if c not in data.columns]
    if missing:
        raise ValidationFailed(f"feature columns not in the dataset: {', '.join(missing)}")
    data = data.assign(_date=pd.to_datetime(data[mapping["date"]], utc=True)).sort_values(
        "_date", kind="stable"
    )
    data = data.reset_index(drop=True)
    for c in categorical:
        data[c] = data[c].astype("string")
    y = data[mapping["label"]].astype(float).to_numpy()
    revenue = data[mapping["revenue"]].astype(float).to_numpy() if mapping.get("revenue") else None
    train_mask, test_mask = temporal_split(data["_date"], mapping)
    if y[train_mask].sum() == 0 or test_mask.sum() == 0:
        raise ValidationFailed("the temporal split leaves no positives to train on or no rows to test")
    model = train(
        data[train_mask],
        y[train_mask],
        numeric=numeric,
        categorical=categorical,
        rounds=int(mapping.get("rounds", 200)),
    )
    test = data[test_mask]
    rev = revenue[test_mask] if revenue is not None else None
    rng = np.random.default_rng(seed)
    scores = {
        "random": rng.random(len(test)),
        "rules": apply_rules(_rules(mapping, base), test).score,
        "model": model.predict(test),
    }
    frames = []
    for name, s in scores.items():
        frames.append(metrics.at_rates(s, y[test_mask], rev, seed=seed).assign(method=name))
    out = pd.concat(frames, ignore_index=True)
    out.attrs.update(
        train_rows=int(train_mask.sum()),
        test_rows=int(test_mask.sum()),
        test_from=str(data.loc[test_mask, "_date"].min()),
        train_until=str(data.loc[train_mask, "_date"].max()),
        test_positives=int(y[test_mask].sum()),
    )
    return out[["method", "rate", "inspected", "precision", "recall", "revenue"]]


def evaluate_files(data_path: Path, mapping_path: Path, seed: int = 0) -> pd.DataFrame:
    mapping = yaml.safe_load(mapping_path.read_text(encoding="utf-8"))
    if not isinstance(mapping, dict):
        raise ValidationFailed(f"{mapping_path} is not a mapping")
    return evaluate(read_table(data_path), mapping, base=mapping_path.parent, seed=seed)
