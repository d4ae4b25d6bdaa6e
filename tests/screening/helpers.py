"""Shared set-up of the screening tests: a terminal with a high-risk role, people, certificates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from mainport.database import utcnow
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal
from mainport.screening import service
from mainport.screening.models import Person


def actors(principal_factory: Any) -> dict[str, Principal]:
    return {
        "pso": principal_factory(
            role=Role.officer,
            kind=OrgKind.terminal,
            org_code="TERM-ECT",
            node_code="rotterdam",
            facility_code="ECTDE",
        ),
        "other_pso": principal_factory(
            role=Role.officer,
            kind=OrgKind.terminal,
            org_code="TERM-APM",
            node_code="rotterdam",
            facility_code="APMII",
        ),
        "port": principal_factory(
            role=Role.officer, kind=OrgKind.port_authority, org_code="HBR-RTM", node_code="rotterdam"
        ),
        "police": principal_factory(role=Role.officer, kind=OrgKind.police, org_code="POL-RTM"),
        "police_admin": principal_factory(role=Role.admin, kind=OrgKind.police, org_code="POL-RTM"),
        "police_admin2": principal_factory(role=Role.admin, kind=OrgKind.police, org_code="POL-RTM"),
        "customs": principal_factory(role=Role.analyst, kind=OrgKind.customs),
        "viewer": principal_factory(role=Role.viewer, kind=OrgKind.terminal, org_code="TERM-ECT-V"),
        "line": principal_factory(role=Role.officer, kind=OrgKind.shipping_line),
    }


def planner(
    session: Session,
    pso: Principal,
    ref: str = "ECT-0001",
    *,
    gate_id: str | None = "DRV-42",
    account: str | None = "ectde.001",
    valid_days: int = 365,
    name: str | None = "Jan Jansen",
) -> Person:
    """A planner of TERM-ECT (high-risk role needing a port VOG) with a VOG valid for `valid_days`."""
    service.upsert_role(
        session=session, actor=pso, org_code="TERM-ECT", code="planner", requires=["port_vog"]
    )
    person, _ = service.register_person(
        session=session,
        actor=pso,
        reference=ref,
        employer_org="TERM-ECT",
        hub="rotterdam",
        role_code="planner",
        account=account,
        gate_id=gate_id,
        full_name=name,
    )
    now = utcnow()
    if valid_days:
        service.record_certificate(
            session=session,
            actor=pso,
            alias=person.alias,
            kind="port_vog",
            issuer="Justis",
            issued_at=now - timedelta(days=300),
            valid_until=now + timedelta(days=valid_days),
        )
    return person
