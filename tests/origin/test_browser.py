"""The origin-scan queue and hold requests in a real browser (strict CSP, CSRF)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from mainport.database import utcnow
from mainport.identity.principal import system_principal
from mainport.origin import service
from mainport.origin.models import HoldRequest, OriginReview
from tests.origin.test_origin import _decl, _scan


@pytest.mark.browser
def test_analyst_reads_the_queue_and_asks_the_origin(live_server: Any, browser_page: Any) -> None:
    with live_server.session_factory.begin() as s:
        for i, box in enumerate(("MSCU1234565", "CSQU3054383")):
            _decl(s, box, 40 + i)
            _scan(s, box, utcnow() - timedelta(hours=2))
        service.enqueue(
            session=s,
            actor=system_principal(),
            check=lambda scan, decl: (0.7, ["dense block behind the doors"]),
        )
        first, second = s.scalars(select(OriginReview.id).order_by(OriginReview.id)).all()
    page = browser_page
    live_server.login(page, "customs_analyst")
    page.goto(f"{live_server.url}/origin")
    assert page.locator("[data-testid=origin-queue] tbody tr").count() == 2
    page.locator(f"[data-testid=verdict-{first}] select[name=verdict]").select_option("suspicious")
    page.click(f"[data-testid=verdict-{first}] button[type=submit]")
    page.wait_for_selector("[data-testid=saved]")
    assert "suspicious" in page.inner_text("[data-testid=origin-done]")
    form = page.locator(f"[data-testid=hold-{second}]")
    form.locator("select[name=kind]").select_option("do_not_load")
    form.locator("input[name=reason]").fill("check behind the doors")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=holds]")
    assert "do_not_load: check behind the doors" in page.inner_text("[data-testid=holds]")
    with live_server.session_factory() as s:
        hold_id = s.scalars(select(HoldRequest.id)).one()
    answer = page.locator(f"[data-testid=answer-{hold_id}]")
    answer.locator("select[name=answer]").select_option("cleared")
    answer.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=saved]")
    assert "cleared" in page.inner_text(f"[data-testid=hold-row-{hold_id}]")


@pytest.mark.browser
def test_terminal_officer_is_refused_the_origin_pages(live_server: Any, browser_page: Any) -> None:
    page = browser_page
    live_server.login(page, "terminal_officer")
    assert page.goto(f"{live_server.url}/origin").status == 403
    assert page.goto(f"{live_server.url}/origin/holds").status == 403
