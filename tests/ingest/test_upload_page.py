"""The upload page's service and rights: the run keeps the reconciliation; a user who may not write the
kind is refused before anything is stored; an unknown kind is one line; another user cannot read the run."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mainport.identity.models import OrgKind, Role
from mainport.shipments.models import ContainerEvent
from tests.conftest import PrincipalFactory
from tests.ingest.helpers import event
from tests.web.test_navigation import login

HTML = {"accept": "text/html"}


def _csrf(client: TestClient) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get("/account").text).group(1)  # type: ignore[union-attr]


def test_upload_reconciles_and_refuses_the_wrong_users(
    app_client: TestClient, session: Session, principal_factory: PrincipalFactory
) -> None:
    principal_factory(Role.analyst, OrgKind.customs, username="up_analyst")
    principal_factory(Role.viewer, OrgKind.police, username="up_viewer")
    principal_factory(Role.analyst, OrgKind.terminal, username="up_terminal", facility_code="ECTDE")
    session.commit()
    bad = event(3)
    del bad["eventDateTime"]
    body = "\n".join(json.dumps(e) for e in (event(1), event(2), bad)).encode()
    login(app_client, "up_analyst")
    csrf = _csrf(app_client)
    r = app_client.post(
        "/ingest/upload",
        data={"kind": "events", "csrf_token": csrf},
        files={"file": ("../../etc/events.jsonl", body)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    run_url = r.headers["location"]
    page = app_client.get(run_url).text
    assert re.search(r'data-testid="received">3<', page) and re.search(r'data-testid="quarantined">1<', page)
    assert "api:up_analyst:events.jsonl" in page  # the client's path is not used
    assert session.scalar(select(func.count()).select_from(ContainerEvent)) == 2
    form = {"kind": "nonsense", "csrf_token": csrf}
    unknown = app_client.post("/ingest/upload", data=form, files={"file": ("x.jsonl", b"{}")}, headers=HTML)
    assert unknown.status_code == 422 and "unknown ingest kind &#39;nonsense&#39;" in unknown.text
    app_client.cookies.clear()
    login(app_client, "up_viewer")
    csrf = _csrf(app_client)
    form = {"kind": "events", "csrf_token": csrf}
    refused = app_client.post("/ingest/upload", data=form, files={"file": ("e.jsonl", body)}, headers=HTML)
    assert refused.status_code == 403
    app_client.cookies.clear()
    login(app_client, "up_terminal")  # a private party: another user's run is not there for it
    assert app_client.get(run_url, headers=HTML).status_code == 404
    assert session.scalar(select(func.count()).select_from(ContainerEvent)) == 2
