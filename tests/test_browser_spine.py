"""End to end in headless Chromium: log in, search a container, open its timeline."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer
from tests.shipments.factories import journey

pytestmark = pytest.mark.browser


def test_login_search_container_and_open_timeline(live_server: LiveServer, browser_page: object) -> None:
    page = browser_page
    with live_server.session_factory.begin() as s:
        journey(s)
    live_server.login(page, "customs_analyst")
    page.click("text=Containers")  # type: ignore[attr-defined]
    page.fill("input[name=q]", "CSQU305")  # type: ignore[attr-defined]
    page.click("button:has-text('Search')")  # type: ignore[attr-defined]
    page.click("a:has-text('CSQU3054383')")  # type: ignore[attr-defined]
    items = page.locator("[data-testid=timeline] li")  # type: ignore[attr-defined]
    assert items.count() == 5
    assert items.first.get_attribute("data-type") == "GTIN"
    assert "Fresh bananas" in page.content()  # type: ignore[attr-defined]


def test_terminal_user_cannot_open_declarations(live_server: LiveServer, browser_page: object) -> None:
    page = browser_page
    live_server.login(page, "terminal_officer")
    assert "Declarations" not in page.locator("header nav").inner_text()  # type: ignore[attr-defined]
    response = page.goto(f"{live_server.url}/declarations")  # type: ignore[attr-defined]
    assert response.status == 403
