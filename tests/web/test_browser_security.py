"""In headless Chromium under the strict CSP: pages and the API docs work with no policy violation;
logout ends the session; the account page changes the password; browser error pages are HTML."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, LiveServer

pytestmark = pytest.mark.browser


def _violations(page: object) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)  # type: ignore[attr-defined]
    return found


def test_docs_and_pages_run_under_the_strict_csp(live_server: LiveServer, browser_page: object) -> None:
    page = browser_page
    violations = _violations(page)
    page.goto(f"{live_server.url}/api/v1/docs")  # type: ignore[attr-defined]
    page.wait_for_selector(".swagger-ui .info .title")  # type: ignore[attr-defined]
    assert "mainport" in page.locator(".swagger-ui .info .title").inner_text()  # type: ignore[attr-defined]
    assert page.locator(".opblock").count() > 50  # type: ignore[attr-defined]
    live_server.login(page, "customs_admin")
    for path in ("/", "/containers", "/alerts", "/monitoring", "/account", "/admin/users"):
        response = page.goto(f"{live_server.url}{path}")  # type: ignore[attr-defined]
        assert response.status == 200, path
    page.wait_for_timeout(300)  # type: ignore[attr-defined]
    assert violations == []
    response = page.goto(f"{live_server.url}/no-such-page")  # type: ignore[attr-defined]
    assert response.status == 404 and page.locator("[data-testid=error-page]").count() == 1  # type: ignore[attr-defined]


def test_logout_and_password_change_in_the_browser(live_server: LiveServer, browser_page: object) -> None:
    page = browser_page
    live_server.login(page, "police_viewer")
    page.goto(f"{live_server.url}/account")  # type: ignore[attr-defined]
    page.fill("input[name=current]", PASSWORD)  # type: ignore[attr-defined]
    page.fill("input[name=new]", "a brand new passphrase")  # type: ignore[attr-defined]
    page.fill("input[name=repeat]", "a brand new passphrase")  # type: ignore[attr-defined]
    page.click("button:has-text('Change password')")  # type: ignore[attr-defined]
    assert "Password changed" in page.content()  # type: ignore[attr-defined]
    page.click("button:has-text('Log out')")  # type: ignore[attr-defined]
    page.wait_for_selector("input[name=username]")  # type: ignore[attr-defined]
    response = page.goto(f"{live_server.url}/account")  # type: ignore[attr-defined]
    assert "/login" in page.url  # type: ignore[attr-defined]
    assert response.status == 200
    live_server.login(page, "police_viewer", "a brand new passphrase")
