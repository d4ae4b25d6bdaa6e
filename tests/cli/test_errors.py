"""Every user mistake on the command line ends in one line naming what was wrong, and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mainport.cli import app
from mainport.database import migrations
from mainport.database.runtime import get_engine
from tests.conftest import FreshDatabase


@pytest.fixture
def migrated(configured_db: FreshDatabase, tmp_path: Path) -> Path:
    migrations.upgrade(engine=get_engine())
    (tmp_path / "mapping.yaml").write_text("label: [unclosed\n")
    (tmp_path / "latin1.csv").write_bytes("naam,gewicht\ncaf\xe9,1\n".encode("latin-1"))
    return tmp_path


MISTAKES = [
    # (arguments, what the one line must say)
    (["ingest", "events", "{tmp}/missing.json"], "does not exist"),
    (["ingest", "events", "{tmp}"], "is a directory"),
    (["nonsense"], "No such command"),
    (["user", "create", "bob", "--org", "X", "--password", "short"], "at least 12 characters"),
    (["user", "create", "bob", "--org", "X", "--org-kind", "nokind", "--password", "p" * 14], "nokind"),
    (["token", "create", "nobody"], "no user 'nobody'"),
    (["token", "revoke", str(2**70)], "out of range"),
    (["quarantine", "show", "123"], "quarantined record 123 not found"),
    (["custody", "verify", "5"], "custody plan 5 not found"),
    (["audit", "list", "--limit", "-5"], "--limit"),
    (["target", "select", "rotterdam", "--day", "2026-13-01"], "month must be in 1..12"),
    (["target", "evaluate", "--data", "{tmp}/none.csv", "--mapping", "{tmp}/mapping.yaml"], "not valid YAML"),
    (["target", "evaluate", "--data", "{tmp}/latin1.csv", "--mapping", "{tmp}/missing.yaml"], "missing.yaml"),
    (["monitor", "report", "--period", "2026-Q9", "--out", "{tmp}/r.pdf"], "not YYYY"),
    (["monitor", "measure", "rotterdam", "2026", "m", "--started-on", "tomorrow"], "YYYY-MM-DD"),
    (["world", "load", "{tmp}/nowhere"], "nowhere"),
    (["world", "generate", "--days", "0", "--out", "{tmp}/w"], "days must be at least 1"),
    (["scan", "batch", "{tmp}/pairs.csv", "--out", "{tmp}/o.csv"], "pairs.csv"),
]


@pytest.mark.parametrize(("args", "says"), MISTAKES, ids=[" ".join(a[:2]) for a, _ in MISTAKES])
def test_a_mistake_is_one_line_and_exit_code_2(migrated: Path, args: list[str], says: str) -> None:
    result = CliRunner().invoke(app, [a.replace("{tmp}", str(migrated)) for a in args])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert "Traceback" not in result.output
    assert len(lines) == 1, result.output
    assert says in lines[0]


def test_debug_shows_the_traceback(migrated: Path) -> None:
    result = CliRunner().invoke(app, ["--debug", "custody", "verify", "5"])
    assert result.exit_code == 1 and type(result.exception).__name__ == "NotFound"


def test_an_unmigrated_database_says_how_to_migrate(configured_db: FreshDatabase) -> None:
    result = CliRunner().invoke(app, ["user", "list"])
    assert result.exit_code == 2
    assert result.output.strip().endswith("run `mainport db upgrade`")
    assert "schema is missing or older" in result.output


def test_a_database_behind_the_code_says_how_to_migrate(configured_db: FreshDatabase) -> None:
    migrations.upgrade(engine=get_engine(), revision="0004")  # before the operations tables
    result = CliRunner().invoke(app, ["jobs", "list"])
    assert result.exit_code == 2 and "run `mainport db upgrade`" in result.output


def test_an_unreachable_database_is_one_line_and_exit_code_1(monkeypatch: pytest.MonkeyPatch) -> None:
    from mainport.config import get_settings
    from mainport.database.runtime import get_session_factory

    monkeypatch.setenv("MAINPORT_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    for cached in (get_settings, get_engine, get_session_factory):
        cached.cache_clear()
    try:
        result = CliRunner().invoke(app, ["user", "list"])
    finally:
        for cached in (get_settings, get_engine, get_session_factory):
            cached.cache_clear()
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "database error" in lines[0] and "MAINPORT_DATABASE_URL" in lines[0]


def test_a_bad_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from mainport.config import get_settings

    monkeypatch.setenv("MAINPORT_ENVIRONMENT", "staging")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["user", "list"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "environment" in result.output and "MAINPORT_" in result.output
