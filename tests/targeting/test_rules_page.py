"""The rules and models page: rules in force listed, a profile added from the page (a broken one answered
in one line, nothing saved), training refused in one line without outcomes; only targeting admins."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from mainport.identity.models import OrgKind, Role
from tests.conftest import PrincipalFactory
from tests.web.test_navigation import login

PROFILE = """profile: ui_test_profile
owner: douane-test
rules:
  - id: heavy-from-source
    version: 1
    rationale: heavy boxes loaded in a source country
    valid_from: 2024-01-01
    weight: 0.2
    when: loading_in_source
"""


def test_rules_page_adds_a_profile_and_refuses_others(
    app_client: TestClient, session: Session, principal_factory: PrincipalFactory
) -> None:
    principal_factory(Role.analyst, OrgKind.customs, username="rules_admin")
    principal_factory(Role.viewer, OrgKind.customs, username="rules_viewer")
    session.commit()
    login(app_client, "rules_admin")
    page = app_client.get("/targeting/rules").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = app_client.post("/targeting/rules", data={"csrf_token": csrf, "yaml_text": "profile: [unclosed"})
    assert r.status_code == 422 and 'data-testid="error"' in r.text
    r = app_client.post(
        "/targeting/rules", data={"csrf_token": csrf, "yaml_text": PROFILE}, follow_redirects=True
    )
    assert r.status_code == 200 and "heavy-from-source@v1" in r.text and 'data-testid="notice"' in r.text
    r = app_client.post("/targeting/models", data={"csrf_token": csrf, "until": "not-a-day"})
    assert r.status_code == 422 and "is not a date" in r.text
    app_client.cookies.clear()
    login(app_client, "rules_viewer")
    assert app_client.get("/targeting/rules", headers={"accept": "text/html"}).status_code == 403
