"""Sharing requests (ask, approve, refuse, withdraw, expire) and delegation evidence, with the wrong user
refused at every step."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from mainport.audit.models import AuditEntry
from mainport.database import utcnow
from mainport.errors import NotFound, PermissionDenied, ValidationFailed
from mainport.identity import policy
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import system_principal
from mainport.sharing import delegations, requests, service
from tests.sharing.seed import box_with_event, release_right


@pytest.fixture
def seeded(session: Session) -> Session:
    service.seed_defaults(session=session)
    return session


def _ask(session: Session, actor: Any, **kw: Any) -> Any:
    args: dict[str, Any] = dict(
        owner_org="DOUANE",
        category_code="seizures",
        purpose_code="steering",
        legal_basis_code="GDPR-6-1-E",
        justification="monthly steering group",
        conditions=["aggregated_only"],
    )
    args.update(kw)
    return requests.ask(session=session, actor=actor, **args)


def test_approved_request_becomes_an_agreement_in_force(seeded: Session, principal_factory) -> None:
    principal_factory(kind=OrgKind.customs, org_code="DOUANE", role=Role.admin, username="douane.admin")
    customs = principal_factory(kind=OrgKind.customs, org_code="DOUANE", role=Role.admin, username="d2")
    police = principal_factory(kind=OrgKind.police, org_code="NP-RTM", role=Role.admin)
    req = _ask(
        seeded,
        police,
        category_code="staff_lookups",
        purpose_code="integrity",
        legal_basis_code="WPG-16",
        conditions=["pseudonymised"],
        wanted_until=utcnow() + timedelta(days=30),
    )
    assert req.status == "open" and req.expires_at > utcnow()
    done = requests.approve(session=seeded, actor=customs, request_id=req.id, reason="investigation 26-114")
    assert done.status == "approved" and done.agreement_id is not None
    agreement = service.get_agreement(session=seeded, actor=customs, agreement_id=done.agreement_id)
    assert agreement.partner_org == "NP-RTM" and agreement.conditions == ["pseudonymised"]
    assert agreement.valid_to == req.wanted_until
    again = principal_factory(kind=OrgKind.police, org_code="NP-RTM", role=Role.analyst)
    refs = {g.reference for g in again.grants.for_("staff_lookups", "read")}
    assert refs == {"REQ-1", "DEFAULT-staff_lookups-read-police"} or "REQ-" in " ".join(refs)
    # The default police agreement (no pseudonymisation) still stands: the least restricted grant wins.
    assert again.grants.pseudonymised("staff_lookups") is False
    assert again.can("insider:read")
    with pytest.raises(ValidationFailed, match="approved already"):
        requests.refuse(session=seeded, actor=customs, request_id=req.id, reason="late")


def test_refusal_needs_a_reason_and_the_owner(seeded: Session, principal_factory) -> None:
    customs = principal_factory(kind=OrgKind.customs, org_code="DOUANE", role=Role.admin)
    analyst = principal_factory(kind=OrgKind.customs, org_code="DOUANE", role=Role.analyst)
    other_owner = principal_factory(kind=OrgKind.police, org_code="NP-X", role=Role.admin)
    gem = principal_factory(kind=OrgKind.municipality, org_code="GEM-RTM", role=Role.admin)
    req = _ask(seeded, gem)
    with pytest.raises(ValidationFailed, match="reason"):
        requests.refuse(session=seeded, actor=customs, request_id=req.id, reason=" ")
    with pytest.raises(PermissionDenied):
        requests.refuse(session=seeded, actor=analyst, request_id=req.id, reason="no")
    with pytest.raises(NotFound):  # not a party to it: the same answer as no such request
        requests.approve(session=seeded, actor=other_owner, request_id=req.id)
    with pytest.raises(PermissionDenied):
        requests.approve(session=seeded, actor=gem, request_id=req.id)  # not the owner of its own request
    done = requests.refuse(session=seeded, actor=customs, request_id=req.id, reason="figures are public")
    assert done.status == "refused" and done.decision_reason == "figures are public"
    actions = [e.action for e in seeded.query(AuditEntry).order_by(AuditEntry.seq)]
    assert "sharing.request.ask" in actions and "sharing.request.refuse" in actions


def test_requests_a_party_could_never_get_are_refused_at_once(seeded: Session, principal_factory) -> None:
    terminal = principal_factory(
        kind=OrgKind.terminal, org_code="TERM-1", role=Role.admin, facility_code="ECTDE"
    )
    principal_factory(kind=OrgKind.customs, org_code="DOUANE", role=Role.admin)
    with pytest.raises(ValidationFailed, match="never given to a private party"):
        _ask(seeded, terminal, category_code="declarations", conditions=[])
    with pytest.raises(ValidationFailed, match="not an organisation"):
        _ask(seeded, terminal, owner_org="NOBODY")
    with pytest.raises(ValidationFailed, match="not a data category"):
        _ask(seeded, terminal, category_code="everything")
    with pytest.raises(ValidationFailed, match="conditions: nonsense unknown"):
        _ask(seeded, terminal, conditions=["nonsense"])
    viewer = principal_factory(kind=OrgKind.terminal, org_code="TERM-1", role=Role.viewer)
    with pytest.raises(PermissionDenied):
        _ask(seeded, viewer)


def test_undecided_requests_expire_and_cannot_be_decided(seeded: Session, principal_factory) -> None:
    customs = principal_factory(kind=OrgKind.customs, org_code="DOUANE", role=Role.admin)
    gem = principal_factory(kind=OrgKind.municipality, org_code="GEM-RTM", role=Role.admin)
    req = _ask(seeded, gem, open_days=1)
    later = utcnow() + timedelta(days=2)
    assert requests.expire(session=seeded, actor=system_principal(), now=later) == 1
    assert requests.expire(session=seeded, actor=system_principal(), now=later) == 0
    seeded.refresh(req)
    assert req.status == "expired"
    with pytest.raises(ValidationFailed, match="expired"):
        requests.approve(session=seeded, actor=customs, request_id=req.id)


def test_others_do_not_see_a_request(seeded: Session, principal_factory) -> None:
    principal_factory(kind=OrgKind.customs, org_code="DOUANE", role=Role.admin)
    gem = principal_factory(kind=OrgKind.municipality, org_code="GEM-RTM", role=Role.admin)
    stranger = principal_factory(kind=OrgKind.terminal, org_code="TERM-9", role=Role.admin)
    req = _ask(seeded, gem)
    with pytest.raises(NotFound):
        requests.get_request(session=seeded, actor=stranger, request_id=req.id)
    assert requests.list_requests(session=seeded, actor=stranger) == []
    assert [r.id for r in requests.list_requests(session=seeded, actor=gem)] == [req.id]


def test_delegation_lets_a_haulier_see_the_forwarders_container(seeded: Session, principal_factory) -> None:
    box_with_event(seeded, "MSCU1234565", hub="rotterdam", facility="ECTDE")
    box_with_event(seeded, "MSCU1234565", hub="rotterdam", facility="ECTDE", code="INSP")
    box_with_event(seeded, "MAEU7654320", hub="rotterdam", facility="ECTDE")
    fwd = principal_factory(kind=OrgKind.forwarder, org_code="FWD-1", role=Role.admin)
    principal_factory(kind=OrgKind.haulier, org_code="HAUL-1", role=Role.officer)
    release_right(seeded, "MSCU1234565", holder="FWD-1")
    haulier = principal_factory(kind=OrgKind.haulier, org_code="HAUL-1", role=Role.officer, username="h0")
    assert not policy.may_see_container(seeded, haulier, "MSCU1234565")
    row = delegations.add_delegation(
        session=seeded,
        actor=fwd,
        delegate_org="HAUL-1",
        evidence="ishare:ev:42",
        not_on_or_after=utcnow() + timedelta(days=2),
        container_number="MSCU 1234565",
    )
    haulier = principal_factory(kind=OrgKind.haulier, org_code="HAUL-1", role=Role.officer, username="h1")
    assert haulier.grants.delegated
    assert policy.may_see_container(seeded, haulier, "MSCU1234565")
    assert not policy.may_see_container(seeded, haulier, "MAEU7654320")  # not delegated
    from sqlalchemy import select

    from mainport.shipments.models import ContainerEvent

    codes = set(seeded.scalars(select(ContainerEvent.type_code).where(policy.visible_events(haulier))))
    assert codes == {"DISC"}  # never the inspection
    doc = delegations.delegation_evidence(row)["delegationEvidence"]
    assert doc["policyIssuer"] == "FWD-1" and doc["target"]["accessSubject"] == "HAUL-1"
    assert doc["policySets"][0]["policies"][0]["target"]["resource"]["identifiers"] == ["MSCU1234565"]
    # The haulier may not revoke it, the forwarder may; then the container is gone again.
    with pytest.raises(PermissionDenied):
        delegations.revoke_delegation(session=seeded, actor=haulier, delegation_id=row.id)
    delegations.revoke_delegation(session=seeded, actor=fwd, delegation_id=row.id)
    assert not policy.may_see_container(seeded, haulier, "MSCU1234565")


def test_a_delegation_never_gives_more_than_the_delegator_holds(seeded: Session, principal_factory) -> None:
    box_with_event(seeded, "MSCU1234565", hub="rotterdam", facility="ECTDE")
    fwd = principal_factory(kind=OrgKind.forwarder, org_code="FWD-2", role=Role.admin)
    principal_factory(kind=OrgKind.haulier, org_code="HAUL-2", role=Role.officer)
    delegations.add_delegation(
        session=seeded,
        actor=fwd,
        delegate_org="HAUL-2",
        evidence="ev-1",
        not_on_or_after=utcnow() + timedelta(days=2),
    )
    haulier = principal_factory(kind=OrgKind.haulier, org_code="HAUL-2", role=Role.officer, username="h2")
    assert not policy.may_see_container(seeded, haulier, "MSCU1234565")  # FWD-2 holds no right for it
    with pytest.raises(PermissionDenied):
        delegations.add_delegation(
            session=seeded,
            actor=fwd,
            delegate_org="HAUL-2",
            evidence="ev",
            delegator_org="FWD-9",
            not_on_or_after=utcnow() + timedelta(days=1),
        )
    with pytest.raises(ValidationFailed, match="ISO 6346"):
        delegations.add_delegation(
            session=seeded,
            actor=fwd,
            delegate_org="HAUL-2",
            evidence="ev",
            container_number="NOPE",
            not_on_or_after=utcnow() + timedelta(days=1),
        )
