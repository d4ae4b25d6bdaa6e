"""The gate's bearer-token cache: a revoked token stops working at the gate within PRINCIPAL_TTL_S."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.custody import gate
from mainport.database import utcnow
from mainport.identity.models import ApiToken, OrgKind, Role
from tests.conftest import PrincipalFactory

BODY = {"container_number": "MSCU1234565", "carrier_id": "HAUL-1", "driver_id": "DRV-1", "token": "mpr1.x"}


def test_revoked_bearer_token_is_refused_once_the_cache_entry_is_older_than_the_ttl(
    session: Session,
    app_client: TestClient,
    principal_factory: PrincipalFactory,
    token_for: Callable[..., dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = principal_factory(role=Role.officer, kind=OrgKind.terminal, facility_code="ECTDE")
    headers = token_for(terminal)
    first = app_client.post("/api/v1/gate/check", json=BODY, headers=headers)
    assert first.status_code == 200 and first.json()["reason"] == "malformed_token"
    for token in session.scalars(select(ApiToken).where(ApiToken.user_id == terminal.user_id)):
        token.revoked_at = utcnow()
    session.commit()
    # Within the TTL the gate still knows the lane (documented: revocation takes effect within 30 s) ...
    assert app_client.post("/api/v1/gate/check", json=BODY, headers=headers).status_code == 200
    # ... and once the entry is older than the TTL the token is looked up again and refused.
    monkeypatch.setattr(gate, "PRINCIPAL_TTL_S", 0.0)
    assert app_client.post("/api/v1/gate/check", json=BODY, headers=headers).status_code == 401


def test_failed_lookups_are_not_cached_and_clearing_forgets(
    app_client: TestClient, principal_factory: PrincipalFactory, token_for: Callable[..., dict[str, str]]
) -> None:
    terminal = principal_factory(role=Role.officer, kind=OrgKind.terminal, facility_code="ECTDE")
    headers = token_for(terminal)
    wrong = {"Authorization": headers["Authorization"] + "x"}
    assert app_client.post("/api/v1/gate/check", json=BODY, headers=wrong).status_code == 401
    assert app_client.post("/api/v1/gate/check", json=BODY, headers=headers).status_code == 200
    assert app_client.post("/api/v1/gate/check", json=BODY, headers=wrong).status_code == 401
    gate.clear_principal_cache()
    assert gate._principals == {}
    assert app_client.post("/api/v1/gate/check", json=BODY, headers=headers).status_code == 200
