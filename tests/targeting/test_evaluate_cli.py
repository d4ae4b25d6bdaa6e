from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from mainport.errors import ValidationFailed
from mainport.targeting.cli import app
from mainport.targeting.evaluate import evaluate
from mainport.targeting.features import build_features
from mainport.targeting.synthetic import generate

MAPPING = {
    "label": "label",
    "date": "filed_at",
    "revenue": "kg",
    "test_share": 0.3,
    "rules": "default",
    "rounds": 30,
    "numeric": [
        "loading_in_source",
        "loading_in_transit",
        "reefer",
        "consignee_age_days",
        "seal_changes",
        "vague_description",
        "group_risk",
    ],
    "categorical": ["commodity_group"],
}


@pytest.fixture(scope="module")
def dataset() -> pd.DataFrame:
    flow = generate(4000, days=40, seed=9, base_rate=0.03)
    f = build_features(flow.declarations, parties=flow.parties, events=flow.events)
    return f.merge(flow.truth, on="declaration_id")


def test_evaluate_reports_three_methods_at_four_rates_on_a_temporal_split(dataset) -> None:
    out = evaluate(dataset, MAPPING)
    assert set(out["method"]) == {"model", "rules", "random"}
    assert sorted(out["rate"].unique()) == [0.01, 0.02, 0.05, 0.10]
    assert out.attrs["train_until"] < out.attrs["test_from"]
    model10 = out[(out["method"] == "model") & (out["rate"] == 0.10)]["recall"].item()
    random10 = out[(out["method"] == "random") & (out["rate"] == 0.10)]["recall"].item()
    assert model10 > random10


def test_mapping_errors_are_clear(dataset) -> None:
    with pytest.raises(ValidationFailed, match="label"):
        evaluate(dataset, {**MAPPING, "label": "nope"})
    with pytest.raises(ValidationFailed, match="rules"):
        evaluate(dataset, {k: v for k, v in MAPPING.items() if k != "rules"})


def test_cli_evaluate_prints_the_table(dataset, tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    dataset.to_csv(data, index=False)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(yaml.safe_dump(MAPPING))
    result = CliRunner().invoke(app, ["evaluate", "--data", str(data), "--mapping", str(mapping)])
    assert result.exit_code == 0, result.output
    assert "Pre@n" in result.output and "rules" in result.output and "10%" in result.output
