"""The custody plan page shows why a box was selected only to intelligence users (as the API does); a
government viewer sees the plan and its log, not the reason; another terminal is refused."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from mainport.custody import service as custody
from mainport.identity.models import OrgKind, Role
from tests.conftest import PrincipalFactory
from tests.web.test_navigation import login

HTML = {"accept": "text/html"}


def test_plan_page_keeps_the_reason_to_intelligence_users(
    app_client: TestClient, session: Session, principal_factory: PrincipalFactory
) -> None:
    analyst = principal_factory(Role.analyst, OrgKind.customs, username="plan_analyst")
    principal_factory(Role.viewer, OrgKind.customs, username="plan_viewer")
    principal_factory(Role.officer, OrgKind.terminal, username="plan_ect", facility_code="ECTDE")
    principal_factory(Role.officer, OrgKind.terminal, username="plan_apm", facility_code="APMII")
    plan = custody.open_plan(session=session, actor=analyst, container_number="MSCU1234565",
                             facility_code="ECTDE", reason="SECRET-REASON tip from liaison")  # fmt: skip
    session.commit()
    url = f"/custody/plans/{plan.id}"
    seen = {}
    for user in ("plan_analyst", "plan_viewer", "plan_ect", "plan_apm"):
        app_client.cookies.clear()
        login(app_client, user)
        r = app_client.get(url, headers=HTML)
        seen[user] = (r.status_code, "SECRET-REASON" in r.text, "step-form" in r.text)
    assert seen == {
        "plan_analyst": (200, True, True),
        "plan_viewer": (200, False, False),  # no custody:write: no form either
        "plan_ect": (200, False, True),
        "plan_apm": (403, False, False),
    }
