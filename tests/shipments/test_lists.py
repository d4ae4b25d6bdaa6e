"""Declaration and container lists: text search across parties, goods, B/L and vessel; sorts; first seen is
the first event (not the load); need-to-know; CSV export; the container page links what belongs to it and
draws the journey map from UN/LOCODE coordinates."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from mainport.cases import service as cases
from mainport.database.sorting import parse_sort
from mainport.errors import PermissionDenied
from mainport.identity.models import OrgKind, Role
from mainport.shipments import journey_map, lists
from mainport.shipments.models import Vessel
from tests.conftest import PrincipalFactory
from tests.shipments.factories import T0, journey
from tests.web.test_navigation import login

SORT = parse_sort(None, list(lists.DECLARATION_SORTS), "-filed_at")


def _two(session: Session) -> None:
    journey(session)
    journey(session, number="MSCU1234565", reference="26NL0000000000002", hub="schiphol", facility="APMII")
    session.add(Vessel(imo="9321483", name="Maersk Guayaquil"))
    session.flush()


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("bananas", 2),  # goods, any case
        ("exportadora", 2),  # consignor name
        ("MAEU123456789", 2),  # bill of lading
        ("guayaquil", 2),  # vessel name
        ("MSCU12", 1),  # container prefix
        ("26NL0000000000002", 1),  # reference
        ("0803", 2),  # HS prefix
        ("ECGYE", 2),  # place of loading
        ("100%", 0),  # LIKE characters are characters
    ],
)
def test_declaration_text_search(
    session: Session, principal_factory: PrincipalFactory, q: str, found: int
) -> None:
    _two(session)
    analyst = principal_factory(Role.analyst, OrgKind.customs)
    rows, total = lists.search_declarations(
        session=session, actor=analyst, f=lists.DeclarationFilter(q=q), sort=SORT
    )
    assert total == found == len(rows)


def test_declaration_filters_and_sort(session: Session, principal_factory: PrincipalFactory) -> None:
    _two(session)
    analyst = principal_factory(Role.analyst, OrgKind.customs)
    rows, _ = lists.search_declarations(
        session=session, actor=analyst, f=lists.DeclarationFilter(hub="schiphol"), sort=SORT
    )
    assert [d.container_number for d in rows] == ["MSCU1234565"]
    by_ref = parse_sort("-reference", list(lists.DECLARATION_SORTS), "-filed_at")
    rows, _ = lists.search_declarations(
        session=session, actor=analyst, f=lists.DeclarationFilter(), sort=by_ref
    )
    assert [d.reference for d in rows] == ["26NL0000000000002", "26NL0000000000001"]
    with pytest.raises(PermissionDenied):
        terminal = principal_factory(Role.officer, OrgKind.terminal, facility_code="ECTDE")
        lists.search_declarations(session=session, actor=terminal, f=lists.DeclarationFilter(), sort=SORT)


def test_containers_first_seen_is_the_first_event_and_need_to_know_holds(
    session: Session, principal_factory: PrincipalFactory
) -> None:
    _two(session)
    analyst = principal_factory(Role.analyst, OrgKind.customs)
    order = parse_sort("number", lists.CONTAINER_SORTS, "number")
    rows, total = lists.search_containers(session=session, actor=analyst, sort=order)
    assert total == 2 and rows[0].number == "CSQU3054383"
    assert rows[0].first_seen == T0 and rows[0].events == 5
    rows, total = lists.search_containers(session=session, actor=analyst, hub="schiphol", sort=order)
    assert [r.number for r in rows] == ["MSCU1234565"]
    terminal = principal_factory(Role.officer, OrgKind.terminal, facility_code="ECTDE")
    rows, total = lists.search_containers(session=session, actor=terminal, sort=order)
    assert [r.number for r in rows] == ["CSQU3054383"]
    # a terminal sees only the events at its own facility: first seen is its own first event
    assert rows[0].events == 2 and rows[0].first_seen > T0
    nobody = principal_factory(Role.analyst, OrgKind.municipality)
    assert lists.search_containers(session=session, actor=nobody, sort=order) == ([], 0)


def test_journey_map_places_stops_from_unlocode(
    session: Session, principal_factory: PrincipalFactory
) -> None:
    from mainport.shipments import service

    journey(session)
    analyst = principal_factory(Role.analyst, OrgKind.customs)
    j = service.container_journey(session=session, actor=analyst, number="CSQU3054383")
    m = journey_map.draw(j.events)
    assert [s.code for s in m.stops] == ["ECGYE", "NLRTM"]
    assert [len(s.events) for s in m.stops] == [2, 3]
    guayaquil, rotterdam = m.stops
    assert rotterdam.role == "hub" and guayaquil.x < rotterdam.x and guayaquil.y > rotterdam.y  # west, south
    assert all(0 <= s.x <= m.width and 0 <= s.y <= m.height for s in m.stops)
    assert len(m.legs) == 1 and m.meridians and m.parallels


def test_list_pages_export_and_link(
    app_client: TestClient, session: Session, principal_factory: PrincipalFactory
) -> None:
    _two(session)
    analyst = principal_factory(Role.analyst, OrgKind.customs, username="list_analyst")
    alert = cases.raise_alert(
        session=session,
        actor=analyst,
        source="manual",
        kind="manual.tip",
        container_number="CSQU3054383",
        title="tip on the reefer",
    )
    case = cases.open_case(session=session, actor=analyst, alert_ids=[alert.id], title="reefer case")
    session.commit()
    login(app_client, "list_analyst")
    r = app_client.get("/declarations?q=bananas&sort=reference&format=csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [x["reference"] for x in rows] == ["26NL0000000000001", "26NL0000000000002"]
    assert rows[0]["consignor"] == "Exportadora Banano SA"
    html = app_client.get("/declarations?q=bananas").text
    assert 'href="/containers/CSQU3054383"' in html and 'href="/targeting/declarations/' in html
    r = app_client.get("/containers?format=csv&sort=-events")
    assert {x["number"]: x["events"] for x in csv.DictReader(io.StringIO(r.text))} == {
        "CSQU3054383": "5",
        "MSCU1234565": "5",
    }
    page = app_client.get("/containers/CSQU3054383").text
    assert 'data-testid="journey-map"' in page and 'data-code="NLRTM"' in page
    assert f'href="/cases/{case.id}"' in page and "/alerts?status=all&amp;container=CSQU3054383" in page
    assert app_client.get("/declarations?sort=password", headers={"accept": "text/html"}).status_code == 422
    assert app_client.get("/declarations?since=yesterday", headers={"accept": "text/html"}).status_code == 422
