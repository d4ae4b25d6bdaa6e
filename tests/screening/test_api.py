"""Screening API: authenticated, authorised in the services, errors in the error shape (never 500)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from mainport.identity.principal import Principal
from tests.screening.helpers import actors, planner


def test_routes_need_a_user_and_the_right_role(
    app_client: TestClient, session: Session, principal_factory: Any, token_for: Callable[[Principal], Any]
) -> None:
    who = actors(principal_factory)
    p = planner(session, who["pso"])
    session.commit()
    assert app_client.get("/api/v1/screening/people").status_code == 401
    assert app_client.get("/api/v1/insider/ranking").status_code == 401
    r = app_client.get("/api/v1/screening/people", headers=token_for(who["customs"]))
    assert r.status_code == 403 and "screening:read" in r.text
    r = app_client.get("/api/v1/screening/people", headers=token_for(who["pso"]))
    assert r.status_code == 200 and [i["alias"] for i in r.json()["items"]] == [p.alias]
    assert "Jansen" not in r.text
    # Another terminal does not see this person: not found, not forbidden (need-to-know).
    r = app_client.get(f"/api/v1/screening/people/{p.alias}", headers=token_for(who["other_pso"]))
    assert r.status_code == 404
    r = app_client.get(f"/api/v1/screening/people/{p.alias}", headers=token_for(who["police"]))
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_ban_through_the_api_and_bad_input_is_4xx(
    app_client: TestClient, session: Session, principal_factory: Any, token_for: Callable[[Principal], Any]
) -> None:
    who = actors(principal_factory)
    p = planner(session, who["pso"])
    session.commit()
    police = token_for(who["police"])
    r = app_client.post(
        f"/api/v1/screening/people/{p.alias}/bans", json={"reason": "court order"}, headers=police
    )
    assert r.status_code == 200, r.text
    assert (
        app_client.get(f"/api/v1/screening/people/{p.alias}", headers=police).json()["status"] == "port_ban"
    )
    bad = app_client.post(
        f"/api/v1/screening/people/{p.alias}/bans",
        json={"reason": "x", "starts_at": "2026-01-01T00:00:00"},  # no zone
        headers=police,
    )
    assert bad.status_code == 422
    r = app_client.post(
        f"/api/v1/screening/people/{p.alias}/certificates",
        json={
            "kind": "vog2",
            "issuer": "Justis",
            "issued_at": "2026-01-01T00:00:00Z",
            "valid_until": "2027-01-01T00:00:00Z",
        },
        headers=token_for(who["pso"]),
    )
    assert r.status_code == 422 and "kind" in r.json()["error"]["message"]
    r = app_client.post(
        f"/api/v1/screening/people/{p.alias}/bans",
        json={"reason": "own staff"},
        headers=token_for(who["pso"]),
    )
    assert r.status_code == 403


def test_reveal_needs_four_eyes(
    app_client: TestClient, session: Session, principal_factory: Any, token_for: Callable[[Principal], Any]
) -> None:
    who = actors(principal_factory)
    p = planner(session, who["pso"])
    session.commit()
    asker, approver = token_for(who["police"]), token_for(who["police_admin"])
    r = app_client.post(f"/api/v1/screening/people/{p.alias}/reveal", json={"reason": "short"}, headers=asker)
    assert r.status_code == 422
    r = app_client.post(
        f"/api/v1/screening/people/{p.alias}/reveal",
        json={"reason": "investigation 2026-RTM-114: seized box ECTDE"},
        headers=asker,
    )
    rid = r.json()["id"]
    assert app_client.get(f"/api/v1/screening/reveals/{rid}/name", headers=asker).status_code == 403
    # The terminal's security officer may not ask; the requester may not approve their own request.
    r = app_client.post(
        f"/api/v1/screening/people/{p.alias}/reveal", json={"reason": "x" * 20}, headers=token_for(who["pso"])
    )
    assert r.status_code == 403
    own = app_client.post(f"/api/v1/screening/reveals/{rid}/decision", json={"approve": True}, headers=asker)
    assert own.status_code == 403
    ok = app_client.post(
        f"/api/v1/screening/reveals/{rid}/decision", json={"approve": True}, headers=approver
    )
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    assert app_client.get(f"/api/v1/screening/reveals/{rid}/name", headers=approver).status_code == 403
    r = app_client.get(f"/api/v1/screening/reveals/{rid}/name", headers=asker)
    assert r.status_code == 200 and r.json() == {"alias": p.alias, "full_name": "Jan Jansen"}
