"""Quarantine through the CLI, the API (who may call each ingest/quarantine route) and the page."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal, system_principal
from mainport.ingest import event_store, quarantine_cli
from mainport.ingest.models import QuarantinedRecord
from mainport.ingest.readers import records_from_objects
from mainport.shipments.models import ContainerEvent
from tests.conftest import PASSWORD
from tests.ingest.helpers import event

Headers = Callable[[Principal], dict[str, str]]


def _quarantine(session: Session, *events: dict[str, object]) -> list[int]:
    recon = event_store.ingest_events(
        session=session, actor=system_principal(), records=records_from_objects(list(events)), source="t"
    )
    ids = [p.quarantine_id for p in recon.problems]
    assert len(ids) == len(events) and all(ids)
    return [i for i in ids if i is not None]


def test_quarantine_cli_list_show_retry_discard(
    session: Session,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken, other = event(300, eventDateTime="2024-03-01T10:00:00"), event(301, emptyIndicatorCode="FULL")
    first, second = _quarantine(session, broken, other)
    session.commit()
    monkeypatch.setattr(quarantine_cli, "session_factory", lambda: session_factory)
    cli = CliRunner()

    listed = cli.invoke(quarantine_cli.app, ["list", "--limit", "500"])
    assert listed.exit_code == 0, listed.output
    assert "open quarantined" in listed.stdout and "no time zone" in listed.stdout

    shown = cli.invoke(quarantine_cli.app, ["show", str(first)])
    assert shown.exit_code == 0, shown.output
    detail = json.loads(shown.stdout)
    assert detail["status"] == "open" and json.loads(detail["raw"])["eventID"] == "ev-300"

    unchanged = cli.invoke(quarantine_cli.app, ["retry", str(first)])  # still broken: stays open
    assert json.loads(unchanged.stdout)["quarantined"] == 1
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps(event(300)), encoding="utf-8")
    retried = cli.invoke(quarantine_cli.app, ["retry", str(first), "--fixed", str(fixed)])
    assert retried.exit_code == 0, retried.output
    assert json.loads(retried.stdout)["stored"] == 1

    discarded = cli.invoke(quarantine_cli.app, ["discard", str(second), "--note", "test data"])
    assert discarded.exit_code == 0 and f"discarded {second}" in discarded.stdout
    with session_factory() as s:
        states = {q.id: (q.status, q.retries) for q in s.scalars(select(QuarantinedRecord))}
        assert states[first] == ("replayed", 2) and states[second][0] == "discarded"
        assert s.scalars(select(ContainerEvent).where(ContainerEvent.event_id == "ev-300")).one()
    assert cli.invoke(quarantine_cli.app, ["retry"]).exit_code != 0  # neither an ID nor --all


def test_every_ingest_and_quarantine_route_checks_who_calls(
    session: Session, app_client: TestClient, principal_factory: Callable[..., Principal], token_for: Headers
) -> None:
    (qid,) = _quarantine(session, event(310, emptyIndicatorCode="FULL"))
    session.commit()
    viewer = token_for(principal_factory(role=Role.viewer, kind=OrgKind.terminal))
    officer = token_for(principal_factory(role=Role.officer, kind=OrgKind.customs))
    analyst = token_for(principal_factory(role=Role.analyst, kind=OrgKind.customs))
    writes = [("/api/v1/declarations", {"declarations": []}), ("/api/v1/events", {"events": [event(311)]})]
    for path, body in writes:
        assert app_client.post(path, json=body).status_code == 401, path
        assert app_client.post(path, json=body, headers=viewer).status_code == 403, path
        r = app_client.post(path, json=body, headers=officer)
        assert r.status_code == 200 and r.json()["balanced"], path
    reads = [("get", "/api/v1/quarantine"), ("get", f"/api/v1/quarantine/{qid}")]
    for method, path in [*reads, ("post", f"/api/v1/quarantine/{qid}/retry")]:
        assert app_client.request(method, path).status_code == 401, path
        assert app_client.request(method, path, headers=viewer).status_code == 403, path
        # quarantine:read|write belong to analysts and admins: a customs officer is refused too.
        assert app_client.request(method, path, headers=officer).status_code == 403, path
    assert app_client.get(reads[0][1], headers=analyst).json()["total"] >= 1
    assert app_client.get(reads[1][1], headers=analyst).json()["reason"].startswith("DCSA 2.2.0 schema")
    retried = app_client.post(f"/api/v1/quarantine/{qid}/retry", json={}, headers=analyst)
    assert retried.status_code == 200 and retried.json()["quarantined"] == 1
    fixed = app_client.post(
        f"/api/v1/quarantine/{qid}/retry", json={"fixed_raw": json.dumps(event(310))}, headers=analyst
    )
    assert fixed.status_code == 200 and fixed.json()["stored"] == 1


def test_events_endpoint_refuses_bad_bodies(
    app_client: TestClient, principal_factory: Callable[..., Principal], token_for: Headers
) -> None:
    officer = token_for(principal_factory(role=Role.officer, kind=OrgKind.customs))
    bad = app_client.post("/api/v1/events", content=b"[{", headers=officer)
    assert bad.status_code == 422 and "not valid JSON" in bad.json()["error"]["message"]
    wrong = app_client.post("/api/v1/events", json={"items": []}, headers=officer)
    assert wrong.status_code == 422 and "'events' array" in wrong.json()["error"]["message"]
    big = app_client.post("/api/v1/events", json=[{}] * 10_001, headers=officer)
    assert big.status_code == 422 and "at most 10000" in big.json()["error"]["message"]


def _log_in(client: TestClient, username: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


def test_quarantine_page_list_detail_retry_discard(
    session: Session, app_client: TestClient, principal_factory: Callable[..., Principal], token_for: Headers
) -> None:
    script = event(320, emptyIndicatorCode="<script>alert(1)</script>")
    fixable, junk = _quarantine(session, script, event(321, eventDateTime="2024-03-01T10:00:00"))
    session.commit()
    terminal = principal_factory(role=Role.viewer, kind=OrgKind.terminal)
    for path in ("/quarantine", f"/quarantine/{fixable}"):
        assert app_client.get(path, headers=token_for(terminal)).status_code == 403
        anon = app_client.get(path, headers={"accept": "text/html"}, follow_redirects=False)
        assert anon.status_code == 303 and anon.headers["location"].startswith("/login")

    principal_factory(role=Role.analyst, kind=OrgKind.customs, username="qa_analyst")
    _log_in(app_client, "qa_analyst")
    listing = app_client.get("/quarantine")
    assert listing.status_code == 200 and 'data-testid="quarantine"' in listing.text
    assert f'data-quarantine-id="{fixable}"' in listing.text and "no time zone" in listing.text
    detail = app_client.get(f"/quarantine/{fixable}")
    assert detail.status_code == 200
    assert "<script>alert(1)" not in detail.text and "&lt;script&gt;alert(1)" in detail.text  # escaped
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', detail.text)
    assert csrf
    token = csrf.group(1)

    forged = app_client.post(f"/quarantine/{fixable}/retry", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    still = app_client.post(
        f"/quarantine/{fixable}/retry", data={"csrf_token": token}, follow_redirects=False
    )
    assert still.status_code == 303 and still.headers["location"].endswith("?retried=failed")
    corrected = {"csrf_token": token, "fixed_raw": json.dumps(event(320))}
    done = app_client.post(f"/quarantine/{fixable}/retry", data=corrected, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/quarantine"
    gone = app_client.post(
        f"/quarantine/{junk}/discard", data={"csrf_token": token, "note": "junk"}, follow_redirects=False
    )
    assert gone.status_code == 303
    after = app_client.get("/quarantine")
    assert f'data-quarantine-id="{fixable}"' not in after.text
    assert f'data-quarantine-id="{junk}"' not in after.text
    session.expire_all()
    assert session.get(QuarantinedRecord, fixable).status == "replayed"  # type: ignore[union-attr]
    assert session.get(QuarantinedRecord, junk).status == "discarded"  # type: ignore[union-attr]
