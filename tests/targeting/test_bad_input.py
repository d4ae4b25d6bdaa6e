"""A user's mistake in a selection (an unknown hub, a negative seed, a share beyond 1) is refused in one line:
the API answers 4xx in the error shape, never 500; the command line prints one line and exits with code 2."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mainport.cli import app
from mainport.database import migrations
from mainport.database.runtime import get_engine
from mainport.errors import NotFound, ValidationFailed
from mainport.identity.models import Role
from mainport.targeting import service
from mainport.targeting.evaluate import evaluate
from mainport.targeting.selection import MAX_SEED, Capacity
from tests.conftest import FreshDatabase
from tests.targeting.seed import seed_flow

TODAY = datetime.now(UTC).date()
URL = "/api/v1/targeting/selections"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"seed": -1}, "seed"),
        ({"seed": MAX_SEED + 1}, "seed"),
        ({"exploration_share": 1.5}, "exploration_share"),
        ({"capacity_scan": -3}, "capacity_scan"),
    ],
)
def test_api_refuses_numbers_numpy_cannot_take(
    session, principal_factory, app_client, token_for, body: dict, field: str
) -> None:
    analyst = principal_factory(role=Role.analyst)
    seed_flow(session, n=20, seed=3)
    session.commit()
    r = app_client.post(f"{URL}/rotterdam", headers=token_for(analyst), json={"day": str(TODAY), **body})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "validation_failed" and field in str(err["details"]) + err["message"]


def test_api_unknown_hub_is_404_not_an_empty_selection(
    session, principal_factory, app_client, token_for
) -> None:
    analyst = principal_factory(role=Role.analyst)
    seed_flow(session, n=20, seed=3)
    session.commit()
    h = token_for(analyst)
    made = app_client.post(f"{URL}/nowhere", headers=h, json={"day": str(TODAY), "seed": 1})
    assert made.status_code == 404, made.text
    assert made.json()["error"]["message"].startswith("unknown hub 'nowhere'; known: rotterdam")
    got = app_client.get(f"{URL}/nowhere", headers=h, params={"day": str(TODAY)})
    assert got.status_code == 404 and "unknown hub" in got.json()["error"]["message"]
    rates = app_client.get("/api/v1/targeting/hit-rates", headers=h, params={"hub": "nowhere"})
    assert rates.status_code == 404
    assert app_client.get("/targeting/nowhere", headers=h).status_code == 404
    # the hub's code is case-insensitive, as everywhere else
    ok = app_client.post(f"{URL}/Rotterdam", headers=h, json={"day": str(TODAY), "seed": 0})
    assert ok.status_code == 201 and ok.json()["hub"] == "rotterdam"


def test_service_checks_what_reaches_numpy(session, principal_factory) -> None:
    analyst = principal_factory(role=Role.analyst)
    seed_flow(session, n=20, seed=3)
    for kwargs, says in [
        ({"seed": -1}, "seed: -1"),
        ({"exploration_share": -0.1}, "exploration share"),
        ({"strategy": "greedy"}, "strategy: 'greedy'"),
        ({"capacity": Capacity(scan=-1, physical=0)}, "capacity"),
    ]:
        with pytest.raises(ValidationFailed, match=says):
            service.run_selection(session=session, actor=analyst, hub="rotterdam", day=TODAY, **kwargs)
    with pytest.raises(NotFound, match="unknown hub"):
        service.score_day(session=session, actor=analyst, hub="nowhere", day=TODAY)


def test_evaluate_refuses_a_negative_seed() -> None:
    with pytest.raises(ValidationFailed, match="seed: -2"):
        evaluate(pd.DataFrame({"a": [1]}), {}, seed=-2)


@pytest.fixture
def migrated(configured_db: FreshDatabase) -> None:
    migrations.upgrade(engine=get_engine())


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["target", "select", "nowhere"], "unknown hub 'nowhere'"),
        (["target", "score", "nowhere"], "unknown hub 'nowhere'"),
        (["target", "select", "rotterdam", "--exploration", "2"], "exploration share"),
        (["target", "select", "rotterdam", "--scan", "-1"], "capacity"),
    ],
)
def test_cli_mistakes_are_one_line_and_exit_2(migrated: None, args: list[str], says: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and says in lines[0], result.output


def test_cli_evaluate_negative_seed_is_one_line(migrated: None, tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("id,date,label\n1,2024-01-01,0\n")
    (tmp_path / "m.yaml").write_text("id: id\ndate: date\nlabel: label\n")
    args = ["target", "evaluate", "--data", str(tmp_path / "t.csv"), "--mapping", str(tmp_path / "m.yaml")]
    result = CliRunner().invoke(app, [*args, "--seed", "-1"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "seed: -1" in lines[0], result.output
