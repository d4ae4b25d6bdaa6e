"""`mainport target evaluate` on an outside table: the product's pipeline, baselines, outputs, user errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from mainport.errors import ValidationFailed
from mainport.targeting.cli import app
from mainport.targeting.evaluate import METHODS, evaluate
from tests.targeting.outside import MAPPING, outside_table


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return outside_table(6000, seed=3)


@pytest.fixture(scope="module")
def result(table):
    return evaluate(table.astype(str), MAPPING)


def _files(tmp_path: Path, table: pd.DataFrame, mapping: dict) -> tuple[Path, Path]:
    data = tmp_path / "t.csv"
    table.to_csv(data, index=False)
    m = tmp_path / "m.yaml"
    m.write_text(yaml.safe_dump(mapping))
    return data, m


def test_product_pipeline_and_baselines_on_one_split(result) -> None:
    t = result.table
    assert set(t["method"]) == set(METHODS)
    assert sorted(t["rate"].unique()) == [0.01, 0.02, 0.05, 0.10]
    info = result.info
    assert info["train_until"] < info["test_from"]
    # the product's own features were built from the mapped fields, and the extras took part
    assert info["mapped_fields"]["consignee_id"] == "Importer"
    assert "office" in info["extra_columns"]["codes"]
    assert info["model"]["early_stopping"] and info["model"]["calibration"] in ("isotonic", "platt")
    auc = result.auc
    assert auc["model"] > auc["random"] + 0.1
    assert auc["model"] > auc["raw_model"]  # importer history and value norms beat the raw columns
    model10 = t[(t["method"] == "model") & (t["rate"] == 0.10)]["recall"].item()
    random10 = t[(t["method"] == "random") & (t["rate"] == 0.10)]["recall"].item()
    assert model10 > 2 * random10
    # the reasons name history and commodity norms in words
    reasons = [r for r in result.scores["reasons"] if r]
    assert reasons and any("earlier outcomes" in r or "norm" in r for r in reasons)


def test_labels_count_only_once_known(table) -> None:
    """With a label delay longer than the test period, the test rows' own history has no outcomes from the
    test period: the training rows stop before the delay, and features never see a label early."""
    long = evaluate(table.astype(str), {**MAPPING, "label_delay_days": 40})
    short = evaluate(table.astype(str), {**MAPPING, "label_delay_days": 0})
    assert long.info["train_rows"] < short.info["train_rows"]
    assert pd.Timestamp(long.info["train_until"]) < pd.Timestamp(short.info["test_from"]) - pd.Timedelta(
        days=39
    )


def test_json_and_scores_from_the_command_line(tmp_path: Path, table) -> None:
    data, mapping = _files(tmp_path, table, MAPPING)
    scores = tmp_path / "scores.csv"
    run = CliRunner().invoke(
        app, ["evaluate", "--data", str(data), "--mapping", str(mapping), "--json", "--scores", str(scores)]
    )
    assert run.exit_code == 0, run.output
    doc = json.loads(run.stdout)
    assert set(doc["methods"]) == set(METHODS)
    assert set(doc["methods"]["model"]["at"]) == {"1%", "2%", "5%", "10%"}
    assert 0.5 < doc["methods"]["model"]["auc"] <= 1.0
    out = pd.read_csv(scores)
    assert {"id", "score", "reasons"} <= set(out.columns)
    assert len(out) == doc["test_rows"] and out["id"].str.startswith("E").all()
    tables = CliRunner().invoke(app, ["evaluate", "--data", str(data), "--mapping", str(mapping)])
    assert tables.exit_code == 0 and "Pre@n" in tables.output and "raw_model" in tables.output


def test_rules_none_and_shipped_rules_on_outside_data(table) -> None:
    none = evaluate(table.astype(str), {**MAPPING, "rules": "none"})
    assert "rules" not in set(none.table["method"])
    shipped = evaluate(table.astype(str), {**MAPPING, "rules": "default"})
    assert shipped.info["rules"] >= 8  # the shipped profiles run on the product features built from it


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"date_format": None}, "two-digit year"),
        ({"date_format": "%d/%m/%Y"}, "not dates in format"),
        ({"label": "Outcme"}, "did you mean 'Outcome'"),
        ({"fields": {"importer": "Nope"}}, "not in the table"),
        ({"fields": {"importr": "Importer"}}, "not a product field"),
        ({"fields": {"gross_mass_kg": "Importer"}}, "not numbers"),
        ({"test_share": 0.999}, "training rows"),
        ({"test_from": "2030-01-01"}, "no labelled rows to test"),
        ({"ignore": []}, "predicts the label almost perfectly"),
        ({"labl": "x"}, "unknown key"),
        ({"rules": "missing.yaml"}, "not found"),
    ],
)
def test_user_mistakes_are_one_clear_line(table, change: dict, message: str) -> None:
    mapping = {**MAPPING, **change}
    mapping = {k: v for k, v in mapping.items() if v is not None}
    with pytest.raises(ValidationFailed, match=message):
        evaluate(table.astype(str), mapping)


def test_label_values_other_than_0_1_need_positive(table) -> None:
    odd = table.astype(str).assign(Outcome=np.where(table["Outcome"] == 1, "SEIZED", "NIL"))
    with pytest.raises(ValidationFailed, match="positive"):
        evaluate(odd, MAPPING)
    ok = evaluate(odd, {**MAPPING, "positive": ["SEIZED"]})
    assert ok.info["test_positives"] > 0


def test_cli_errors_exit_2_with_one_line(tmp_path: Path, table) -> None:
    data, mapping = _files(tmp_path, table, {**MAPPING, "date_format": None})
    runner = CliRunner()
    cases = [
        ["--data", str(tmp_path / "nope.csv"), "--mapping", str(mapping)],
        ["--data", str(data), "--mapping", str(tmp_path / "nope.yaml")],
        ["--data", str(data), "--mapping", str(mapping)],  # ambiguous dates
    ]
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("label: [unclosed")
    cases.append(["--data", str(data), "--mapping", str(bad_yaml)])
    for args in cases:
        run = runner.invoke(app, ["evaluate", *args])
        assert run.exit_code == 2, (args, run.output)
        lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in run.output


def test_two_digit_years_are_never_guessed(table) -> None:
    """`13-01-01` read without a format would be 2001-01-13 or 2013-01-01: refused, not guessed; with the
    format the split is where the dates say."""
    ok = evaluate(table.astype(str), MAPPING)
    assert ok.info["train_from"].startswith("2013-01")
