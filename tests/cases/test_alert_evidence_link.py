from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from mainport.cases import service
from mainport.identity.models import Role
from mainport.identity.principal import Principal
from tests.conftest import PrincipalFactory


def test_queue_links_local_evidence_only(
    app_client: TestClient,
    session: Session,
    principal_factory: PrincipalFactory,
    token_for: Callable[[Principal], dict[str, str]],
) -> None:
    analyst = principal_factory(Role.analyst)
    for number, url in (("CSQU3054383", "/scans/CSQU3054383?comparison=7"), ("MSKU9070323", "javascript:x")):
        service.raise_alert(
            session=session,
            actor=analyst,
            source="imaging",
            kind="scan_difference",
            container_number=number,
            severity=3,
            title=f"difference in {number}",
            detail={"url": url},
        )
    session.commit()
    html = app_client.get("/alerts", headers=token_for(analyst)).text
    assert 'href="/scans/CSQU3054383?comparison=7"' in html
    assert "javascript:x" not in html and html.count('data-testid="alert-evidence"') == 1
