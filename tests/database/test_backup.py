"""`mainport db backup` / `restore`: a verified round trip on SQLite and PostgreSQL, audit chain intact."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from mainport.audit import service as audit
from mainport.audit.models import AuditEntry
from mainport.cli import app
from mainport.database import migrations, session_scope
from mainport.database.runtime import get_engine, get_session_factory
from mainport.identity.principal import system_principal
from mainport.shipments.models import Party
from tests.conftest import FreshDatabase
from tests.shipments.factories import T0


@pytest.fixture
def filled(configured_db: FreshDatabase) -> FreshDatabase:
    migrations.upgrade(engine=get_engine())
    with session_scope(get_session_factory()) as s:
        for i in range(25):
            s.add(Party(eori=f"NL{i:09d}", name=f"Party {i}", country="NL", first_seen=T0))
            audit.record(
                session=s,
                actor=system_principal(),
                action="party.create",
                entity_type="party",
                entity_id=str(i),
            )
    return configured_db


def _count(model: type) -> int:
    with session_scope(get_session_factory()) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_backup_and_restore_round_trip(filled: FreshDatabase, tmp_path: Path) -> None:
    out = tmp_path / "backups" / "mainport.backup"
    runner = CliRunner()
    r = runner.invoke(app, ["db", "backup", str(out)])
    assert r.exit_code == 0, r.output
    assert "25 audit entries" in r.output and "verified" in r.output
    assert out.is_file() and (tmp_path / "backups" / "mainport.backup.json").is_file()
    # Damage after the backup: rows gone, more audit entries.
    with session_scope(get_session_factory()) as s:
        s.execute(Party.__table__.delete().where(Party.eori < "NL000000010"))
        audit.record(session=s, actor=system_principal(), action="x", entity_type="x", entity_id="x")
    assert _count(Party) == 15
    r = runner.invoke(app, ["db", "restore", str(out), "--yes"])
    assert r.exit_code == 0, r.output
    assert "audit chain verifies (25 entries)" in r.output
    assert _count(Party) == 25 and _count(AuditEntry) == 25
    with session_scope(get_session_factory()) as s:
        assert audit.verify(session=s).ok


def test_a_damaged_or_foreign_backup_is_refused(filled: FreshDatabase, tmp_path: Path) -> None:
    out = tmp_path / "b.backup"
    runner = CliRunner()
    assert runner.invoke(app, ["db", "backup", str(out)]).exit_code == 0
    with out.open("r+b") as f:
        f.seek(out.stat().st_size // 2)
        f.write(b"\x00garbage\x00")
    r = runner.invoke(app, ["db", "restore", str(out), "--yes"])
    assert r.exit_code == 2 and "SHA-256 differs" in r.output
    (tmp_path / "lone.backup").write_bytes(b"x")
    r = runner.invoke(app, ["db", "restore", str(tmp_path / "lone.backup"), "--yes"])
    assert r.exit_code == 2 and "manifest missing" in r.output


def test_a_tampered_audit_chain_fails_the_backup_check(filled: FreshDatabase, tmp_path: Path) -> None:
    with session_scope(get_session_factory()) as s:
        s.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(action="forged"))
    r = CliRunner().invoke(app, ["db", "backup", str(tmp_path / "t.backup")])
    assert r.exit_code == 1 and "audit chain does not verify" in r.output
