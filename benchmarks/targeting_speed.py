"""Speed: build features for, score (< 10 s) and train on (< 2 min) 1,000,000 declarations on this machine.

Feature building: ``build_features`` on 1M declarations from ``targeting/synthetic.py`` with parties,
DCSA-like seal events and outcomes of 0.65% of them (every as-of join of the real pipeline). Training and
scoring use a synthetic feature frame of the production shape (all numeric and categorical features, the
context columns the rules use). Scoring = model probability + all shipped rules + combination.
Run: .venv/bin/python benchmarks/targeting_speed.py [--rows 1000000] [--skip-features]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from mainport.targeting.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES, build_features
from mainport.targeting.model import train
from mainport.targeting.rules import apply_rules, load_profiles
from mainport.targeting.selection import combine
from mainport.targeting.synthetic import generate


def feature_frame(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {c: rng.random(n).astype(np.float32) for c in NUMERIC_FEATURES}
    for c in (
        "loading_in_source",
        "loading_in_transit",
        "reefer",
        "vague_description",
        "late_filing",
        "shipper_owned",
        "new_notify_party",
        "consignee_country_mismatch",
        "transhipment",
    ):
        data[c] = (rng.random(n) < 0.1).astype(np.float32)
    data["consignee_age_days"] = rng.exponential(600, n).astype(np.float32)
    data["consignee_past_hits"] = rng.poisson(0.01, n).astype(np.float32)
    data["seal_changes"] = rng.poisson(0.02, n).astype(np.float32)
    data["mass_payload_ratio"] = rng.uniform(0, 1.1, n).astype(np.float32)
    cats = {
        "commodity_group": ["fresh_fruit", "cocoa", "coffee", "general", "machinery"],
        "loading_country": ["EC", "CO", "BR", "CN", "US", "PE"],
        "carrier": ["MAEU", "MSCU", "CMDU", "HLCU"],
        "hub": ["rotterdam", "north_sea_canal", "zeeland_west_brabant"],
    }
    for c in CATEGORICAL_FEATURES:
        data[c] = pd.Categorical(rng.choice(cats[c], n)).astype("string")
    frame = pd.DataFrame(data)
    frame["routing_countries"] = "EC|NL"
    g = {
        c: frame[c].to_numpy(dtype=float)
        for c in ("loading_in_source", "loading_in_transit", "reefer", "consignee_age_days", "seal_changes")
    }
    fruit = (frame["commodity_group"] == "fresh_fruit").to_numpy(dtype=bool)
    logit = (
        -5
        + 2 * g["loading_in_source"]
        + 1.5 * g["loading_in_transit"]
        + g["reefer"]
        + 1.2 * (g["consignee_age_days"] < 90)
        + 1.5 * g["seal_changes"]
        + fruit
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    return frame, y


def features_at_scale(n: int) -> None:
    t = time.perf_counter()
    flow = generate(n, days=365, seed=1)
    t_gen = time.perf_counter() - t
    # Outcomes of 0.65% of the declarations, known two days after filing.
    inspected = flow.declarations.merge(flow.truth, on="declaration_id").sample(frac=0.0065, random_state=1)
    outcomes = pd.DataFrame(
        {
            "declaration_id": inspected["declaration_id"],
            "inspected_at": inspected["filed_at"] + pd.Timedelta(days=2),
            "found": inspected["label"].astype(bool),
        }
    )
    t = time.perf_counter()
    f = build_features(flow.declarations, parties=flow.parties, outcomes=outcomes, events=flow.events)
    t_feat = time.perf_counter() - t
    print(
        f"features for {n:,} declarations ({len(flow.events):,} events, {len(outcomes):,} outcomes, "
        f"{f.shape[1]} columns): {t_feat:.1f} s (target well under 60 s) {'OK' if t_feat < 60 else 'SLOW'}; "
        f"generating them took {t_gen:.1f} s"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=120)
    ap.add_argument("--skip-features", action="store_true")
    args = ap.parse_args()
    if not args.skip_features:
        features_at_scale(args.rows)
    frame, y = feature_frame(args.rows)
    print(
        f"{args.rows:,} rows, {len(NUMERIC_FEATURES)} numeric + {len(CATEGORICAL_FEATURES)} categorical, "
        f"{int(y.sum()):,} positives"
    )
    t = time.perf_counter()
    model = train(frame, y, rounds=args.rounds)
    t_train = time.perf_counter() - t
    rules = load_profiles()
    t = time.perf_counter()
    p = model.predict(frame)
    rr = apply_rules(rules, frame)
    score = combine(p, rr.score)
    t_score = time.perf_counter() - t
    t = time.perf_counter()
    top = np.argsort(-score)[:1000]
    model.explain(frame.iloc[top])
    t_explain = time.perf_counter() - t
    print(f"train {args.rounds} rounds: {t_train:.1f} s (target < 120 s) {'OK' if t_train < 120 else 'SLOW'}")
    print(
        f"score (model + {len(rules)} rules): {t_score:.2f} s (target < 10 s) "
        f"{'OK' if t_score < 10 else 'SLOW'}"
    )
    print(f"TreeSHAP reasons for the top 1,000: {t_explain:.2f} s")


if __name__ == "__main__":
    main()
