"""The production check: a generated multi-day world of all five hubs goes into the database through ingest
(the `mainport world load` command), reconciles with nothing quarantined, and the audit chain verifies. Runs
on SQLite and on PostgreSQL, which enforces what SQLite forgives (lengths, types, NUL, time zones)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from mainport.cli import app
from mainport.database import migrations, session_scope
from mainport.database.runtime import get_engine, get_session_factory
from mainport.reference.nodes import NODES
from mainport.shipments.models import Declaration
from mainport.world import WorldConfig, generate_world
from tests.conftest import FreshDatabase


@pytest.mark.slow
def test_a_five_hub_world_loads_reconciles_and_verifies(configured_db: FreshDatabase, tmp_path: Path) -> None:
    world = tmp_path / "world"
    generate_world(WorldConfig(days=4, seed=5, scale=0.01, smuggling_boost=40.0), world)
    migrations.upgrade(engine=get_engine())
    runner = CliRunner()
    r = runner.invoke(app, ["world", "load", str(world)])
    assert r.exit_code == 0, r.output
    lines = [line for line in r.output.splitlines() if "received" in line]
    assert len(lines) >= 6  # declarations, events, inspections, seizures, e-seal, access
    for line in lines:
        numbers = dict(re.findall(r"(received|stored|duplicates|quarantined) ([\d,]+)", line))
        received, stored = int(numbers["received"].replace(",", "")), int(numbers["stored"].replace(",", ""))
        dups, quarantined = (int(numbers[k].replace(",", "")) for k in ("duplicates", "quarantined"))
        assert "NOT balanced" not in line and received == stored + dups + quarantined, line
        assert quarantined == 0, line
        assert received > 0, line
    with session_scope(get_session_factory()) as s:
        hubs = set(s.scalars(select(Declaration.hub).distinct()))
    assert set(NODES) <= hubs, hubs
    r = runner.invoke(app, ["audit", "verify"])
    assert r.exit_code == 0 and "audit log intact" in r.output
