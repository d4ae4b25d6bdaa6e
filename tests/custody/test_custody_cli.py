from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mainport.custody.cli import app
from mainport.database import Base, build_engine, make_session_factory


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Its own database: the CLI commits.
    engine = build_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    monkeypatch.setattr("mainport.custody.cli.get_session_factory", lambda: factory)
    yield
    engine.dispose()


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
