"""The sharing pages in headless Chromium: customs grants and revokes an agreement (a mistake shown in one
line), registers a partner, a terminal asks for figures and customs refuses with a reason, a delegation is
recorded; a terminal officer is refused the pages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from mainport.identity.models import Organisation, Role, User
from mainport.sharing import service
from mainport.sharing.models import Agreement, Delegation, SharingRequest
from tests.conftest import _cached_hash


def _seed(live_server: Any) -> None:
    with live_server.session_factory.begin() as s:
        service.seed_defaults(session=s)
        term = s.scalar(select(Organisation).where(Organisation.code == "TERM-ECT"))
        s.add(
            User(username="terminal_admin", password_hash=_cached_hash(), role=Role.admin, organisation=term)
        )


@pytest.mark.browser
def test_customs_manages_agreements_partners_requests_and_delegations(
    live_server, browser_page, _browser
) -> None:
    _seed(live_server)
    page = browser_page
    live_server.login(page, "customs_admin")
    page.goto(f"{live_server.url}/sharing")
    assert "DEFAULT-declarations-read-police" in page.inner_text("[data-testid=agreements]")
    form = page.locator("[data-testid=agreement-form]")
    form.locator("input[name=partner]").fill("TERM-ECT")
    form.locator("select[name=category]").select_option("declarations")
    form.locator("select[name=purpose]").select_option("steering")
    form.locator("select[name=legal_basis]").select_option("GDPR-6-1-E")
    form.locator("button[type=submit]").click()
    assert "never given to a private party" in page.inner_text("[data-testid=error]")
    form = page.locator("[data-testid=agreement-form]")
    form.locator("input[name=partner]").fill("TERM-ECT")
    form.locator("select[name=category]").select_option("seizures")
    form.locator("input[name=conditions][value=aggregated_only]").check()
    form.locator("select[name=purpose]").select_option("steering")
    form.locator("select[name=legal_basis]").select_option("GDPR-6-1-E")
    form.locator("input[name=valid_to]").fill((date.today() + timedelta(days=60)).isoformat())
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=saved]")
    with live_server.session_factory() as s:
        made = s.scalar(select(Agreement).where(Agreement.partner_org == "TERM-ECT"))
        assert made is not None and made.conditions == ["aggregated_only"] and made.owner_org == "DOUANE-RTM"
    row = page.locator(f"tr[data-ref='{made.reference}']")
    row.locator("input[name=reason]").fill("committee ended")
    row.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=saved]")
    assert "revoked: committee ended" in page.locator(f"tr[data-ref='{made.reference}']").inner_text()
    # Partners: register the terminal's party id.
    page.goto(f"{live_server.url}/sharing/partners")
    pf = page.locator("[data-testid=partner-form]")
    pf.locator("input[name=org_code]").fill("TERM-ECT")
    pf.locator("input[name=party_id]").fill("EU.EORI.NL0012345678")
    pf.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=saved]")
    assert "EU.EORI.NL0012345678" in page.locator("tr[data-org=TERM-ECT]").inner_text()
    # Delegations: customs records evidence for the terminal.
    page.goto(f"{live_server.url}/sharing/delegations")
    df = page.locator("[data-testid=delegation-form]")
    df.locator("input[name=delegate_org]").fill("TERM-ECT")
    df.locator("input[name=evidence]").fill("ishare:ev:7")
    df.locator("input[name=not_on_or_after]").fill((date.today() + timedelta(days=5)).isoformat())
    df.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=saved]")
    assert "ishare:ev:7" in page.inner_text("[data-testid=delegations]")
    with live_server.session_factory() as s:
        assert s.scalar(select(Delegation.delegate_org)) == "TERM-ECT"

    # The terminal's admin asks customs for the seizure figures; customs refuses with a reason.
    other = _browser.new_context()
    tpage = other.new_page()
    tpage.set_default_timeout(15_000)
    live_server.login(tpage, "terminal_admin")
    tpage.goto(f"{live_server.url}/sharing/requests")
    rf = tpage.locator("[data-testid=request-form]")
    rf.locator("input[name=owner_org]").fill("DOUANE-RTM")
    rf.locator("select[name=category]").select_option("seizures")
    rf.locator("input[name=conditions][value=aggregated_only]").check()
    rf.locator("select[name=purpose]").select_option("steering")
    rf.locator("select[name=legal_basis]").select_option("GDPR-6-1-E")
    rf.locator("input[name=justification]").fill("port security committee")
    rf.locator("button[type=submit]").click()
    tpage.wait_for_selector("[data-testid=saved]")
    other.close()
    with live_server.session_factory() as s:
        rid = s.scalar(select(SharingRequest.id))
    page.goto(f"{live_server.url}/sharing/requests")
    decide = page.locator(f"[data-testid=decide-{rid}]")
    decide.locator("input[name=reason]").fill("figures are public")
    decide.locator("button[value=refuse]").click()
    page.wait_for_selector("[data-testid=saved]")
    assert page.inner_text(f"[data-testid=status-{rid}]") == "refused"


@pytest.mark.browser
def test_terminal_officer_is_refused_the_sharing_pages(live_server, browser_page) -> None:
    _seed(live_server)
    page = browser_page
    live_server.login(page, "terminal_officer")
    for path in ("/sharing", "/sharing/requests", "/sharing/partners", "/sharing/delegations"):
        assert page.goto(f"{live_server.url}{path}").status == 403, path
