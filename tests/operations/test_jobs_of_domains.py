"""The domains' recurring jobs do their work, are idempotent, and are reachable by API, page and CLI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from mainport.audit.models import AuditEntry
from mainport.cases.models import Alert
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal, system_principal
from mainport.insider.models import StaffLookup
from mainport.recurring import JobContext, discover
from mainport.shipments.models import ContainerEvent
from tests.conftest import PrincipalFactory
from tests.shipments.factories import journey

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _ctx(session: Session, since: datetime | None = None) -> JobContext:
    return JobContext(session=session, actor=system_principal(), now=NOW, since=since)


def test_seal_checks_alert_on_a_changed_seal_once(session: Session) -> None:
    decl = journey(session, number="CSQU3054383")
    event = session.scalars(
        select(ContainerEvent).where(
            ContainerEvent.type_code == "DISC", ContainerEvent.equipment_reference == decl.container_number
        )
    ).one()
    event.seals = ["XX-9999999"]  # seal replaced between loading and discharge: rip-on sign
    session.flush()
    job = discover()["custody-seal-checks"]
    first = job.run(_ctx(session))
    assert first == {"containers": 1, "alerts": 1}
    job.run(_ctx(session))  # re-run: the same finding is the same alert
    alerts = session.scalars(select(Alert).where(Alert.source == "seal")).all()
    assert len(alerts) == 1 and alerts[0].container_number == "CSQU3054383"
    # Incremental: events received before the last run (and its overlap) are not looked at again.
    assert job.run(_ctx(session, since=NOW + timedelta(days=1)))["containers"] == 0


def test_insider_retention_purges_old_lookups_and_audits_what(session: Session) -> None:
    for i, age in enumerate((400, 366, 10)):
        session.add(
            StaffLookup(
                key=f"k{i}",
                at=NOW - timedelta(days=age),
                username="u",
                org_code="TERM",
                hub="rotterdam",
                kind="position",
                source="test",
            )
        )
    session.flush()
    job = discover()["insider-retention"]
    assert job.run(_ctx(session)) == {"purged": 2, "kept_days": 365}
    assert job.run(_ctx(session)) == {"purged": 0, "kept_days": 365}
    assert session.scalar(select(func.count()).select_from(StaffLookup)) == 1
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "insider.lookups.purge").order_by(AuditEntry.seq)
    ).first()
    assert entry is not None and entry.detail["purged"] == 2


def test_audit_verify_and_retrain_jobs(session: Session) -> None:
    jobs = discover()
    assert jobs["audit-verify"].run(_ctx(session))["entries"] >= 0
    result = jobs["targeting-retrain"].run(_ctx(session))
    assert result["trained"] == 0 and "too few inspection outcomes" in result["skipped"]


ROUTES = [
    ("get", "/api/v1/operations/jobs"),
    ("get", "/api/v1/operations/runs"),
    ("post", "/api/v1/operations/jobs/audit-verify/run"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_api_refuses_anonymous_and_non_admins(
    app_client: TestClient,
    principal_factory: PrincipalFactory,
    token_for: Callable[[Principal], dict[str, str]],
    method: str,
    path: str,
) -> None:
    assert app_client.request(method, path).status_code == 401
    for who in (
        principal_factory(role=Role.analyst),
        principal_factory(role=Role.admin, kind=OrgKind.terminal),
    ):
        assert app_client.request(method, path, headers=token_for(who)).status_code == 403


def test_api_and_page_for_an_admin(
    app_client: TestClient,
    principal_factory: PrincipalFactory,
    token_for: Callable[[Principal], dict[str, str]],
) -> None:
    admin = token_for(principal_factory(role=Role.admin))
    r = app_client.post("/api/v1/operations/jobs/audit-verify/run", headers=admin)
    assert r.status_code == 202 and r.json()["status"] == "queued"
    r = app_client.get("/api/v1/operations/jobs", headers=admin)
    assert r.status_code == 200
    body = r.json()
    verify = next(j for j in body["jobs"] if j["name"] == "audit-verify")
    assert verify["queued"] and verify["schedule"] == "cron 15 1 * * * (UTC)"
    assert body["scheduler"]["alive"] is False
    assert app_client.post("/api/v1/operations/jobs/nope/run", headers=admin).status_code == 422
    page = app_client.get("/operations", headers=admin)
    assert page.status_code == 200 and "No scheduler is running" in page.text and "custody-dwell" in page.text


def test_cli_lists_and_runs_a_job(fresh_db: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from mainport.cli import app

    monkeypatch.setattr("mainport.operations.cli.get_session_factory", lambda: fresh_db.factory)  # type: ignore[attr-defined]
    runner = CliRunner()
    r = runner.invoke(app, ["jobs", "run", "audit-verify"])
    assert r.exit_code == 0 and "audit-verify (run 1): ok" in r.output
    r = runner.invoke(app, ["jobs", "list"])
    assert r.exit_code == 0 and "audit-verify" in r.output and "none running" in r.output
    r = runner.invoke(app, ["jobs", "run", "nope"])
    assert r.exit_code == 2 and "unknown job 'nope'" in r.output
