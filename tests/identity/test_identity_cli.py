"""`mainport user create`, `token create|list|revoke` and `audit verify` on a real database file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from mainport.audit.models import AuditEntry
from mainport.database import migrations
from mainport.database.runtime import get_engine
from tests.conftest import FreshDatabase


@pytest.fixture
def cli_db(configured_db: FreshDatabase, tmp_path: Path) -> Path:
    migrations.upgrade(engine=get_engine())
    return tmp_path


def test_user_token_and_audit_commands(cli_db: Path) -> None:
    from mainport.cli import app

    run = CliRunner().invoke
    r = run(
        app,
        [
            "user",
            "create",
            "eva",
            "--org",
            "DOUANE-RTM",
            "--role",
            "analyst",
            "--password",
            "correct horse battery staple",
        ],
    )
    assert r.exit_code == 0, r.output
    r = run(app, ["token", "create", "eva", "--name", "feed"])
    assert r.exit_code == 0 and r.output.strip().startswith("mpt_")
    r = run(app, ["token", "list", "eva"])
    assert "feed" in r.output and r.output.count("mpt_") == 1  # only the prefix is shown
    assert run(app, ["token", "revoke", "1"]).exit_code == 0
    ok = run(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    with get_engine().begin() as conn:
        conn.execute(update(AuditEntry).where(AuditEntry.seq == 1).values(actor="mallory"))
    bad = run(app, ["audit", "verify"])
    assert bad.exit_code == 1 and "TAMPERED" in bad.output and "entry 1" in bad.output
