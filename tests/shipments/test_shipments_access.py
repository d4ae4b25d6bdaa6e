from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from mainport.audit.models import AuditEntry
from mainport.errors import NotFound, PermissionDenied
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal
from mainport.shipments import service
from tests.conftest import PrincipalFactory
from tests.shipments.factories import journey

Headers = Callable[[Principal], dict[str, str]]


def test_customs_sees_declarations_and_reads_are_audited(
    session: Session, principal_factory: PrincipalFactory
) -> None:
    journey(session)
    analyst = principal_factory(Role.analyst)
    rows, total = service.search_declarations(session=session, actor=analyst, q="CSQU3054383")
    assert total == 1 and rows[0].place_of_loading == "ECGYE"
    j = service.container_journey(session=session, actor=analyst, number="csqu 305438 3")
    assert [e.type_code for e in j.events] == ["GTIN", "LOAD", "DISC", "GTOT", "DROP"]
    assert len(j.declarations) == 1
    actions = [e.action for e in session.query(AuditEntry).filter(AuditEntry.actor == analyst.username)]
    assert actions == ["declaration.search", "container.journey.read"]


def test_terminal_sees_only_its_own_containers_and_no_declarations(
    session: Session, principal_factory: PrincipalFactory
) -> None:
    journey(session, number="CSQU3054383", facility="ECTDE", reference="26NL0000000000001")
    journey(session, number="MSKU9070323", facility="APMII", reference="26NL0000000000002")
    ect = principal_factory(Role.officer, kind=OrgKind.terminal, facility_code="ECTDE")
    with pytest.raises(PermissionDenied):
        service.search_declarations(session=session, actor=ect)
    rows, total = service.search_containers(session=session, actor=ect)
    assert [c.number for c in rows] == ["CSQU3054383"] and total == 1
    j = service.container_journey(session=session, actor=ect, number="CSQU3054383")
    assert j.declarations == []  # no customs intelligence for a terminal
    with pytest.raises(NotFound):
        service.container_journey(session=session, actor=ect, number="MSKU9070323")
    counts = service.overview(session=session, actor=ect)
    assert not counts["shows_declarations"]


def test_api_refuses_no_user_wrong_org_and_serves_the_right_one(
    app_client: TestClient, session: Session, principal_factory: PrincipalFactory, token_for: Headers
) -> None:
    decl = journey(session)
    session.commit()
    assert app_client.get("/api/v1/declarations").status_code == 401
    terminal = principal_factory(Role.admin, kind=OrgKind.terminal, facility_code="ECTDE")
    r = app_client.get("/api/v1/declarations", headers=token_for(terminal))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    police = principal_factory(Role.viewer, kind=OrgKind.police)
    r = app_client.get(
        "/api/v1/declarations", params={"hub": "rotterdam", "limit": 10}, headers=token_for(police)
    )
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 1 and body["limit"] == 10 and body["items"][0]["reference"] == decl.reference
    r = app_client.get(f"/api/v1/declarations/{decl.id}", headers=token_for(police))
    assert r.json()["consignee"]["country"] == "NL"
    r = app_client.get("/api/v1/containers/CSQU3054383/journey", headers=token_for(terminal))
    # A terminal is shown the events at its own facility only (DISC and GTOT at ECTDE), no declarations.
    assert r.status_code == 200 and [e["type_code"] for e in r.json()["events"]] == ["DISC", "GTOT"]
    assert r.json()["declarations"] == []
    r = app_client.get("/api/v1/declarations", params={"limit": 5000}, headers=token_for(police))
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed"


def test_pages_render_for_customs_and_refuse_terminal(
    app_client: TestClient, session: Session, principal_factory: PrincipalFactory, token_for: Headers
) -> None:
    journey(session)
    session.commit()
    analyst = principal_factory(Role.analyst)
    h = token_for(analyst)
    assert "CSQU3054383" in app_client.get("/declarations?q=ECGYE", headers=h).text
    page = app_client.get("/containers/CSQU3054383", headers=h).text
    assert page.count('data-type="') == 5 and "Fresh bananas" in page
    terminal = principal_factory(Role.officer, kind=OrgKind.terminal, facility_code="ECTDE")
    assert app_client.get("/declarations", headers=token_for(terminal)).status_code == 403
