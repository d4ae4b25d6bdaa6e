from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from mainport.identity.principal import system_principal
from mainport.shipments.models import Inspection
from mainport.targeting import service
from mainport.targeting.selection import Capacity
from tests.targeting.seed import seed_flow


@pytest.mark.browser
def test_analyst_opens_selection_and_records_outcome(live_server, browser_page) -> None:
    with live_server.session_factory.begin() as s:
        seed_flow(s, n=25, seed=8)
        service.run_selection(
            session=s,
            actor=system_principal(),
            hub="rotterdam",
            day=datetime.now(UTC).date(),
            capacity=Capacity(scan=6, physical=1),
            seed=1,
        )
    page = browser_page
    live_server.login(page, "customs_analyst")
    page.goto(f"{live_server.url}/targeting/rotterdam")
    rows = page.locator("[data-testid=selection] tbody tr")
    assert rows.count() == 7
    assert "risk" in rows.first.inner_text()
    rows.first.locator("a").click()
    page.wait_for_selector("[data-testid=journey]")
    assert "LOAD" in page.inner_text("[data-testid=journey]")
    page.select_option("select[name=result]", "found")
    page.fill("input[name=kg_found]", "42.5")
    page.click("[data-testid=outcome-form] button[type=submit]")
    page.wait_for_selector("[data-testid=saved]")
    assert "found, 42.5 kg" in page.inner_text("[data-testid=inspections]")
    with live_server.session_factory() as s:
        insp = s.scalar(select(Inspection))
        assert insp is not None and insp.kg_found == 42.5 and insp.recorded_by == "customs_analyst"


@pytest.mark.browser
def test_terminal_officer_is_refused_the_selection_page(live_server, browser_page) -> None:
    page = browser_page
    live_server.login(page, "terminal_officer")
    response = page.goto(f"{live_server.url}/targeting/rotterdam")
    assert response.status == 403
