"""The insider list page: a police analyst filters the staff look-ups by user and exports them; viewers and
private parties are refused."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from mainport.identity.models import OrgKind, Role
from mainport.insider.models import StaffLookup
from tests.conftest import PrincipalFactory
from tests.web.test_navigation import login

T = datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_police_analyst_lists_and_exports_lookups(
    app_client: TestClient, session: Session, principal_factory: PrincipalFactory
) -> None:
    for i, user in enumerate(["j.smit", "j.smit", "a.berg"]):
        at = T + timedelta(hours=i)
        row = StaffLookup(
            key=f"k{i}", at=at, username=user, org_code="TERM-ECT", hub="rotterdam", kind="status"
        )
        row.container_number, row.source = "MSCU1234565", "t"
        session.add(row)
    principal_factory(Role.analyst, OrgKind.police, username="insider_analyst")
    principal_factory(Role.viewer, OrgKind.police, username="insider_viewer")
    principal_factory(Role.analyst, OrgKind.terminal, username="insider_terminal", facility_code="ECTDE")
    session.commit()
    login(app_client, "insider_analyst")
    html = app_client.get("/insider?user=j.smit").text
    assert html.count('href="/containers/MSCU1234565"') == 2 and ">Insider look-ups</a>" in html
    rows = list(csv.DictReader(io.StringIO(app_client.get("/insider?format=csv&since=2026-03-02").text)))
    assert [r["username"] for r in rows] == ["a.berg", "j.smit", "j.smit"]  # newest first
    for outsider in ("insider_viewer", "insider_terminal"):
        app_client.cookies.clear()
        login(app_client, outsider)
        assert app_client.get("/insider", headers={"accept": "text/html"}).status_code == 403
