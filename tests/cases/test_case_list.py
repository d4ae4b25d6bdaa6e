"""The case list and the alert queue as lists: filters, sort, text search, CSV export; government only."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from mainport.cases import search
from mainport.cases import service as cases
from mainport.database.sorting import parse_sort
from mainport.errors import PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind, Role
from tests.conftest import PrincipalFactory
from tests.web.test_navigation import login


def _cases(session: Session, actor) -> list[int]:
    ids = []
    for i, (box, hub, title) in enumerate(
        [
            ("MSCU1234565", "rotterdam", "bananas with a rip-off"),
            ("CSQU3054383", "schiphol", "flowers, odd consignee"),
            ("MAEU1234567", "rotterdam", "scrap metal"),
        ]
    ):
        alert = cases.raise_alert(
            session=session,
            actor=actor,
            source="manual",
            kind="manual.tip",
            container_number=box,
            hub=hub,
            severity=1 + i,
            title=title,
        )
        case = cases.open_case(
            session=session,
            actor=actor,
            alert_ids=[alert.id],
            title=title,
            assignee="lena" if i == 1 else None,
        )
        ids.append(case.id)
    return ids


def test_cases_filter_sort_and_search(session: Session, principal_factory: PrincipalFactory) -> None:
    analyst = principal_factory(Role.analyst, OrgKind.customs)
    ids = _cases(session, analyst)
    everything = search.CaseFilter(status=None)
    rows, total = search.search_cases(
        session=session, actor=analyst, f=everything, sort=parse_sort("id", list(search.CASE_SORTS), "id")
    )
    assert total == 3 and [c.id for c in rows] == ids
    rows, _ = search.search_cases(
        session=session,
        actor=analyst,
        f=everything,
        sort=parse_sort("-severity", list(search.CASE_SORTS), "id"),
    )
    assert [c.severity for c in rows] == sorted((c.severity for c in rows), reverse=True)
    rows, total = search.search_cases(
        session=session,
        actor=analyst,
        f=search.CaseFilter(status=None, q="BANANA"),
        sort=parse_sort(None, list(search.CASE_SORTS), "-opened_at"),
    )
    assert total == 1 and rows[0].container_number == "MSCU1234565"
    rows, total = search.search_cases(
        session=session,
        actor=analyst,
        f=search.CaseFilter(status=None, hub="rotterdam", q="100%"),
        sort=parse_sort(None, list(search.CASE_SORTS), "-opened_at"),
    )
    assert total == 0  # '%' is a character, not a wildcard
    rows, total = search.search_cases(
        session=session,
        actor=analyst,
        f=search.CaseFilter(status="investigating"),
        sort=parse_sort(None, list(search.CASE_SORTS), "-opened_at"),
    )
    assert total == 1 and rows[0].assignee == "lena"


def test_an_unknown_sort_is_one_line() -> None:
    with pytest.raises(ValidationFailed, match="sort: 'password' is not a column to sort by"):
        parse_sort("-password", list(search.CASE_SORTS), "id")


def test_private_parties_are_refused_the_lists(session: Session, principal_factory: PrincipalFactory) -> None:
    for kind in (OrgKind.terminal, OrgKind.shipping_line, OrgKind.municipality):
        outsider = principal_factory(Role.analyst, kind)
        with pytest.raises(PermissionDenied):
            search.search_cases(
                session=session,
                actor=outsider,
                f=search.CaseFilter(),
                sort=parse_sort(None, list(search.CASE_SORTS), "id"),
            )
        with pytest.raises(PermissionDenied):
            search.search_alerts(
                session=session,
                actor=outsider,
                f=search.AlertFilter(),
                sort=parse_sort(None, list(search.ALERT_SORTS), "-severity"),
            )


def test_case_page_lists_links_and_exports(
    app_client: TestClient, session: Session, principal_factory: PrincipalFactory
) -> None:
    analyst = principal_factory(Role.analyst, OrgKind.customs, username="case_lister")
    ids = _cases(session, analyst)
    session.commit()
    login(app_client, "case_lister")
    html = app_client.get("/cases?status=all&sort=id").text
    assert [int(x) for x in re.findall(r'data-case-id="(\d+)"', html)] == ids
    assert 'href="/containers/MSCU1234565"' in html and f'href="/cases/{ids[0]}"' in html
    assert 'aria-sort="ascending"' in html
    r = app_client.get("/cases?status=all&sort=-severity&format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["severity"] for row in table] == ["3", "2", "1"]
    bad = app_client.get("/cases?sort=nope", headers={"accept": "text/html"})
    assert bad.status_code == 422 and "not a column to sort by" in bad.text
    alerts = app_client.get("/alerts?q=flowers&format=csv")
    assert [row["container"] for row in csv.DictReader(io.StringIO(alerts.text))] == []  # linked: not open
    alerts = app_client.get("/alerts?status=all&q=flowers&format=csv")
    assert [row["container"] for row in csv.DictReader(io.StringIO(alerts.text))] == ["CSQU3054383"]
    app_client.cookies.clear()
    principal_factory(Role.officer, OrgKind.terminal, username="case_outsider", facility_code="ECTDE")
    login(app_client, "case_outsider")
    assert app_client.get("/cases", headers={"accept": "text/html"}).status_code == 403
    assert app_client.get("/cases?format=csv").status_code == 403
