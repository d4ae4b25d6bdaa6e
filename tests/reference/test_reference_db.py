from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mainport.audit.models import AuditEntry
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal
from mainport.reference.locations import LOCATIONS, SITES
from mainport.reference.models import HubNode, LocationRecord
from mainport.reference.nodes import CROSS_CUTTING_BUDGET_EUR_M, NODES, TOTAL_BUDGET_EUR_M
from mainport.reference.service import list_locations, list_nodes, seed_reference


def test_seed_is_idempotent(session: Session, principal_factory: Callable[..., Principal]) -> None:
    first = seed_reference(session=session)
    assert first == len(NODES) + len(LOCATIONS) + len(SITES)
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    assert seed_reference(session=session) == 0
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits
    assert session.scalar(select(func.count()).select_from(HubNode)) == len(NODES)

    # A changed value is repaired by the next seed.
    rtm = session.scalars(select(LocationRecord).where(LocationRecord.unlocode == "NLRTM")).one()
    rtm.name = "Rotterdam (typo)"
    session.flush()
    assert seed_reference(session=session) == 1
    assert rtm.name == "Rotterdam"

    actor = principal_factory(role=Role.viewer, kind=OrgKind.terminal)
    nodes = list_nodes(session=session, actor=actor)
    assert nodes[0].code == "rotterdam"
    hubs = list_locations(session=session, actor=actor, node_code="zeeland_west_brabant")
    assert {h.unlocode for h in hubs} == {"NLVLI", "NLTNZ", "NLMOE"}
    schiphol = list_locations(session=session, actor=actor, node_code="schiphol")
    assert [(s.unlocode, s.kind) for s in schiphol] == [("SCHIPHOL", "airport")]


ROUTES = [
    "/api/v1/reference/nodes",
    "/api/v1/reference/locations",
    "/api/v1/reference/containers/CSQU3054383/validate",
]


@pytest.mark.parametrize("path", ROUTES)
def test_routes_refuse_anonymous(app_client: TestClient, path: str) -> None:
    assert app_client.get(path).status_code == 401
    assert app_client.get(path, headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_routes_answer_any_authenticated_user(
    app_client: TestClient,
    session: Session,
    principal_factory: Callable[..., Principal],
    token_for: Callable[[Principal], dict[str, str]],
) -> None:
    seed_reference(session=session)
    # A viewer at a terminal (not government) may still read public reference data.
    headers = token_for(principal_factory(role=Role.viewer, kind=OrgKind.terminal))

    nodes = app_client.get("/api/v1/reference/nodes", headers=headers)
    assert nodes.status_code == 200
    assert {n["code"] for n in nodes.json()} == set(NODES)
    hub_budgets = sum(n["budget_eur_m"] for n in nodes.json())
    assert hub_budgets == pytest.approx(TOTAL_BUDGET_EUR_M - CROSS_CUTTING_BUDGET_EUR_M)

    locs = app_client.get("/api/v1/reference/locations", params={"role": "neighbour"}, headers=headers)
    assert locs.status_code == 200
    assert "BEANR" in {loc["unlocode"] for loc in locs.json()}
    assert all(loc["role"] == "neighbour" for loc in locs.json())

    ok = app_client.get("/api/v1/reference/containers/csqu3054383/validate", headers=headers).json()
    assert ok == {
        "number": "CSQU3054383",
        "valid": True,
        "owner_code": "CSQ",
        "category": "U",
        "serial": "305438",
        "check_digit": 3,
        "error": None,
    }
    bad = app_client.get("/api/v1/reference/containers/CSQU3054385/validate", headers=headers).json()
    assert bad["valid"] is False and bad["error"] == "check digit is 5, expected 3"
