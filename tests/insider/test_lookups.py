"""Staff look-ups: stored via ingest, read only by government analysts and admins, every read audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from mainport.audit.models import AuditEntry
from mainport.errors import PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal, system_principal
from mainport.ingest import service as ingest
from mainport.ingest.readers import records_from_objects
from mainport.insider import cli, service
from tests.ingest.test_feeds import lookup


def _load(session: Session, *records: dict[str, Any]) -> None:
    recon = ingest.ingest_feed(
        session=session,
        actor=system_principal(),
        kind="access",
        records=records_from_objects(list(records)),
        source="t",
    )
    assert recon.stored == len(records)


def _sample(session: Session) -> None:
    _load(
        session,
        lookup(1, user="ectde.000"),
        lookup(2, user="ectde.001", kind="release_code"),
        lookup(3, user="ectde.001", container_number=lookup(1)["container_number"]),
        lookup(
            4, hub="schiphol", unlocode="NLAMS", kind="baggage_lookup", container_number="", object="KL712"
        ),
    )


@pytest.mark.parametrize(
    ("role", "kind"),
    [
        (Role.officer, OrgKind.terminal),
        (Role.admin, OrgKind.terminal),
        (Role.officer, OrgKind.customs),
        (Role.viewer, OrgKind.police),
        (Role.analyst, OrgKind.shipping_line),
    ],
)
def test_lookups_refused_without_insider_read(
    session: Session, principal_factory: Any, role: Role, kind: OrgKind
) -> None:
    _sample(session)
    actor: Principal = principal_factory(role=role, kind=kind)
    with pytest.raises(PermissionDenied, match="insider:read"):
        service.list_lookups(session=session, actor=actor)


def test_record_lookups_needs_insider_write(session: Session, principal_factory: Any) -> None:
    with pytest.raises(PermissionDenied, match="insider:write"):
        service.record_lookups(
            session=session,
            actor=principal_factory(role=Role.officer, kind=OrgKind.terminal),
            rows=[],
            source="x",
        )


@pytest.mark.parametrize("kind", [OrgKind.customs, OrgKind.police])
def test_analyst_reads_filtered_lookups_and_the_read_is_audited(
    session: Session, principal_factory: Any, kind: OrgKind
) -> None:
    _sample(session)
    analyst = principal_factory(role=Role.analyst, kind=kind)
    items, total = service.list_lookups(session=session, actor=analyst, user="ectde.001")
    assert total == 2 and [i.kind for i in items] == ["position", "release_code"]  # newest first
    items, total = service.list_lookups(
        session=session, actor=analyst, container=lookup(1)["container_number"]
    )
    assert total == 2 and {i.username for i in items} == {"ectde.000", "ectde.001"}
    items, total = service.list_lookups(session=session, actor=analyst, hub="schiphol")
    assert total == 1 and items[0].object == "KL712" and items[0].container_number is None
    items, total = service.list_lookups(session=session, actor=analyst, limit=1)
    assert total == 4 and len(items) == 1
    reads = list(
        session.scalars(
            select(AuditEntry).where(AuditEntry.action == "insider.lookups.read").order_by(AuditEntry.seq)
        )
    )
    assert len(reads) == 4 and reads[0].actor == analyst.username
    assert reads[0].detail["user"] == "ectde.001" and reads[0].detail["total"] == 2


def test_naive_times_and_bad_limits_are_refused(session: Session, principal_factory: Any) -> None:
    from datetime import datetime

    analyst = principal_factory(role=Role.analyst, kind=OrgKind.customs)
    with pytest.raises(ValidationFailed, match="time zone"):
        service.list_lookups(session=session, actor=analyst, since=datetime(2024, 3, 4))
    with pytest.raises(ValidationFailed):
        service.list_lookups(session=session, actor=analyst, limit=0)


def test_api_401_403_and_200(
    app_client: TestClient,
    session: Session,
    principal_factory: Any,
    token_for: Callable[[Principal], dict[str, str]],
) -> None:
    _sample(session)
    session.commit()
    assert app_client.get("/api/v1/insider/lookups").status_code == 401
    terminal = principal_factory(role=Role.officer, kind=OrgKind.terminal)
    r = app_client.get("/api/v1/insider/lookups", headers=token_for(terminal))
    assert r.status_code == 403
    analyst = principal_factory(role=Role.analyst, kind=OrgKind.customs)
    r = app_client.get(
        "/api/v1/insider/lookups",
        params={"user": "ectde.001", "since": "2024-03-04T00:00:00Z", "limit": 10},
        headers=token_for(analyst),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 2 and body["limit"] == 10
    assert {i["kind"] for i in body["items"]} == {"position", "release_code"}
    assert body["items"][0]["org_code"] == "ECTDE" and body["items"][0]["hub"] == "rotterdam"
    r = app_client.get(
        "/api/v1/insider/lookups", params={"since": "2024-03-04T00:00:00"}, headers=token_for(analyst)
    )
    assert r.status_code == 422 or r.status_code == 400


def test_cli_prints_a_table(session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    with session_factory() as s:
        _sample(s)
        s.commit()
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    result = CliRunner().invoke(cli.app, ["lookups", "--user", "ectde.001", "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert "2 of 2 look-ups" in result.stdout and "release_code" in result.stdout
    assert "ectde.000" not in result.stdout
    result = CliRunner().invoke(cli.app, ["lookups", "--container", lookup(1)["container_number"]])
    assert result.exit_code == 0 and "2 of 2 look-ups" in result.stdout


def test_cli_refuses_a_user_without_insider_read(
    session_factory: sessionmaker[Session],
    session: Session,
    principal_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    officer = principal_factory(role=Role.officer, kind=OrgKind.terminal)
    session.commit()
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    result = CliRunner().invoke(cli.app, ["lookups", "--as-user", officer.username])
    assert result.exit_code == 1 and "may not insider:read" in " ".join(result.output.split())
