"""In headless Chromium: a terminal's security officer opens the register, a person's timeline, the expiry
board and the insider ranking of its own staff; a police viewer is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert

from mainport.database import utcnow
from mainport.identity.principal import system_principal
from mainport.insider import ranking
from mainport.insider.models import StaffLookup
from mainport.screening import service
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def _seed(live_server: LiveServer) -> str:
    actor = system_principal()
    with live_server.session_factory.begin() as s:
        service.upsert_role(
            session=s, actor=actor, org_code="TERM-ECT", code="planner", requires=["port_vog"]
        )
        p, _ = service.register_person(
            session=s,
            actor=actor,
            reference="ECT-7",
            employer_org="TERM-ECT",
            hub="rotterdam",
            role_code="planner",
            account="ectde.007",
            gate_id="DRV-7",
            full_name="Hidden Name",
        )
        now = utcnow()
        service.record_certificate(
            session=s,
            actor=actor,
            alias=p.alias,
            kind="port_vog",
            issuer="Justis",
            issued_at=now - timedelta(days=700),
            valid_until=now + timedelta(days=12),
        )
        s.execute(
            insert(StaffLookup),
            [
                {
                    "key": f"k{i}",
                    "at": now - timedelta(hours=i * 5),
                    "username": f"ectde.00{i % 8}",
                    "org_code": "ECTDE",
                    "hub": "rotterdam",
                    "facility_code": "ECTDE",
                    "container_number": f"MSCU{i:07d}",
                    "kind": "status",
                    "source": "t",
                }
                for i in range(80)
            ],
        )
        ranking.run_ranking(session=s, actor=actor)
        return p.alias


def test_security_officer_pages(live_server: LiveServer, browser_page: object) -> None:
    page = browser_page
    alias = _seed(live_server)
    live_server.login(page, "terminal_officer")
    page.click("header nav >> text=Screening register")  # type: ignore[attr-defined]
    page.wait_for_selector(f"[data-testid=people] a:has-text('{alias}')")  # type: ignore[attr-defined]
    assert "Hidden Name" not in page.content()  # type: ignore[attr-defined]
    page.click(f"[data-testid=people] a:has-text('{alias}')")  # type: ignore[attr-defined]
    page.wait_for_selector("[data-testid=certificates] td:has-text('port_vog')")  # type: ignore[attr-defined]
    assert page.inner_text("[data-testid=status]") == "ok"  # type: ignore[attr-defined]
    page.goto(f"{live_server.url}/screening/expiry")  # type: ignore[attr-defined]
    row = page.locator("[data-testid=expiry] tbody tr", has_text=alias)  # type: ignore[attr-defined]
    assert row.count() == 1 and "port_vog" in row.inner_text()
    page.goto(f"{live_server.url}/insider/ranking")  # type: ignore[attr-defined]
    page.wait_for_selector("[data-testid=ranking] tbody tr")  # type: ignore[attr-defined]
    first = page.locator("[data-testid=ranking] tbody tr a").first  # type: ignore[attr-defined]
    first.click()
    page.wait_for_selector("[data-testid=lookups] tbody tr")  # type: ignore[attr-defined]


def test_police_viewer_is_refused(live_server: LiveServer, browser_page: object) -> None:
    page = browser_page
    _seed(live_server)
    live_server.login(page, "police_viewer")
    response = page.goto(f"{live_server.url}/screening/people")  # type: ignore[attr-defined]
    assert response.status == 403
    response = page.goto(f"{live_server.url}/insider/ranking")  # type: ignore[attr-defined]
    assert response.status == 403
