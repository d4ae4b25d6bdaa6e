"""The register: pseudonymised people, certificates, bans, need-to-know, and what they do at the gate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport import flows
from mainport.audit.models import AuditEntry
from mainport.cases.models import Alert
from mainport.custody import release, suspensions
from mainport.database import utcnow
from mainport.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mainport.identity.principal import system_principal
from mainport.screening import service, views
from mainport.screening.models import PersonIdentity
from tests.custody.test_custody_release import BOX, _check, _token
from tests.custody.test_custody_release import parties as parties
from tests.screening.helpers import actors, planner


@pytest.fixture
def who(principal_factory: Any) -> dict[str, Any]:
    return actors(principal_factory)


def _kinds(session: Session) -> set[str]:
    return set(session.scalars(select(Alert.kind)))


def test_alias_is_a_stable_keyed_hash_and_the_name_is_held_apart(session: Session, who: Any) -> None:
    p = planner(session, who["pso"])
    assert p.alias.startswith("P-") and len(p.alias) == 10
    assert "Jansen" not in p.alias and p.key_hash != "ECT-0001"
    again, created = service.register_person(
        session=session,
        actor=who["pso"],
        reference=" ect-0001 ",
        employer_org="TERM-ECT",
        role_code="planner",
        account="ectde.001",
        gate_id="DRV-42",
    )
    assert not created and again.id == p.id and again.alias == p.alias
    ident = session.scalar(select(PersonIdentity).where(PersonIdentity.person_id == p.id))
    assert ident is not None and ident.full_name == "Jan Jansen"
    assert not any(hasattr(p, n) for n in ("full_name", "name"))


def test_high_risk_role_without_certificate_is_lapsed_and_alerted(session: Session, who: Any) -> None:
    p = planner(session, who["pso"], valid_days=0)
    assert p.status == "screening_lapsed"
    assert "screening.no_certificate" in _kinds(session)
    assert suspensions.active_reason(session, "DRV-42") == "screening_lapsed"
    service.record_certificate(
        session=session,
        actor=who["pso"],
        alias=p.alias,
        kind="port_vog",
        issuer="Justis",
        issued_at=utcnow() - timedelta(days=1),
        valid_until=utcnow() + timedelta(days=365),
    )
    assert p.status == "ok" and suspensions.active_reason(session, "DRV-42") is None


def test_expiry_is_dated_so_the_gate_refuses_from_the_moment_it_ends(session: Session, who: Any) -> None:
    p = planner(session, who["pso"], valid_days=10)
    assert p.status == "ok"
    assert suspensions.active_reason(session, "DRV-42") is None
    assert suspensions.active_reason(session, "DRV-42", utcnow() + timedelta(days=11)) == "screening_lapsed"
    found = flows.screening_sweep(session=session, actor=system_principal(), now=utcnow())
    assert found.expiring == 1 and "screening.expiring" in _kinds(session)


def test_ban_refuses_the_gate_at_once_naming_the_reason(session: Session, who: Any, parties: Any) -> None:
    _right, token = _token(session, parties)
    p = planner(session, who["pso"])
    ban, _ = service.issue_ban(
        session=session, actor=who["police"], alias=p.alias, reason="court order 2026/17"
    )
    assert p.status == "port_ban"
    answer = _check(session, parties, token)
    assert not answer.allowed and answer.reason == "port_ban"
    assert "screening.banned_seen" in _kinds(session)
    service.lift_ban(session=session, actor=who["police"], ban_id=ban.id, reason="appeal upheld")
    assert _check(session, parties, token).allowed


def test_lapsed_screening_refuses_the_gate(session: Session, who: Any, parties: Any) -> None:
    _right, token = _token(session, parties)
    p = planner(session, who["pso"])
    cert = session.scalars(select(service.Certificate)).one()
    service.withdraw_certificate(
        session=session, actor=who["pso"], certificate_id=cert.id, reason="VOG revoked"
    )
    assert p.status == "screening_lapsed"
    answer = _check(session, parties, token)
    assert (answer.allowed, answer.reason) == (False, "screening_lapsed")


def test_suspended_driver_cannot_be_nominated(session: Session, who: Any, parties: Any) -> None:
    p = planner(session, who["pso"])
    service.issue_ban(session=session, actor=who["port"], alias=p.alias, reason="port ban by the mayor")
    right = release.issue_right(
        session=session,
        actor=parties["line"],
        container_number=BOX,
        facility_code="ECTDE",
        release_party="FWD-1",
    )
    release.nominate(session=session, actor=parties["forwarder"], right_id=right.id, nominee="HAUL-1")
    with pytest.raises(Conflict, match="DRV-42 is suspended \\(port_ban\\)"):
        release.nominate(session=session, actor=parties["haulier"], right_id=right.id, nominee="DRV-42")


def test_ban_needs_police_or_port_authority(session: Session, who: Any) -> None:
    p = planner(session, who["pso"])
    with pytest.raises(PermissionDenied, match="may not issue port bans"):
        service.issue_ban(session=session, actor=who["pso"], alias=p.alias, reason="x" * 20)
    with pytest.raises(ValidationFailed, match="reason"):
        service.issue_ban(session=session, actor=who["police"], alias=p.alias, reason=" ")


@pytest.mark.parametrize("role", ["customs", "viewer", "line"])
def test_wrong_role_is_refused(session: Session, who: Any, role: str) -> None:
    planner(session, who["pso"])
    with pytest.raises(PermissionDenied, match="screening:read"):
        views.list_people(session=session, actor=who[role])
    with pytest.raises(PermissionDenied, match="screening:write"):
        service.register_person(session=session, actor=who[role], reference="X-1", employer_org="TERM-ECT")


def test_a_terminal_sees_and_manages_only_its_own_staff(session: Session, who: Any) -> None:
    p = planner(session, who["pso"])
    other, _ = service.register_person(
        session=session, actor=who["other_pso"], reference="APM-1", employer_org="TERM-APM", hub="rotterdam"
    )
    mine, _total = views.list_people(session=session, actor=who["pso"])
    assert [x.alias for x in mine] == [p.alias]
    with pytest.raises(NotFound):
        views.timeline(session=session, actor=who["pso"], alias=other.alias)
    with pytest.raises(PermissionDenied, match="own staff"):
        service.register_person(session=session, actor=who["pso"], reference="APM-2", employer_org="TERM-APM")
    # The port authority sees the staff of its hub; the police see everyone.
    assert {x.alias for x in views.list_people(session=session, actor=who["port"])[0]} == {
        p.alias,
        other.alias,
    }
    assert len(views.list_people(session=session, actor=who["police"])[0]) == 2


def test_reads_are_audited(session: Session, who: Any) -> None:
    p = planner(session, who["pso"])
    views.timeline(session=session, actor=who["police"], alias=p.alias)
    views.expiry_board(session=session, actor=who["police"])
    actions = set(
        session.scalars(select(AuditEntry.action).where(AuditEntry.actor == who["police"].username))
    )
    assert {"screening.person.read", "screening.expiry.read"} <= actions
