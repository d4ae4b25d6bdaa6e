"""End to end in headless Chromium: triage an alert into a case, record the outcome, close; a terminal officer
sees its guarded-area board but not the alert queue."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mainport import flows
from mainport.identity.principal import system_principal
from mainport.shipments.models import Seizure
from tests.conftest import LiveServer
from tests.shipments.factories import journey

pytestmark = pytest.mark.browser
BOX = "CSQU3054383"


def _seed(live_server: LiveServer) -> None:
    with live_server.session_factory.begin() as s:
        journey(s)
        flows.select_for_control(
            session=s,
            actor=system_principal(),
            container_number=BOX,
            facility_code="ECTDE",
            source="targeting",
            reason="risk 0.93 on route and consignee",
            hub="rotterdam",
        )


def test_analyst_triages_alert_into_case_and_closes_it(live_server: LiveServer, browser_page: object) -> None:
    page = browser_page
    _seed(live_server)
    live_server.login(page, "customs_analyst")
    page.click("header nav >> text=Alerts")  # type: ignore[attr-defined]
    page.wait_for_selector(f"[data-testid=alert-queue] tbody tr:has-text('{BOX}')")  # type: ignore[attr-defined]
    row = page.locator("[data-testid=alert-queue] tbody tr", has_text=BOX)  # type: ignore[attr-defined]
    assert row.count() == 1 and "targeting.selected" in row.inner_text()
    row.locator("input[name=assignee]").fill("customs_analyst")
    row.locator("[data-testid=open-case]").click()
    page.wait_for_selector("[data-testid=case-status]")  # type: ignore[attr-defined]
    assert page.locator("[data-testid=case-status]").inner_text() == "investigating"  # type: ignore[attr-defined]
    assert page.locator("[data-testid=journey] li").count() == 5  # type: ignore[attr-defined]
    assert "selected" in page.locator("[data-testid=custody-log]").inner_text()  # type: ignore[attr-defined]

    form = page.locator("[data-testid=outcome-form]")  # type: ignore[attr-defined]
    form.locator("input[value=found]").check()
    form.locator("input[name=kg_seized]").fill("120")
    form.locator("select[name=modus_operandi]").select_option("rip_on")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=case-status]:has-text('decided')")  # type: ignore[attr-defined]
    assert "120.0 kg seized" in page.locator("[data-testid=case-outcome]").inner_text()  # type: ignore[attr-defined]
    assert page.locator("[data-testid=case-status]").inner_text() == "decided"  # type: ignore[attr-defined]
    page.click("button:has-text('Close case')")  # type: ignore[attr-defined]
    page.wait_for_selector("[data-testid=case-status]:has-text('closed')")  # type: ignore[attr-defined]
    with live_server.session_factory() as s:
        seizure = s.scalar(select(Seizure).where(Seizure.container_number == BOX))
        assert seizure is not None and seizure.kg == 120.0 and seizure.modus_operandi == "rip_on"


def test_terminal_officer_sees_board_but_not_alerts(live_server: LiveServer, browser_page: object) -> None:
    page = browser_page
    _seed(live_server)
    live_server.login(page, "terminal_officer")
    nav = page.locator("header nav").inner_text()  # type: ignore[attr-defined]
    assert "Alerts" not in nav and "Guarded area" in nav
    page.click("header nav >> text=Guarded area")  # type: ignore[attr-defined]
    page.wait_for_selector(f"[data-testid=board] td:has-text('{BOX}')")  # type: ignore[attr-defined]
    board = page.locator("[data-testid=board]")  # type: ignore[attr-defined]
    assert BOX in board.inner_text() and "planned" in board.inner_text()
    assert "risk 0.93" not in page.content()  # type: ignore[attr-defined]
    assert page.goto(f"{live_server.url}/alerts").status == 403  # type: ignore[attr-defined]
    assert page.goto(f"{live_server.url}/custody/board/APMII").status == 403  # type: ignore[attr-defined]
