"""Offline evaluation (Pre@n, Rec@n, Rev@n at 1/2/5/10%) of model, rules only and random on generated data.

Generates benchmarks/data/targeting_declarations.csv (synthetic flow -> point-in-time features, label, kg;
past outcomes of a 2% random audit feed the history features) when missing, then runs the same code as
`mainport target evaluate --data ... --mapping benchmarks/data/targeting_mapping.yaml`.
Run: .venv/bin/python benchmarks/targeting_evaluate.py [--rows 60000]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from mainport.targeting.evaluate import evaluate_files
from mainport.targeting.features import build_features
from mainport.targeting.synthetic import generate

DATA = Path(__file__).parent / "data"


def make_dataset(path: Path, rows: int, seed: int = 21) -> None:
    flow = generate(rows, days=180, seed=seed)
    truth = flow.declarations[["declaration_id", "filed_at"]].merge(flow.truth, on="declaration_id")
    audited = truth.sample(frac=0.02, random_state=seed)
    outcomes = pd.DataFrame(
        {
            "declaration_id": audited["declaration_id"],
            "inspected_at": audited["filed_at"] + pd.Timedelta(days=3),
            "found": audited["label"].astype(bool),
        }
    )
    f = build_features(flow.declarations, parties=flow.parties, outcomes=outcomes, events=flow.events)
    f = f.merge(flow.truth, on="declaration_id")
    f.to_csv(path, index=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=60_000)
    args = ap.parse_args()
    data = DATA / "targeting_declarations.csv"
    if not data.exists():
        make_dataset(data, args.rows)
    result = evaluate_files(data, DATA / "targeting_mapping.yaml")
    print({k: v for k, v in result.attrs.items()})
    table = result.pivot(index="rate", columns="method", values=["precision", "recall", "revenue"])
    print(table.round(3).to_string())


if __name__ == "__main__":
    main()
