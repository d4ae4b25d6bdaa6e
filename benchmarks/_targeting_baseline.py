"""A carefully featured gradient-boosting baseline for customs tables, written apart from the product.

It shares no feature code with ``mainport.targeting`` (only the metric definitions, ``metrics.at_rates``, so
both are scored the same way). It reads the same mapping YAML for the roles of the columns (id, date, label,
delay, which column is the importer or the tariff code) and builds what a careful data scientist would build
for customs-fraud detection, with pandas ``merge_asof`` instead of the product's sorted-code joins:

- for every code column and the usual pairs (importer x tariff, declarant x importer, seller x importer,
  origin x tariff): the outcome rate known before the row (labels count once their delay has passed),
  smoothed towards the as-of overall rate, the number of outcomes, the number of earlier rows and the days
  since first seen;
- tariff hierarchy (2, 4, 6 digits) rates and counts;
- value per kg, value, mass (logs) and their deviation from the as-of mean of the same 6- and 4-digit code;
- the raw numbers, and low-cardinality codes as LightGBM categories;
- LightGBM (learning rate 0.05, 63 leaves), early stopping on the last 15% of the training period, refitted
  on the whole training period for the stopped number of rounds.

Same strict temporal split as the product (whole days; training rows are those whose outcome was known
before the first test day). Use: ``careful_scores(table, mapping) -> (test ids, scores, labels, revenue)``.
"""

from __future__ import annotations

import os
import time
from typing import Any

# As the product does (mainport.targeting): OpenMP threads wait passively, or on a shared box every barrier
# spins against the other processes (1.5 s a boosting round instead of milliseconds at load average 15).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import lightgbm as lgb
import numpy as np
import pandas as pd

TRUE = {"1", "1.0", "true", "t", "yes", "y"}
ROLE_PAIRS = (
    ("consignee_id", "hs6"),
    ("declarant_id", "consignee_id"),
    ("consignor_id", "consignee_id"),
    ("origin_country", "hs6"),
)
FIELD_ALIASES = {
    "importer": "consignee_id",
    "exporter": "consignor_id",
    "seller": "consignor_id",
    "shipper": "consignor_id",
    "declarant": "declarant_id",
    "courier": "carrier",
    "routing": "countries_of_routing",
    "description": "goods_description",
}


def _dates(col: pd.Series, fmt: str | None) -> pd.Series:
    return (
        pd.to_datetime(col, format=fmt, utc=True) if fmt else pd.to_datetime(col, utc=True, format="ISO8601")
    )


def _prep(table: pd.DataFrame, mapping: dict[str, Any]) -> dict[str, Any]:
    t = _dates(table[mapping["date"]], mapping.get("date_format"))
    order = np.argsort(t.to_numpy(), kind="stable")
    df = table.iloc[order].reset_index(drop=True)
    t = t.iloc[order].reset_index(drop=True)
    column = df[mapping["label"]]
    raw_label = column.astype(object).where(column.notna(), "").astype(str).str.strip().str.lower()
    empty = (raw_label == "").to_numpy()
    pos = {str(v).lower() for v in mapping["positive"]} if mapping.get("positive") else TRUE
    y = np.where(empty, np.nan, raw_label.isin(pos).to_numpy().astype(float))
    known = t + pd.Timedelta(days=float(mapping.get("label_delay_days", 0)))
    fields = {FIELD_ALIASES.get(k, k): v for k, v in (mapping.get("fields") or {}).items()}
    return {"df": df, "t": t, "y": y, "known": known, "fields": fields}


def _split(t: pd.Series, known: pd.Series, y: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    ordered = np.sort(t.to_numpy())
    cut = pd.Timestamp(ordered[int(len(ordered) * (1 - share))]).normalize()
    lab = ~np.isnan(y)
    return ((t < cut) & (known < cut)).to_numpy() & lab, (t >= cut).to_numpy() & lab


def _asof_rate(
    key: pd.Series, t: pd.Series, known: pd.Series, y: np.ndarray, m: float = 10.0
) -> pd.DataFrame:
    """Outcome count, hits and smoothed rate per row from the rows with the same key whose outcome was known
    strictly before the row's date (merge_asof on cumulative sums)."""
    lab = ~np.isnan(y)
    k = key.fillna("<missing>").astype(str)
    ev = pd.DataFrame({"k": k[lab].to_numpy(), "at": known[lab].to_numpy(), "y": y[lab]})
    ev = ev.sort_values("at", kind="stable")
    ev["n"] = ev.groupby("k").cumcount() + 1.0
    ev["h"] = ev.groupby("k")["y"].cumsum()
    glob = ev[["at"]].assign(gn=np.arange(1, len(ev) + 1, dtype=float), gh=ev["y"].cumsum().to_numpy())
    q = pd.DataFrame({"k": k.to_numpy(), "at": t.to_numpy(), "row": np.arange(len(k))})
    q = q.sort_values("at", kind="stable")
    got = pd.merge_asof(q, ev[["k", "at", "n", "h"]], on="at", by="k", allow_exact_matches=False)
    got = pd.merge_asof(got.sort_values("at", kind="stable"), glob, on="at", allow_exact_matches=False)
    got = got.sort_values("row")
    n = got["n"].fillna(0.0).to_numpy()
    h = got["h"].fillna(0.0).to_numpy()
    p0 = (got["gh"].fillna(0.0).to_numpy() + 1.0) / (got["gn"].fillna(0.0).to_numpy() + 10.0)
    out = pd.DataFrame({"n": n, "rate": (h + m * p0) / (n + m)})
    out.loc[key.isna().to_numpy(), ["n", "rate"]] = np.nan
    return out


def _asof_volume(key: pd.Series, t: pd.Series) -> pd.DataFrame:
    """Earlier rows (strictly earlier moments) with the same key and days since the key's first row."""
    k = key.fillna("<missing>").astype(str)
    ev = pd.DataFrame({"k": k.to_numpy(), "at": t.to_numpy()}).sort_values("at", kind="stable")
    ev["c"] = ev.groupby("k").cumcount() + 1.0
    ev["first"] = ev.groupby("k")["at"].transform("min")
    q = pd.DataFrame({"k": k.to_numpy(), "at": t.to_numpy(), "row": np.arange(len(k))}).sort_values(
        "at", kind="stable"
    )
    got = pd.merge_asof(
        q, ev[["k", "at", "c", "first"]], on="at", by="k", allow_exact_matches=False
    ).sort_values("row")
    count = got["c"].fillna(0.0).to_numpy()
    age = ((got["at"] - got["first"]).dt.total_seconds() / 86400.0).fillna(-1.0).to_numpy()
    out = pd.DataFrame({"count": count, "age": age})
    out.loc[key.isna().to_numpy(), :] = np.nan
    return out


def _asof_mean(key: pd.Series, t: pd.Series, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """As-of mean of ``x`` over earlier rows with the same key, and how many there were."""
    ok = ~np.isnan(x) & key.notna().to_numpy()
    k = key.astype(str)
    ev = pd.DataFrame({"k": k[ok].to_numpy(), "at": t[ok].to_numpy(), "x": x[ok]}).sort_values(
        "at", kind="stable"
    )
    ev["s"] = ev.groupby("k")["x"].cumsum()
    ev["c"] = ev.groupby("k").cumcount() + 1.0
    q = pd.DataFrame({"k": k.to_numpy(), "at": t.to_numpy(), "row": np.arange(len(k))}).sort_values(
        "at", kind="stable"
    )
    got = pd.merge_asof(q, ev[["k", "at", "s", "c"]], on="at", by="k", allow_exact_matches=False).sort_values(
        "row"
    )
    c = got["c"].to_numpy(dtype=float)
    return got["s"].to_numpy(dtype=float) / c, np.nan_to_num(c)


def _hs(col: pd.Series) -> pd.Series:
    s = col.astype(str).str.replace(r"\D", "", regex=True)
    return s.where(s.str.len() % 2 == 0, "0" + s).where(s != "")


def careful_features(
    table: pd.DataFrame, mapping: dict[str, Any]
) -> tuple[pd.DataFrame, list[str], dict[str, Any]]:
    p = _prep(table, mapping)
    df, t, y, known, fields = p["df"], p["t"], p["y"], p["known"], p["fields"]
    skip = {
        mapping["date"],
        mapping["label"],
        mapping.get("id"),
        mapping.get("revenue"),
        *(mapping.get("ignore") or []),
    }
    feats: dict[str, np.ndarray] = {}
    cats: list[str] = []
    keys: dict[str, pd.Series] = {}
    role_of = {col: role for role, col in fields.items()}
    for col in df.columns:
        if col in skip:
            continue
        raw = df[col]
        num = pd.to_numeric(raw, errors="coerce")
        present = raw.astype(str).str.strip().replace({"nan": "", "None": ""}) != ""
        is_num = bool((num.notna() | ~present).all()) and role_of.get(col) not in ("hs_code",)
        distinct = raw.nunique()
        role = role_of.get(col, col)
        if is_num and role not in ("consignee_id", "consignor_id", "declarant_id"):
            feats[f"num_{col}"] = num.to_numpy(dtype=float)
            if distinct <= 50 and bool(np.all(np.isnan(num) | (num == np.round(num)))):
                keys[role] = raw.astype(str).where(present)
            continue
        if role == "hs_code":
            hs = _hs(raw)
            for lv in (2, 4, 6, 8, 10):
                cut = hs.str[:lv].where(hs.str.len() >= lv)
                if cut.notna().any():
                    keys[f"hs{lv}"] = cut
            continue
        if role == "countries_of_routing":
            feats["routing_len"] = raw.astype(str).str.split(r"[|;,\s]+").str.len().to_numpy(dtype=float)
        keys[role] = raw.astype(str).where(present)
    for a, b in ROLE_PAIRS:
        if a in keys and b in keys:
            keys[f"{a}*{b}"] = (keys[a] + "|" + keys[b]).where(keys[a].notna() & keys[b].notna())
    for name, key in keys.items():
        r = _asof_rate(key, t, known, y)
        feats[f"te_{name}"] = r["rate"].to_numpy()
        feats[f"ten_{name}"] = r["n"].to_numpy()
        distinct = key.nunique()
        if distinct > 50:
            v = _asof_volume(key, t)
            feats[f"cnt_{name}"] = v["count"].to_numpy()
            feats[f"age_{name}"] = v["age"].to_numpy()
        else:
            codes = pd.Categorical(key).codes.astype(float)
            feats[f"cat_{name}"] = np.where(codes < 0, np.nan, codes)  # missing: NaN, not category -1
            cats.append(f"cat_{name}")
    value_col, mass_col = fields.get("declared_value"), fields.get("gross_mass_kg")
    values: dict[str, np.ndarray] = {}
    if value_col:
        values["value"] = np.log1p(
            pd.to_numeric(df[value_col], errors="coerce").clip(lower=0).to_numpy(dtype=float)
        )
    if mass_col:
        values["mass"] = np.log1p(
            pd.to_numeric(df[mass_col], errors="coerce").clip(lower=0).to_numpy(dtype=float)
        )
    if value_col and mass_col:
        values["unit"] = values["value"] - values["mass"]
    if fields.get("packages") and mass_col:
        pk = np.log1p(
            pd.to_numeric(df[fields["packages"]], errors="coerce").clip(lower=0).to_numpy(dtype=float)
        )
        values["per_pkg"] = values["mass"] - pk
    for vname, x in values.items():
        feats[f"log_{vname}"] = x
        for lv in ("hs6", "hs4", "hs10"):
            if lv in keys:
                mean, c = _asof_mean(keys[lv], t, x)
                feats[f"dev_{vname}_{lv}"] = np.where(c >= 5, x - mean, np.nan)
    feats["dow"] = t.dt.dayofweek.to_numpy(dtype=float)
    frame = pd.DataFrame(feats)
    return frame, cats, p


PARAMS = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 63,
    "min_child_samples": 100,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 5.0,
    "max_bin": 127,
    "num_threads": 2,
    "verbose": -1,
    "seed": 3,
}


def careful_scores(table: pd.DataFrame, mapping: dict[str, Any]) -> dict[str, Any]:
    """Scores of the test rows: ids, score, label, revenue, seconds."""
    t0 = time.perf_counter()
    frame, cats, p = careful_features(table, mapping)
    y, t, known = p["y"], p["t"], p["known"]
    train, test = _split(t, known, y, float(mapping.get("test_share", 0.25)))
    tr = np.flatnonzero(train)
    t_fit = t.iloc[tr]
    cut = pd.Timestamp(np.sort(t_fit.to_numpy())[int(len(tr) * 0.85)]).normalize()
    fit, val = tr[(t_fit < cut).to_numpy()], tr[(t_fit >= cut).to_numpy()]
    x = frame.to_numpy(dtype=np.float32)
    cat_idx = [frame.columns.get_loc(c) for c in cats]
    d_fit = lgb.Dataset(x[fit], y[fit], categorical_feature=cat_idx, free_raw_data=False)
    d_val = lgb.Dataset(x[val], y[val], reference=d_fit, free_raw_data=False)
    booster = lgb.train(
        {**PARAMS, "metric": ["average_precision", "auc"]},
        d_fit,
        num_boost_round=2000,
        valid_sets=[d_val],
        callbacks=[lgb.early_stopping(100, first_metric_only=True, verbose=False)],
    )
    best = booster.best_iteration or 2000
    d_all = lgb.Dataset(x[tr], y[tr], categorical_feature=cat_idx)
    final = lgb.train(PARAMS, d_all, num_boost_round=int(best * 1.15))
    te = np.flatnonzero(test)
    score = final.predict(x[te])
    ids = (
        p["df"][mapping["id"]].astype(str).to_numpy()[te]
        if mapping.get("id")
        else np.arange(1, len(y) + 1)[te].astype(str)
    )
    rev = None
    if mapping.get("revenue"):
        rev = pd.to_numeric(p["df"][mapping["revenue"]], errors="coerce").fillna(0.0).to_numpy()[te]
    return {
        "ids": ids,
        "score": score,
        "label": y[te],
        "revenue": rev,
        "best_rounds": int(best),
        "features": frame.shape[1],
        "seconds": time.perf_counter() - t0,
        "train_rows": len(tr),
    }
