"""The sharing figures on the monitoring dashboard and in the periodic report; cases need an agreement for
cases (a service call that reaches the decision point)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.database import utcnow
from mainport.errors import PermissionDenied
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import system_principal
from mainport.sharing import figures, service
from mainport.sharing.models import Agreement
from tests.sharing.seed import box_with_event


def _shared(session: Session, principal_factory) -> str:  # type: ignore[no-untyped-def]
    from mainport.shipments import service as shipments

    service.seed_defaults(session=session)
    police = principal_factory(kind=OrgKind.police, org_code="NP-RTM", role=Role.admin)
    box_with_event(session, "MSCU1234565", hub="rotterdam", facility="ECTDE")
    shipments.container_journey(session=session, actor=police, number="MSCU1234565")
    month = utcnow().strftime("%Y-%m")
    figures.store(session, month)
    return month


def test_dashboard_shows_the_stored_sharing_figures(
    session, principal_factory, app_client, token_for
) -> None:
    month = _shared(session, principal_factory)
    customs = principal_factory(kind=OrgKind.customs, org_code="DOUANE", role=Role.analyst)
    session.commit()
    r = app_client.get("/monitoring", headers=token_for(customs))
    assert r.status_code == 200
    table = r.text.split('data-testid="mon-sharing"', 1)[1].split("</table>", 1)[0]
    assert f"<td>{month}</td><td>DOUANE</td><td>NP-RTM</td><td>events</td><td>1</td><td>1</td>" in table


def test_the_periodic_report_has_the_sharing_section(
    session: Session, principal_factory, tmp_path: Path
) -> None:
    from mainport.monitoring.report import build_report

    month = _shared(session, principal_factory)
    out = build_report(session=session, actor=system_principal(), period=month, out=tmp_path / "r.html")
    html = out.read_text()
    assert "Data shared between partners" in html
    section = html.split('data-testid="report-sharing"', 1)[1].split("</table>", 1)[0]
    assert "NP-RTM" in section and "events" in section


def test_cases_need_an_agreement_for_cases(session: Session, principal_factory) -> None:
    from mainport.cases import service as cases

    service.seed_defaults(session=session)
    police = principal_factory(kind=OrgKind.police, org_code="NP-RTM", role=Role.analyst)
    assert cases.list_cases(session=session, actor=police) == []
    ref = "DEFAULT-cases-read-police"
    agreement = session.scalar(select(Agreement).where(Agreement.reference == ref))
    assert agreement is not None
    service.revoke_agreement(session=session, actor=system_principal(), agreement_id=agreement.id, reason="t")
    again = principal_factory(kind=OrgKind.police, org_code="NP-RTM", role=Role.analyst, username="p9")
    assert again.can("intel:read")  # selections stay
    with pytest.raises(PermissionDenied, match="no agreement to read cases"):
        cases.list_cases(session=session, actor=again)
