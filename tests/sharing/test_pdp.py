"""The policy decision point: the default agreements reproduce the fixed matrix exactly, stored or built in,
and a change of agreement changes the decision."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from mainport.database import utcnow
from mainport.identity import policy
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import PERMISSIONS, Principal
from mainport.sharing import pdp, service
from mainport.sharing.defaults import default_agreements


def _principal(kind: OrgKind, role: Role, grants: object = None) -> Principal:
    return Principal(
        user_id=1,
        username="u",
        role=role,
        org_id=1,
        org_code="ORG",
        org_kind=kind,
        node_code="rotterdam",
        facility_code="ECTDE",
        carrier_code="MSCU",
        grants=grants,
    )


def test_default_grants_reproduce_the_fixed_matrix_for_every_kind_role_and_permission() -> None:
    checked = 0
    for kind in OrgKind:
        grants = pdp.default_grants("ORG", kind.value)
        for role in Role:
            fixed, decided = _principal(kind, role), _principal(kind, role, grants)
            for permission in PERMISSIONS:
                assert decided.can(permission) == fixed.can(permission), (kind, role, permission)
                checked += 1
    assert checked == len(OrgKind) * len(Role) * len(PERMISSIONS)


def test_default_agreements_are_unique_and_well_formed() -> None:
    refs = [d.reference for d in default_agreements()]
    assert len(refs) == len(set(refs))
    for d in default_agreements():
        assert set(d.conditions) <= pdp.CONDITIONS and set(d.actions) <= set(pdp.ACTIONS)


def test_scopes_follow_the_conditions() -> None:
    terminal = pdp.default_grants("T", "terminal")
    assert terminal.scopes("events", "read") == {"own_facility"}
    assert pdp.default_grants("M", "municipality").scopes("events", "read") is None  # figures only
    assert pdp.default_grants("C", "customs").scopes("events", "read") == frozenset()
    assert pdp.default_grants("M", "municipality").permits("monitoring:read") is True
    assert pdp.default_grants("M", "municipality").permits("monitoring:detail") is False
    assert terminal.permits("users:admin") is None  # no data sharing: the fixed matrix decides


def test_stored_defaults_decide_as_the_built_in_ones(session: Session, principal_factory) -> None:
    assert service.seed_defaults(session=session) == len(default_agreements())
    assert service.seed_defaults(session=session) == 0  # idempotent
    for kind in OrgKind:
        stored = pdp.grants_for(session, "ANY", kind.value)
        built_in = pdp.default_grants("ANY", kind.value)
        for permission in PERMISSIONS:
            assert stored.permits(permission) == built_in.permits(permission), (kind, permission)
        assert stored.scopes("events", "read") == built_in.scopes("events", "read")
        assert all(g.agreement_id is not None for gs in stored.by_key.values() for g in gs)


def test_revoking_an_agreement_takes_the_permission_away(session: Session, principal_factory) -> None:
    service.seed_defaults(session=session)
    police = principal_factory(role=Role.analyst, kind=OrgKind.police, org_code="NP-1")
    assert police.can("declarations:read") and police.grants.best("declarations", "read").agreement_id
    agreement = session.scalar(
        select(service.Agreement).where(service.Agreement.reference == "DEFAULT-declarations-read-police")
    )
    service.revoke_agreement(session=session, actor=_system(), agreement_id=agreement.id, reason="ended")
    again = principal_factory(role=Role.analyst, kind=OrgKind.police, org_code="NP-1", username="p2")
    assert not again.can("declarations:read")
    assert again.can("intel:read")  # the other agreements stand


def test_an_expired_agreement_no_longer_counts(session: Session, principal_factory) -> None:
    service.seed_defaults(session=session)
    principal_factory(role=Role.admin, kind=OrgKind.municipality, org_code="GEM-RTM", username="gem0")
    service.create_agreement(
        session=session,
        actor=_system(),
        category_code="events",
        actions=["read"],
        purpose_code="port_security",
        legal_basis_code="ISPS",
        partner_org="GEM-RTM",
        conditions=["own_hub"],
        valid_from=utcnow() - timedelta(days=10),
        valid_to=utcnow() - timedelta(days=1),
    )
    gem = principal_factory(role=Role.admin, kind=OrgKind.municipality, org_code="GEM-RTM", username="gem1")
    assert gem.grants.scopes("events", "read") is None


def test_an_agreement_widens_the_sql_condition_to_its_scope(session: Session, principal_factory) -> None:
    """A municipality given its hub's events (own_hub) sees a container with an event there, not others."""
    from tests.sharing.seed import box_with_event

    service.seed_defaults(session=session)
    box_with_event(session, "MSCU1234565", hub="rotterdam", facility="ECTDE")
    box_with_event(session, "MAEU7654320", hub="amsterdam", facility="AMSCT")
    before = principal_factory(
        role=Role.viewer, kind=OrgKind.municipality, org_code="GEM-X", node_code="rotterdam"
    )
    assert not policy.may_see_container(session, before, "MSCU1234565")
    service.create_agreement(
        session=session,
        actor=_system(),
        category_code="events",
        actions=["read"],
        purpose_code="port_security",
        legal_basis_code="ISPS",
        partner_org="GEM-X",
        conditions=["own_hub"],
    )
    after = principal_factory(
        role=Role.viewer, kind=OrgKind.municipality, org_code="GEM-X", node_code="rotterdam", username="gx"
    )
    assert policy.may_see_container(session, after, "MSCU1234565")
    assert not policy.may_see_container(session, after, "MAEU7654320")
    assert session.scalar(select(literal(1)).where(policy.containers(after, literal("MAEU7654320")))) is None


def _system() -> Principal:
    from mainport.identity.principal import system_principal

    return system_principal()


@pytest.mark.parametrize("kind", [OrgKind.terminal, OrgKind.shipping_line, OrgKind.haulier])
def test_private_parties_never_get_customs_intelligence(session: Session, principal_factory, kind) -> None:
    from mainport.errors import ValidationFailed

    service.seed_defaults(session=session)
    principal_factory(kind=kind, org_code="PRIV")
    for category in ("declarations", "scans", "selections", "cases"):
        with pytest.raises(ValidationFailed, match="never given to a private party"):
            service.create_agreement(
                session=session,
                actor=_system(),
                category_code=category,
                actions=["read"],
                purpose_code="secure_release",
                legal_basis_code="GDPR-6-1-B",
                partner_org="PRIV",
            )
    with pytest.raises(ValidationFailed, match="need a scope"):
        service.create_agreement(
            session=session,
            actor=_system(),
            category_code="events",
            actions=["read"],
            purpose_code="secure_release",
            legal_basis_code="GDPR-6-1-B",
            partner_org="PRIV",
        )
