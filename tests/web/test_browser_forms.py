"""The work done in the browser, each role on its own path: custody plans (open, step), release rights
(issue, nominate, look up, revoke), a file upload for ingest with its reconciliation, quarantine retry and
discard, user and token management; the wrong user is refused in the page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from mainport.custody.models import CustodyPlan, ReleaseRight
from mainport.identity import service as identity
from mainport.identity.models import OrgKind, Role, User
from tests.conftest import LiveServer, _cached_hash
from tests.ingest.helpers import event
from tests.shipments.factories import journey

pytestmark = pytest.mark.browser
BOX = "CSQU3054383"


def _user(live: LiveServer, username: str, role: Role, code: str, kind: OrgKind, **org: str) -> None:
    with live.session_factory.begin() as s:
        o = identity.get_or_create_organisation(session=s, code=code, name=code, kind=kind, **org)
        s.add(User(username=username, password_hash=_cached_hash(), role=role, organisation=o))


def _logout(page: object) -> None:
    page.click("button:has-text('Log out')")  # type: ignore[attr-defined]
    page.wait_for_selector("input[name=username]")  # type: ignore[attr-defined]


def test_custody_plan_opened_and_stepped_in_the_page(live_server: LiveServer, browser_page: object) -> None:
    page = browser_page
    with live_server.session_factory.begin() as s:
        journey(s)
    _user(live_server, "apm_officer", Role.officer, "TERM-APM", OrgKind.terminal, node_code="rotterdam",
          facility_code="APMII")  # fmt: skip
    live_server.login(page, "customs_analyst")
    page.goto(f"{live_server.url}/containers/{BOX}")  # type: ignore[attr-defined]
    assert page.locator("[data-testid=journey-map] g.stop").count() == 2  # type: ignore[attr-defined]
    form = page.locator("[data-testid=open-plan]")  # type: ignore[attr-defined]
    assert form.locator("input[name=facility_code]").input_value() == "ECTDE"
    form.locator("input[name=reason]").fill("scan difference on arrival")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=step-form]")  # type: ignore[attr-defined]
    for step in ("discharged", "guarded"):
        page.select_option("[data-testid=step-form] select[name=step]", step)  # type: ignore[attr-defined]
        page.click("[data-testid=step-form] button[type=submit]")  # type: ignore[attr-defined]
        page.wait_for_selector(f"[data-testid=custody-log] tr[data-step={step}]")  # type: ignore[attr-defined]
    assert page.inner_text("[data-testid=plan-state]") == "guarded"  # type: ignore[attr-defined]
    assert "Log intact" in page.inner_text("[data-testid=chain]")  # type: ignore[attr-defined]
    plan_url = page.url  # type: ignore[attr-defined]
    _logout(page)
    # the terminal that holds the box records its moves, not customs' decisions
    live_server.login(page, "terminal_officer")
    page.goto(plan_url)  # type: ignore[attr-defined]
    options = page.locator("[data-testid=step-form] select[name=step] option").all_inner_texts()  # type: ignore[attr-defined]
    assert "moved" in options and "released" not in options and "inspection started" not in options
    _logout(page)
    live_server.login(page, "apm_officer")  # another terminal: refused
    response = page.goto(plan_url)  # type: ignore[attr-defined]
    assert response.status == 403
    with live_server.session_factory() as s:
        plan = s.scalar(select(CustodyPlan))
        assert plan is not None and plan.state == "guarded" and plan.head_seq == 3


def test_release_right_issued_nominated_and_revoked(live_server: LiveServer, browser_page: object) -> None:
    page = browser_page
    with live_server.session_factory.begin() as s:
        journey(s)
    _user(live_server, "maersk_ops", Role.officer, "MAERSK", OrgKind.shipping_line, carrier_code="MAEU")
    _user(live_server, "fwd_clerk", Role.officer, "FWD-1", OrgKind.forwarder)
    _user(live_server, "haul_planner", Role.officer, "HAUL-1", OrgKind.haulier)
    live_server.login(page, "maersk_ops")
    page.goto(f"{live_server.url}/release?container={BOX}")  # type: ignore[attr-defined]
    issue = page.locator("[data-testid=issue-form]")  # type: ignore[attr-defined]
    issue.locator("input[name=facility_code]").fill("ECTDE")
    issue.locator("input[name=release_party]").fill("FWD-1")
    issue.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=rights] tr[data-right-id]")  # type: ignore[attr-defined]
    # a box this line does not carry: one line on the page, nothing issued
    issue = page.locator("[data-testid=issue-form]")  # type: ignore[attr-defined]
    issue.locator("input[name=container_number]").fill("MSCU1234565")
    issue.locator("input[name=facility_code]").fill("ECTDE")
    issue.locator("input[name=release_party]").fill("FWD-1")
    issue.locator("button[type=submit]").click()
    assert "not found" in page.inner_text("[data-testid=error]") or "no container" in page.inner_text(
        "[data-testid=error]"
    )  # type: ignore[attr-defined]
    _logout(page)
    for user, nominee in (("fwd_clerk", "HAUL-1"), ("haul_planner", "DRV-77")):
        live_server.login(page, user)
        page.goto(f"{live_server.url}/release?container={BOX}")  # type: ignore[attr-defined]
        page.fill("[data-testid=rights] input[name=nominee]", nominee)  # type: ignore[attr-defined]
        page.click("[data-testid=rights] button:has-text('Nominate')")  # type: ignore[attr-defined]
        page.wait_for_selector("[data-testid=rights]")  # type: ignore[attr-defined]
        if nominee == "DRV-77":
            assert page.locator("[data-testid=driver-token] .secret").inner_text().count(".") >= 1  # type: ignore[attr-defined]
        _logout(page)
    live_server.login(page, "maersk_ops")
    page.goto(f"{live_server.url}/release?container={BOX}")  # type: ignore[attr-defined]
    assert "FWD-1 → HAUL-1 → DRV-77" in page.inner_text("[data-testid=rights]")  # type: ignore[attr-defined]
    page.on("dialog", lambda d: d.accept())  # type: ignore[attr-defined]
    page.fill("[data-testid=rights] input[name=reason]", "cargo not paid")  # type: ignore[attr-defined]
    page.click("[data-testid=rights] button:has-text('Revoke')")  # type: ignore[attr-defined]
    page.wait_for_selector("[data-testid=rights] .badge.bad")  # type: ignore[attr-defined]
    _logout(page)
    live_server.login(page, "police_viewer")  # government viewer: looks up, may not change anything
    page.goto(f"{live_server.url}/release?container={BOX}")  # type: ignore[attr-defined]
    assert "revoked" in page.inner_text("[data-testid=rights]")  # type: ignore[attr-defined]
    assert page.locator("[data-testid=rights] button").count() == 0  # type: ignore[attr-defined]
    with live_server.session_factory() as s:
        right = s.scalar(select(ReleaseRight))
        assert right is not None and right.status == "revoked" and right.driver_id == "DRV-77"


def test_upload_shows_the_reconciliation_then_quarantine_is_worked(
    live_server: LiveServer, browser_page: object, tmp_path: Path
) -> None:
    page = browser_page
    bad = event(3)
    del bad["eventDateTime"]
    file = tmp_path / "events.jsonl"
    file.write_text("\n".join(json.dumps(e) for e in (event(1), event(2), bad)) + "\n")
    live_server.login(page, "customs_analyst")
    page.click("header nav a:has-text('Upload')")  # type: ignore[attr-defined]
    page.select_option("select[name=kind]", "events")  # type: ignore[attr-defined]
    page.set_input_files("input[name=file]", str(file))  # type: ignore[attr-defined]
    page.click("[data-testid=upload-form] button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("[data-testid=reconciliation]")  # type: ignore[attr-defined]
    got = {k: page.inner_text(f"[data-testid={k}]") for k in ("received", "stored", "quarantined")}  # type: ignore[attr-defined]
    assert got == {"received": "3", "stored": "2", "quarantined": "1"}
    assert "yes" in page.inner_text("[data-testid=balanced]")  # type: ignore[attr-defined]
    assert "eventDateTime" in page.inner_text("[data-testid=problems]")  # type: ignore[attr-defined]
    page.click("[data-testid=problems] a")  # type: ignore[attr-defined]
    fixed = dict(bad, eventDateTime="2024-03-01T11:00:00+00:00")
    page.fill("textarea[name=fixed_raw]", json.dumps(fixed))  # type: ignore[attr-defined]
    page.click("[data-testid=retry]")  # type: ignore[attr-defined]
    page.wait_for_selector("[data-testid=quarantine]")  # type: ignore[attr-defined]
    assert "Nothing in quarantine" in page.inner_text("[data-testid=quarantine]")  # type: ignore[attr-defined]
    # the file again with one more bad line: the good ones are duplicates, the new bad one is discarded
    worse = event(4)
    del worse["eventDateTime"]
    file.write_text(file.read_text() + json.dumps(worse) + "\n")
    page.goto(f"{live_server.url}/ingest/upload")  # type: ignore[attr-defined]
    page.select_option("select[name=kind]", "events")  # type: ignore[attr-defined]
    page.set_input_files("input[name=file]", str(file))  # type: ignore[attr-defined]
    page.click("[data-testid=upload-form] button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("[data-testid=reconciliation]")  # type: ignore[attr-defined]
    assert page.inner_text("[data-testid=received]") == "4"  # type: ignore[attr-defined]
    assert page.inner_text("[data-testid=duplicates]") == "2"  # type: ignore[attr-defined]
    assert "yes" in page.inner_text("[data-testid=balanced]")  # type: ignore[attr-defined]
    page.locator("[data-testid=problems] li", has_text="line 4").locator("a").click()  # type: ignore[attr-defined]
    page.click("[data-testid=discard]")  # type: ignore[attr-defined]
    page.wait_for_selector("[data-testid=quarantine]")  # type: ignore[attr-defined]
    assert "Nothing in quarantine" in page.inner_text("[data-testid=quarantine]")  # type: ignore[attr-defined]
    _logout(page)
    live_server.login(page, "police_viewer")  # may not write declarations or events: not offered
    if page.locator("header nav a:has-text('Upload')").count() == 0:  # type: ignore[attr-defined]
        assert page.goto(f"{live_server.url}/ingest/upload").status == 403  # type: ignore[attr-defined]
    else:  # feeds that take records from anyone logged in (none needs a permission) may still be offered
        assert page.goto(f"{live_server.url}/ingest/upload").status == 200  # type: ignore[attr-defined]
        offered = page.locator("select[name=kind] option").evaluate_all("os => os.map(o => o.value)")  # type: ignore[attr-defined]
        assert "declarations" not in offered and "events" not in offered, offered


def test_admin_creates_a_user_who_makes_and_revokes_a_token(
    live_server: LiveServer, browser_page: object
) -> None:
    page = browser_page
    live_server.login(page, "customs_admin")
    page.click("header nav a:has-text('Users')")  # type: ignore[attr-defined]
    form = page.locator("form[action='/admin/users']")  # type: ignore[attr-defined]
    form.locator("input[name=username]").fill("new_analyst")
    form.locator("input[name=password]").fill("a long enough passphrase")
    form.locator("select[name=role]").select_option("analyst")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=User created.")  # type: ignore[attr-defined]
    _logout(page)
    live_server.login(page, "new_analyst", "a long enough passphrase")
    page.goto(f"{live_server.url}/account")  # type: ignore[attr-defined]
    page.fill("form[action='/account/tokens'] input[name=name]", "feed")  # type: ignore[attr-defined]
    page.click("form[action='/account/tokens'] button[type=submit]")  # type: ignore[attr-defined]
    assert len(page.inner_text("[data-testid=new-token]")) > 20  # type: ignore[attr-defined]
    page.on("dialog", lambda d: d.accept())  # type: ignore[attr-defined]
    page.click("[data-testid=tokens] button:has-text('Revoke')")  # type: ignore[attr-defined]
    page.wait_for_selector("[data-testid=tokens] td:has-text('revoked')")  # type: ignore[attr-defined]
    assert page.goto(f"{live_server.url}/admin/users").status == 403  # type: ignore[attr-defined]
