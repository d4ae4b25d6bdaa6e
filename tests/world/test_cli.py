"""`mainport world generate` writes a world and prints its summary."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from mainport.world.cli import app


def test_generate_command_writes_ingest_files_and_truth(tmp_path: Path) -> None:
    out = tmp_path / "w"
    result = CliRunner().invoke(
        app,
        ["generate", "--days", "1", "--scale", "0.005", "--seed", "3", "--out", str(out), "--no-progress"],
    )
    assert result.exit_code == 0, result.output
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert manifest["days"] == 1 and manifest["counts"]["declarations"] > 0
    assert list((out / "declarations").glob("*.jsonl")) and list((out / "events").glob("*.json"))
    assert (out / "truth" / "loads.jsonl").exists()


def test_generate_refuses_a_bad_scale(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["generate", "--scale", "0", "--out", str(tmp_path), "--no-progress"])
    assert result.exit_code != 0
    assert "scale" in str(result.exception)
