"""The menu follows the work and offers only pages that open: every role of every kind of organisation gets
200 on each link it is shown, and is shown no link to a page it is refused."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from mainport.identity.models import OrgKind, Role
from tests.conftest import PASSWORD, PrincipalFactory

NAV_LINK = re.compile(r'<nav aria-label="main"[^>]*>(.*?)</nav>', re.S)
HREF = re.compile(r'href="([^"]+)"')
# Pages a menu may offer, to check the ones not offered are really refused.
EVERY_PAGE = (
    "/",
    "/declarations",
    "/containers",
    "/quarantine",
    "/alerts",
    "/cases",
    "/targeting",
    "/targeting/intel",
    "/custody/board",
    "/monitoring",
    "/operations",
    "/admin/users",
    "/scans",
    "/release",
)


def login(client: TestClient, username: str) -> None:
    html = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    r = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def menu(client: TestClient) -> list[str]:
    html = client.get("/").text
    found = NAV_LINK.search(html)
    assert found, "no main navigation on the overview page"
    return HREF.findall(found.group(1))


CASES = [
    (kind, role)
    for kind in OrgKind
    for role in Role
    # every role of customs and police; one role per other kind keeps the run short
    if kind in {OrgKind.customs, OrgKind.police}
    or (kind, role) in {(OrgKind.terminal, Role.officer), (OrgKind.municipality, Role.viewer)}
    or (kind not in {OrgKind.terminal, OrgKind.municipality} and role == Role.analyst)
]


@pytest.mark.parametrize(("kind", "role"), CASES, ids=[f"{k.value}-{r.value}" for k, r in CASES])
def test_every_link_in_the_menu_opens(
    app_client: TestClient, principal_factory: PrincipalFactory, kind: OrgKind, role: Role
) -> None:
    extra = {"facility_code": "ECTDE"} if kind == OrgKind.terminal else {}
    if kind == OrgKind.shipping_line:
        extra = {"carrier_code": "MAEU"}
    p = principal_factory(role, kind, node_code="rotterdam", **extra)
    login(app_client, p.username)
    links = menu(app_client)
    assert links, "every user has at least the overview"
    for href in links:
        r = app_client.get(href, headers={"accept": "text/html"})
        assert r.status_code == 200, (href, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("text/html"), href
    for href in set(EVERY_PAGE) - set(links):
        r = app_client.get(href, headers={"accept": "text/html"}, follow_redirects=False)
        assert r.status_code in (403, 404), (href, r.status_code)


def test_menus_follow_the_work_of_each_role(
    app_client: TestClient, principal_factory: PrincipalFactory
) -> None:
    groups = re.compile(r'data-group="([^"]+)"')
    analyst = principal_factory(Role.analyst, OrgKind.customs, node_code="rotterdam")
    login(app_client, analyst.username)
    html = app_client.get("/").text
    assert groups.findall(html)[0] == "Today"
    for label in ("Selection", "Alerts", "Cases", "Declarations", "Intelligence"):
        assert f">{label}</a>" in html, label
    app_client.cookies.clear()
    officer = principal_factory(Role.officer, OrgKind.terminal, node_code="rotterdam", facility_code="ECTDE")
    login(app_client, officer.username)
    html = app_client.get("/").text
    assert groups.findall(html)[0] == "Control"
    assert ">Guarded area</a>" in html and ">Declarations</a>" not in html and ">Alerts</a>" not in html
    app_client.cookies.clear()
    steering = principal_factory(Role.viewer, OrgKind.municipality)
    login(app_client, steering.username)
    html = app_client.get("/").text
    assert groups.findall(html)[0] == "Monitoring"
    assert ">Cases</a>" not in html and ">Containers</a>" in html


def test_the_overview_lists_the_days_work_per_role(
    app_client: TestClient, principal_factory: PrincipalFactory
) -> None:
    work = re.compile(r'<ul class="work" data-testid="work">(.*?)</ul>', re.S)
    analyst = principal_factory(Role.analyst, OrgKind.customs, node_code="rotterdam")
    login(app_client, analyst.username)
    html = work.search(app_client.get("/").text).group(1)  # type: ignore[union-attr]
    for text in (
        "Selection rotterdam today: not run yet",
        "Alerts to triage",
        "Open cases",
        "Scans awaiting review",
    ):
        assert text in html, text
    app_client.cookies.clear()
    officer = principal_factory(Role.officer, OrgKind.terminal, node_code="rotterdam", facility_code="ECTDE")
    login(app_client, officer.username)
    html = work.search(app_client.get("/").text).group(1)  # type: ignore[union-attr]
    assert "Under control in the guarded area" in html and "Release checks" in html and "Alerts" not in html
