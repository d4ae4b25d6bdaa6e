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


@pytest.mark.browser
def test_analyst_manages_watch_list_and_tips_in_the_page(live_server, browser_page) -> None:
    page = browser_page
    live_server.login(page, "customs_analyst")
    page.goto(f"{live_server.url}/targeting/intel")
    form = page.locator("[data-testid=watch-form]")
    form.locator("select[name=kind]").select_option("vessel")
    form.locator("input[name=value]").fill("9321483")
    form.locator("input[name=reason]").fill("crew linked to extractions")
    form.locator("input[name=source]").fill("police")
    form.locator("input[name=owner]").fill("HARC team")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=saved]")
    assert "9321483" in page.inner_text("[data-testid=watch-list]")
    bad = page.locator("[data-testid=watch-form]")
    bad.locator("select[name=kind]").select_option("container")
    bad.locator("input[name=value]").fill("NOTABOX")
    bad.locator("input[name=reason]").fill("x")
    bad.locator("input[name=source]").fill("x")
    bad.locator("input[name=owner]").fill("x")
    bad.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=error]")
    assert "ISO 6346" in page.inner_text("[data-testid=error]")
    tip = page.locator("[data-testid=tip-form]")
    tip.locator("input[name=reference]").fill("KMAR-1")
    tip.locator("input[name=source]").fill("KMar")
    tip.locator("input[name=summary]").fill("load on this vessel")
    tip.locator("input[name=vessel_imo]").fill("9321483")
    tip.locator("input[name=window_from]").fill("2026-12-01T00:00")
    tip.locator("input[name=window_to]").fill("2026-12-08T00:00")
    tip.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=saved]")
    assert "KMAR-1" in page.inner_text("[data-testid=tips]")
    page.locator("[data-testid=watch-list] form input[name=reason]").first.fill("case closed")
    page.locator("[data-testid=watch-list] form button").first.click()
    page.wait_for_selector("[data-testid=saved]")
    assert "9321483" not in page.inner_text("[data-testid=watch-list]")
    with live_server.session_factory() as s:
        from mainport.targeting.models import Tip, WatchEntry

        entry = s.scalar(select(WatchEntry))
        assert entry is not None
        assert entry.revoked_by == "customs_analyst" and entry.created_by == "customs_analyst"
        assert s.scalar(select(Tip)).reference == "KMAR-1"


@pytest.mark.browser
def test_terminal_officer_is_refused_the_intelligence_page(live_server, browser_page) -> None:
    page = browser_page
    live_server.login(page, "terminal_officer")
    response = page.goto(f"{live_server.url}/targeting/intel")
    assert response.status == 403
