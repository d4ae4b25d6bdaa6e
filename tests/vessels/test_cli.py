"""`mainport vessels ...` and `mainport barriers ...`: the work done, and one line with exit code 2 for a
mistake."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mainport.cli import app
from mainport.database import migrations
from mainport.database.runtime import get_engine
from tests.conftest import FreshDatabase


@pytest.fixture
def migrated(configured_db: FreshDatabase) -> None:
    migrations.upgrade(engine=get_engine())


MISTAKES = [
    (["vessels", "scores", "--day", "2026-13-01"], "--day"),
    (["vessels", "scores", "--day", "0001-01-01"], "--day"),
    (["vessels", "select", "--day", "2026-03-02", "--capacity", "2", "--hub", "atlantis"], "hub"),
    (["vessels", "outcome", "7", "found"], "vessel dive 7 not found"),
    (
        ["barriers", "register", "NLRTM-0001", "--name", "x", "--hub", "rotterdam", "--unlocode", "XXXXX"],
        "unlocode",
    ),
    (
        [
            "barriers",
            "register",
            "NLRTM-0001",
            "--name",
            "x",
            "--hub",
            "rotterdam",
            "--unlocode",
            "NLRTM",
            "--measure",
            "cctv",
        ],
        "MEASURE=STATE",
    ),
]


@pytest.mark.parametrize(("args", "says"), MISTAKES, ids=[" ".join(a[:3]) for a, _ in MISTAKES])
def test_a_mistake_is_one_line_and_exit_code_2(migrated: None, args: list[str], says: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert "Traceback" not in result.output and len(lines) == 1, result.output
    assert says in lines[0]


def test_commands_do_their_work(migrated: None) -> None:
    runner = CliRunner()
    args = [
        "barriers",
        "register",
        "NLRTM-0001",
        "--name",
        "ECT Delta",
        "--hub",
        "rotterdam",
        "--unlocode",
        "NLRTM",
    ]
    done = runner.invoke(
        app, [*args, "--level", "2", "--measure", "cctv=in_place", "--measure", "fencing=partial"]
    )
    assert done.exit_code == 0 and "level 2, 2 measure(s)" in done.output, done.output
    listed = runner.invoke(app, ["barriers", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "NLRTM-0001" in listed.output and "fencing=partial" in listed.output
    scores = runner.invoke(app, ["vessels", "scores", "--day", "2026-03-02"])
    assert scores.exit_code == 0 and "0 call(s)" in scores.output, scores.output
    planned = runner.invoke(app, ["vessels", "select", "--day", "2026-03-02", "--capacity", "2"])
    assert planned.exit_code == 0 and "0 dive(s) planned" in planned.output, planned.output
