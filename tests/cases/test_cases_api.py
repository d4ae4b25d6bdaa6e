from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from mainport.cases import service as cases
from mainport.identity.models import OrgKind, Role

BOX = "MSCU1234565"

ROUTES = [
    ("get", "/api/v1/alerts", None),
    ("post", "/api/v1/alerts", {"kind": "manual.tip", "title": "tip", "container_number": BOX}),
    ("post", "/api/v1/alerts/1/triage", {}),
    ("post", "/api/v1/alerts/1/dismiss", {"reason": "x"}),
    ("get", "/api/v1/cases", None),
    ("post", "/api/v1/cases", {"alert_ids": [1], "title": "t"}),
    ("get", "/api/v1/cases/1", None),
    ("post", "/api/v1/cases/1/alerts", {"alert_id": 1}),
    ("post", "/api/v1/cases/1/assign", {"assignee": "x"}),
    ("post", "/api/v1/cases/1/outcome", {"result": "not_found"}),
    ("post", "/api/v1/cases/1/close", {}),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_routes_refuse_anonymous_and_non_government(
    app_client: TestClient, principal_factory, token_for, method, path, body
) -> None:
    assert (
        getattr(app_client, method)(path, **({"json": body} if body is not None else {})).status_code == 401
    )
    for kind in (OrgKind.terminal, OrgKind.haulier, OrgKind.shipping_line):
        outsider = principal_factory(role=Role.officer, kind=kind, facility_code="ECTDE")
        response = getattr(app_client, method)(
            path, headers=token_for(outsider), **({"json": body} if body is not None else {})
        )
        assert response.status_code == 403, (kind, response.text)


def test_viewer_reads_but_cannot_work_the_queue(
    session: Session, app_client: TestClient, principal_factory, token_for
) -> None:
    analyst = principal_factory()
    alert = cases.raise_alert(
        session=session,
        actor=analyst,
        source="targeting",
        kind="targeting.selected",
        container_number=BOX,
        title="risk",
    )
    session.commit()
    viewer = principal_factory(role=Role.viewer)
    assert app_client.get("/api/v1/alerts", headers=token_for(viewer)).status_code == 403
    police = principal_factory(role=Role.analyst, kind=OrgKind.police)
    r = app_client.get("/api/v1/alerts", headers=token_for(police))
    assert r.status_code == 200 and r.json()["items"][0]["id"] == alert.id


def test_api_workflow(session: Session, app_client: TestClient, principal_factory, token_for) -> None:
    analyst = principal_factory()
    h = token_for(analyst)
    r = app_client.post(
        "/api/v1/alerts",
        headers=h,
        json={
            "kind": "manual.tip",
            "title": "tip",
            "hub": "rotterdam",
            "container_number": BOX,
            "severity": 3,
        },
    )
    assert r.status_code == 201, r.text
    alert_id = r.json()["id"]
    again = app_client.post(
        "/api/v1/alerts", headers=h, json={"kind": "manual.tip", "title": "tip", "container_number": BOX}
    )
    assert again.json()["id"] == alert_id and again.json()["occurrences"] == 2
    q = app_client.get("/api/v1/alerts", headers=h, params={"container_number": BOX}).json()
    assert q["total"] == 1
    case = app_client.post("/api/v1/cases", headers=h, json={"alert_ids": [alert_id], "title": "tip"}).json()
    r = app_client.post(
        f"/api/v1/cases/{case['id']}/outcome",
        headers=h,
        json={"result": "found", "kg_seized": 55.5, "modus_operandi": "rip_on"},
    )
    assert r.status_code == 200 and r.json()["status"] == "decided"
    r = app_client.post(f"/api/v1/cases/{case['id']}/outcome", headers=h, json={"result": "not_found"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    r = app_client.post(f"/api/v1/cases/{case['id']}/close", headers=h, json={})
    assert r.json()["status"] == "closed" and r.json()["alerts"][0]["status"] == "closed"


def test_pages_terminal_forbidden_analyst_allowed(
    session: Session, app_client: TestClient, principal_factory, token_for
) -> None:
    analyst = principal_factory()
    alert = cases.raise_alert(
        session=session,
        actor=analyst,
        source="targeting",
        kind="targeting.selected",
        container_number=BOX,
        title="risk high",
    )
    case = cases.open_case(session=session, actor=analyst, alert_ids=[alert.id], title="c")
    session.commit()
    terminal = principal_factory(role=Role.officer, kind=OrgKind.terminal, facility_code="ECTDE")
    for path in ("/alerts?status=all", f"/cases/{case.id}"):
        assert app_client.get(path, headers=token_for(terminal)).status_code == 403
        anon = app_client.get(path, headers={"accept": "text/html"}, follow_redirects=False)
        assert anon.status_code == 303 and anon.headers["location"].startswith("/login")
        ok = app_client.get(path, headers=token_for(analyst))
        assert ok.status_code == 200 and "risk high" in ok.text
