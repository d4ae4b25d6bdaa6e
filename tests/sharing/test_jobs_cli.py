"""Retention per category by the scheduled job (what went is recorded), expiry of requests, and the CLI
(one-line errors, exit 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from mainport.identity.principal import system_principal
from mainport.insider.models import StaffLookup
from mainport.recurring import JobContext, discover
from mainport.sharing import service
from mainport.sharing.models import RetentionRun

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def _ctx(session: Session) -> JobContext:
    return JobContext(session=session, actor=system_principal(), now=NOW, since=None)


def test_retention_job_purges_per_category_and_records_what(session: Session) -> None:
    service.seed_defaults(session=session)
    service.set_retention(session=session, actor=system_principal(), code="staff_lookups", days=30)
    for i, age in enumerate((90, 31, 5)):
        session.add(
            StaffLookup(
                key=f"s{i}",
                at=NOW - timedelta(days=age),
                username="u",
                org_code="TERM",
                hub="rotterdam",
                kind="position",
                source="test",
            )
        )
    session.flush()
    job = discover()["sharing-retention"]
    assert job.run(_ctx(session)) == {"purged": {"staff_lookups": 2}}
    assert job.run(_ctx(session)) == {"purged": {"staff_lookups": 0}}
    assert session.scalar(select(func.count()).select_from(StaffLookup)) == 1
    runs = list(session.scalars(select(RetentionRun).order_by(RetentionRun.id)))
    assert [(r.category, r.purged) for r in runs] == [("staff_lookups", 2), ("staff_lookups", 0)]
    assert runs[0].cutoff == NOW - timedelta(days=30)


def test_retention_only_where_a_purge_exists_and_only_for_customs(
    session: Session, principal_factory
) -> None:
    from mainport.errors import PermissionDenied, ValidationFailed
    from mainport.identity.models import OrgKind, Role

    service.seed_defaults(session=session)
    with pytest.raises(ValidationFailed, match="no retention purge"):
        service.set_retention(session=session, actor=system_principal(), code="declarations", days=30)
    with pytest.raises(ValidationFailed, match="out of range"):
        service.set_retention(session=session, actor=system_principal(), code="staff_lookups", days=0)
    terminal = principal_factory(kind=OrgKind.terminal, role=Role.admin, facility_code="ECTDE")
    with pytest.raises(PermissionDenied):
        service.set_retention(session=session, actor=terminal, code="staff_lookups", days=10)


def test_jobs_are_declared() -> None:
    names = set(discover())
    assert {"sharing-retention", "sharing-expire-requests", "sharing-figures"} <= names


def test_cli_lists_grants_and_says_what_is_wrong_in_one_line(configured_db) -> None:
    from mainport.cli import app
    from mainport.database import migrations

    migrations.upgrade()
    runner = CliRunner()
    r = runner.invoke(app, ["sharing", "seed"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["sharing", "agreements", "--category", "declarations"])
    assert r.exit_code == 0 and "DEFAULT-declarations-read-police" in r.output
    r = runner.invoke(
        app,
        [
            "sharing",
            "grant",
            "--category",
            "everything",
            "--purpose",
            "steering",
            "--legal-basis",
            "ISPS",
            "--partner-kind",
            "municipality",
        ],
    )
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert r.exit_code == 2 and len(lines) == 1 and "not a data category" in lines[0], r.output
    r = runner.invoke(
        app,
        [
            "sharing",
            "grant",
            "--category",
            "seizures",
            "--purpose",
            "steering",
            "--legal-basis",
            "GDPR-6-1-E",
            "--partner-kind",
            "municipality",
            "--conditions",
            "aggregated_only",
            "--valid-to",
            "2031-01-01",
        ],
    )
    assert r.exit_code == 0 and "in force" in r.output, r.output
    r = runner.invoke(app, ["sharing", "retention", "--category", "staff_lookups", "--days", "120"])
    assert r.exit_code == 0 and "120 days" in r.output
    r = runner.invoke(app, ["sharing", "figures", "--month", "2026-13"])
    assert r.exit_code == 2 and "YYYY-MM" in r.output
