from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mainport.imaging.cli import app
from mainport.imaging.io import write_scan
from mainport.imaging.render import PairSample

runner = CliRunner()


def _files(tmp: Path, pair: PairSample) -> tuple[Path, Path]:
    return write_scan(pair.origin, tmp / "o.npy"), write_scan(pair.arrival, tmp / "a.tif")


def test_cli_compare_json_and_overlay(tmp_path: Path, door_pair: PairSample) -> None:
    o, a = _files(tmp_path, door_pair)
    ov = tmp_path / "ov.png"
    res = runner.invoke(app, ["compare", str(o), str(a), "--json", "--overlay", str(ov)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["score"] > 0.9 and data["regions"][0]["sign"] == "added"
    assert ov.exists() and ov.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_compare_bad_file(tmp_path: Path, door_pair: PairSample) -> None:
    o, a = _files(tmp_path, door_pair)
    (tmp_path / "o.json").unlink()
    res = runner.invoke(app, ["compare", str(o), str(a)])
    assert res.exit_code == 2


@pytest.mark.dask
def test_batch_local_cluster(tmp_path: Path, door_pair: PairSample) -> None:
    from mainport.imaging.batch import run_batch

    o, a = _files(tmp_path, door_pair)
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"pair_id,origin,dest\np1,{o.name},{a.name}\np2,{o.name},missing.npy\n")
    out = tmp_path / "preds.csv"
    summary = run_batch(pairs, out, workers=1, processes=False)
    assert summary["n"] == 2 and summary["errors"] == 1
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["pair_id"] == "p1" and float(rows[0]["score"]) > 0.9 and rows[0]["x0"] != ""
    assert rows[1]["error"] and rows[1]["score"] == ""
