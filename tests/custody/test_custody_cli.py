from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mainport.custody.cli import app
from tests.conftest import FreshDatabase


@pytest.fixture
def cli_db(fresh_db: FreshDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    # Its own database: the CLI commits.
    monkeypatch.setattr("mainport.custody.cli.get_session_factory", lambda: fresh_db.factory)


def test_telemetry_jsonl_and_dwell(cli_db: None, tmp_path: Path) -> None:
    path = tmp_path / "eseal.jsonl"
    reading = {
        "reading_id": "cli-r-1",
        "container_number": "TGHU7654321",
        "kind": "eseal",
        "status": "closed",
        "at": "2026-01-20T16:45:00+00:00",
        "device_id": "ES-9",
    }
    path.write_text(json.dumps(reading) + "\n")
    runner = CliRunner()
    first = runner.invoke(app, ["telemetry", str(path)])
    assert first.exit_code == 0 and "stored 1, duplicates 0" in first.output
    again = runner.invoke(app, ["telemetry", str(path)])
    assert "stored 0, duplicates 1" in again.output
    assert runner.invoke(app, ["dwell"]).exit_code == 0
    assert runner.invoke(app, ["verify", "999999"]).exit_code != 0
