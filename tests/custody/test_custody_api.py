from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from mainport import flows
from mainport.custody import release
from mainport.identity.models import OrgKind, Role
from tests.shipments.factories import carried_by

BOX = "MSCU1234565"

ROUTES = [
    ("post", "/api/v1/custody/plans", {"container_number": BOX, "facility_code": "ECTDE"}),
    ("get", f"/api/v1/custody/containers/{BOX}", None),
    ("get", "/api/v1/custody/plans/{plan}", None),
    ("post", "/api/v1/custody/plans/{plan}/steps", {"step": "released"}),
    ("post", "/api/v1/custody/plans/{plan}/sync", None),
    ("get", "/api/v1/custody/plans/{plan}/verify", None),
    ("get", "/api/v1/custody/board/ECTDE", None),
    ("post", f"/api/v1/custody/seals/{BOX}/check", None),
    ("post", "/api/v1/custody/telemetry", {"readings": []}),
    (
        "post",
        "/api/v1/release/rights",
        {"container_number": BOX, "facility_code": "ECTDE", "release_party": "F"},
    ),
    ("post", "/api/v1/release/rights/{right}/nominate", {"nominee": "HAUL-1"}),
    ("post", "/api/v1/release/rights/{right}/revoke", {"reason": "x"}),
    (
        "post",
        "/api/v1/gate/check",
        {"container_number": BOX, "carrier_id": "H", "driver_id": "D", "token": "x"},
    ),
]


@pytest.fixture
def world(session: Session, principal_factory):  # type: ignore[no-untyped-def]
    carried_by(session, BOX, "MSCU")  # the line may issue rights for the boxes it carries only
    p = {
        "customs": principal_factory(role=Role.officer),
        "line": principal_factory(
            role=Role.officer, kind=OrgKind.shipping_line, org_code="MSCU", carrier_code="MSCU"
        ),
        "forwarder": principal_factory(role=Role.officer, kind=OrgKind.forwarder, org_code="FWD-1"),
        "haulier": principal_factory(role=Role.officer, kind=OrgKind.haulier, org_code="HAUL-1"),
        "gate": principal_factory(role=Role.officer, kind=OrgKind.terminal, facility_code="ECTDE"),
        "other_gate": principal_factory(role=Role.officer, kind=OrgKind.terminal, facility_code="APMII"),
    }
    right = release.issue_right(
        session=session, actor=p["line"], container_number=BOX, facility_code="ECTDE", release_party="FWD-1"
    )
    release.nominate(session=session, actor=p["forwarder"], right_id=right.id, nominee="HAUL-1")
    _r, token = release.nominate(session=session, actor=p["haulier"], right_id=right.id, nominee="DRV-42")
    session.commit()
    return p, right, token


def _call(client: TestClient, method: str, path: str, body, headers=None):  # type: ignore[no-untyped-def]
    return getattr(client, method)(
        path, headers=headers or {}, **({"json": body} if body is not None else {})
    )


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_routes_refuse_anonymous_and_other_terminal(
    session: Session, app_client: TestClient, world, token_for, method, path, body
) -> None:
    p, right, _token = world
    _alert, plan = flows.select_for_control(
        session=session,
        actor=p["customs"],
        container_number=BOX,
        facility_code="ECTDE",
        source="manual",
        reason="tip",
    )
    session.commit()
    path = path.format(plan=plan.id, right=right.id)
    assert _call(app_client, method, path, body).status_code == 401
    # Any terminal may ask the gate (and gets a recorded "no"); a haulier may not ask at all.
    outsider = p["haulier"] if path.endswith("/gate/check") else p["other_gate"]
    r = _call(app_client, method, path, body, token_for(outsider))
    assert r.status_code == 403, r.text


def test_terminal_sees_own_custody_without_intelligence(
    session: Session, app_client: TestClient, world, token_for
) -> None:
    p, _right, _token = world
    _alert, plan = flows.select_for_control(
        session=session,
        actor=p["customs"],
        container_number=BOX,
        facility_code="ECTDE",
        source="targeting",
        reason="cocaine risk 0.93",
    )
    session.commit()
    gate = token_for(p["gate"])
    r = app_client.get(f"/api/v1/custody/containers/{BOX}", headers=gate)
    assert r.status_code == 200 and r.json()[0]["state"] == "planned"
    assert "reason" not in r.json()[0] and "cocaine" not in r.text
    assert app_client.get(f"/api/v1/release/containers/{BOX}", headers=gate).json()[0]["status"] == "active"
    assert app_client.get("/api/v1/alerts", headers=gate).status_code == 403
    customs = app_client.get(f"/api/v1/custody/containers/{BOX}", headers=token_for(p["customs"])).json()
    assert customs[0]["reason"] == "cocaine risk 0.93"
    # The terminal records a physical step; it cannot take a customs decision.
    r = app_client.post(
        f"/api/v1/custody/plans/{plan.id}/steps",
        headers=gate,
        json={"step": "discharged", "location": "QUAY-1", "seals": ["ML-1"]},
    )
    assert r.status_code == 201 and r.json()["state"] == "discharged"
    assert (
        app_client.post(
            f"/api/v1/custody/plans/{plan.id}/steps", headers=gate, json={"step": "released"}
        ).status_code
        == 403
    )
    assert app_client.get(f"/api/v1/custody/plans/{plan.id}/verify", headers=gate).json()["ok"] is True
    board = app_client.get("/api/v1/custody/board/ECTDE", headers=gate).json()
    assert board[0]["container_number"] == BOX and board[0]["open_alerts"] is None
    # The other terminal sees neither custody nor release state of this container.
    other = token_for(p["other_gate"])
    assert app_client.get(f"/api/v1/custody/containers/{BOX}", headers=other).status_code == 403
    assert app_client.get(f"/api/v1/release/containers/{BOX}", headers=other).json() == []
    page = app_client.get("/custody/board/ECTDE", headers=gate)
    assert page.status_code == 200 and BOX in page.text
    assert app_client.get("/custody/board/ECTDE", headers=other).status_code == 403


def test_gate_check_over_http(session: Session, app_client: TestClient, world, token_for) -> None:
    p, _right, token = world
    gate = token_for(p["gate"])
    body = {"container_number": BOX, "carrier_id": "HAUL-1", "driver_id": "DRV-42", "token": token}
    r = app_client.post("/api/v1/gate/check", headers=gate, json=body)
    assert r.status_code == 200 and r.json()["allowed"] is True and r.json()["decision_id"] > 0
    r = app_client.post("/api/v1/gate/check", headers=gate, json=body)
    assert r.json() == {"allowed": False, "reason": "already_used", "decision_id": r.json()["decision_id"]}
    haulier = token_for(p["haulier"])
    assert app_client.post("/api/v1/gate/check", headers=haulier, json=body).status_code == 403


def test_board_index_for_government_only(session: Session, app_client: TestClient, world, token_for) -> None:
    p, _right, _token = world
    flows.select_for_control(
        session=session,
        actor=p["customs"],
        container_number=BOX,
        facility_code="ECTDE",
        source="manual",
        reason="x",
    )
    session.commit()
    page = app_client.get("/custody/board", headers=token_for(p["customs"]))
    assert page.status_code == 200 and "/custody/board/ECTDE" in page.text
    own = app_client.get("/custody/board", headers=token_for(p["gate"]), follow_redirects=False)
    assert own.status_code == 303 and own.headers["location"] == "/custody/board/ECTDE"
    assert app_client.get("/custody/board", headers=token_for(p["haulier"])).status_code == 403


def test_gate_takes_bearer_tokens_only(app_client: TestClient, world) -> None:
    _p, _right, token = world
    body = {"container_number": BOX, "carrier_id": "HAUL-1", "driver_id": "DRV-42", "token": token}
    assert app_client.post("/api/v1/gate/check", json=body).status_code == 401
    bad = app_client.post("/api/v1/gate/check", json=body, headers={"Authorization": "Bearer mpt_nope"})
    assert bad.status_code == 401
    app_client.cookies.set("mainport_session", "forged")
    assert app_client.post("/api/v1/gate/check", json=body).status_code == 401
