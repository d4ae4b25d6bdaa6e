"""The screening register: roles, people, certificates, port bans, and what they do at the gate.

Every change re-judges the person (`judge`): a person in a high-risk role needs a valid certificate of each
kind the role requires, and a port ban in force bars them. The verdict is written at once to the gate's
suspension list (`custody.suspensions`), dated: a certificate that runs out tomorrow suspends from the moment
it ends, so the gate refuses on time without waiting for a job. Alerts (no valid certificate, expiry within
30 days, banned person seen) go to the case queue (`jobs.py` runs the sweep; changes raise theirs at once).

Who may see whom is `identity.policy.people`; every read and change is audited."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.cases import service as cases
from mainport.config import get_settings
from mainport.custody import suspensions
from mainport.database import utcnow
from mainport.errors import NotFound, PermissionDenied, ValidationFailed
from mainport.identity import policy
from mainport.identity.models import OrgKind
from mainport.identity.principal import Principal
from mainport.screening.models import Certificate, HighRiskRole, Person, PersonIdentity, PortBan

CERTIFICATE_KINDS = ("port_vog", "vgb", "isps")
EXPIRY_NOTICE = timedelta(days=30)
# Who may issue or lift a port ban: the police and the port authority (the mayor's order is carried out here).
BAN_ORGS = frozenset({OrgKind.police, OrgKind.border_police, OrgKind.port_authority})


def _alias_key() -> bytes:
    # Domain-separated from the session-signing use of the same secret.
    return hashlib.sha256(b"mainport-screening-alias|" + get_settings().secret_key.encode()).digest()


def key_hash(reference: str) -> str:
    """The keyed hash of a person's reference (e.g. the employer's personnel number): stable, not reversible
    without the installation's secret."""
    ref = " ".join(reference.split()).upper()
    if not ref or len(ref) > 200:
        raise ValidationFailed("reference: 1..200 characters identifying the person")
    return hmac.new(_alias_key(), ref.encode(), hashlib.sha256).hexdigest()


def alias_for(hashed: str) -> str:
    """The alias shown for a person: 'P-' and eight base-32 characters of the keyed hash."""
    return "P-" + base64.b32encode(bytes.fromhex(hashed)[:5]).decode()


def require(actor: Principal, permission: str) -> None:
    """The permission check of this domain: the platform itself (jobs, the CLI without --as-user) may."""
    if not actor.is_system:
        actor.require(permission)


def _visible(actor: Principal, person: Person) -> bool:
    return policy.may_see_person(actor, person.employer_org, person.hub)


def _own(actor: Principal, employer: str) -> None:
    # Writes: police or the system for anyone; a security officer for its own organisation's staff.
    if actor.is_system or actor.org_kind in (OrgKind.police, OrgKind.border_police):
        return
    if employer != actor.org_code:
        raise PermissionDenied(f"{actor.org_code} manages its own staff only (not {employer})")


def get_person(*, session: Session, actor: Principal, alias: str) -> Person:
    """One person by alias (a person the actor may not see is not found: need-to-know)."""
    require(actor, "screening:read")
    person = session.scalar(select(Person).where(Person.alias == alias.strip().upper()))
    if person is None or not _visible(actor, person):
        raise NotFound(f"no person {alias!r}")
    return person


def upsert_role(
    *, session: Session, actor: Principal, org_code: str, code: str, title: str = "", requires: list[str]
) -> HighRiskRole:
    """Mark a job of an organisation as high-risk and name the certificates it requires."""
    require(actor, "screening:write")
    _own(actor, org_code)
    unknown = sorted(set(requires) - set(CERTIFICATE_KINDS))
    if unknown or not requires:
        raise ValidationFailed(
            f"requires: one or more of {', '.join(CERTIFICATE_KINDS)} (unknown: {', '.join(unknown) or '-'})"
        )
    code = code.strip().lower()
    if not code or len(code) > 32:
        raise ValidationFailed("role code must be 1..32 characters")
    role = session.scalar(
        select(HighRiskRole).where(HighRiskRole.org_code == org_code, HighRiskRole.code == code)
    )
    if role is None:
        role = HighRiskRole(org_code=org_code, code=code)
        session.add(role)
    role.title, role.requires = title[:200], sorted(set(requires))
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="screening.role.upsert",
        entity_type="screening_role",
        entity_id=f"{org_code}/{code}",
        detail={"requires": role.requires},
    )
    for person in session.scalars(
        select(Person).where(Person.employer_org == org_code, Person.role_code == code)
    ):
        judge(session=session, actor=actor, person=person)
    return role


def register_person(
    *,
    session: Session,
    actor: Principal,
    reference: str,
    employer_org: str,
    hub: str | None = None,
    role_code: str | None = None,
    account: str | None = None,
    gate_id: str | None = None,
    full_name: str | None = None,
) -> tuple[Person, bool]:
    """Add a person (or update the one with the same reference); returns (person, created). The name, when
    given, goes to the identity table only."""
    require(actor, "screening:write")
    _own(actor, employer_org)
    hashed = key_hash(reference)
    person = session.scalar(select(Person).where(Person.key_hash == hashed))
    created = person is None
    if person is None:
        person = Person(key_hash=hashed, alias=alias_for(hashed), employer_org=employer_org)
        session.add(person)
    elif not _visible(actor, person) and person.employer_org != employer_org:
        _own(actor, person.employer_org)  # moving someone else's employee is theirs (or the police's) to do
    person.employer_org, person.hub = employer_org, hub
    person.role_code = role_code.strip().lower() if role_code else None
    person.account, person.gate_id = account or None, gate_id or None
    person.updated_at = utcnow()
    session.flush()
    if full_name:
        ident = session.scalar(select(PersonIdentity).where(PersonIdentity.person_id == person.id))
        if ident is None:
            session.add(PersonIdentity(person_id=person.id, full_name=full_name[:200]))
        else:
            ident.full_name = full_name[:200]
        session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="screening.person.register" if created else "screening.person.update",
        entity_type="screening_person",
        entity_id=person.alias,
        detail={"employer": employer_org, "role": person.role_code, "name_given": bool(full_name)},
    )
    judge(session=session, actor=actor, person=person)
    return person, created


def record_certificate(
    *,
    session: Session,
    actor: Principal,
    alias: str,
    kind: str,
    issuer: str,
    issued_at: datetime,
    valid_until: datetime,
    number: str = "",
    key: str | None = None,
    source: str = "",
) -> tuple[Certificate, bool]:
    """Record a certificate of a person; the same one twice (by `key`) is stored once. Returns (cert, new)."""
    require(actor, "screening:write")
    person = get_person(session=session, actor=actor, alias=alias)
    _own(actor, person.employer_org)
    if kind not in CERTIFICATE_KINDS:
        raise ValidationFailed(f"kind: one of {', '.join(CERTIFICATE_KINDS)} (value {kind!r})")
    if valid_until <= issued_at:
        raise ValidationFailed("valid_until must be after issued_at")
    key = (
        key
        or hashlib.sha1(
            f"{person.id}|{kind}|{number}|{issued_at.isoformat()}|{valid_until.isoformat()}".encode(),
            usedforsecurity=False,
        ).hexdigest()
    )
    found = session.scalar(select(Certificate).where(Certificate.key == key))
    if found is not None:
        return found, False
    cert = Certificate(
        key=key,
        person_id=person.id,
        kind=kind,
        number=number[:64],
        issuer=issuer[:64],
        issued_at=issued_at,
        valid_until=valid_until,
        source=source[:300],
    )
    session.add(cert)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="screening.certificate.record",
        entity_type="screening_certificate",
        entity_id=str(cert.id),
        detail={"person": person.alias, "kind": kind, "valid_until": valid_until.isoformat()},
    )
    judge(session=session, actor=actor, person=person)
    return cert, True


def withdraw_certificate(
    *, session: Session, actor: Principal, certificate_id: int, reason: str
) -> Certificate:
    """The issuer withdrew it (a VOG revoked, a VGB withdrawn): it stops counting at once."""
    require(actor, "screening:write")
    cert = session.get(Certificate, certificate_id)
    person = session.get(Person, cert.person_id) if cert else None
    if cert is None or person is None or not _visible(actor, person):
        raise NotFound(f"no certificate {certificate_id}")
    _own(actor, person.employer_org)
    if not reason.strip():
        raise ValidationFailed("reason: say why the certificate is withdrawn")
    if cert.withdrawn_at is None:
        cert.withdrawn_at = utcnow()
        session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="screening.certificate.withdraw",
        entity_type="screening_certificate",
        entity_id=str(cert.id),
        detail={"person": person.alias, "reason": reason[:300]},
    )
    judge(session=session, actor=actor, person=person)
    return cert


def issue_ban(
    *,
    session: Session,
    actor: Principal,
    alias: str,
    reason: str,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    scope: str = "all",
    key: str | None = None,
    source: str = "",
) -> tuple[PortBan, bool]:
    """A port ban: the person's gate access and release nominations stop from `starts_at` (default now)."""
    require(actor, "screening:write")
    if not (actor.is_system or actor.org_kind in BAN_ORGS):
        raise PermissionDenied(f"{actor.org_code} ({actor.org_kind.value}) may not issue port bans")
    person = get_person(session=session, actor=actor, alias=alias)
    if not reason.strip():
        raise ValidationFailed("reason: say why the person is banned")
    starts_at = starts_at or utcnow()
    if ends_at is not None and ends_at <= starts_at:
        raise ValidationFailed("ends_at must be after starts_at")
    key = (
        key
        or hashlib.sha1(
            f"{person.id}|{scope}|{starts_at.isoformat()}|{reason}".encode(), usedforsecurity=False
        ).hexdigest()
    )
    found = session.scalar(select(PortBan).where(PortBan.key == key))
    if found is not None:
        return found, False
    ban = PortBan(
        key=key,
        person_id=person.id,
        scope=scope[:40],
        reason=reason[:300],
        starts_at=starts_at,
        ends_at=ends_at,
        issued_by=actor.username,
        source=source[:300],
    )
    session.add(ban)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="screening.ban.issue",
        entity_type="screening_ban",
        entity_id=str(ban.id),
        detail={"person": person.alias, "scope": scope, "ends_at": ends_at.isoformat() if ends_at else None},
    )
    judge(session=session, actor=actor, person=person)
    return ban, True


def lift_ban(*, session: Session, actor: Principal, ban_id: int, reason: str) -> PortBan:
    require(actor, "screening:write")
    if not (actor.is_system or actor.org_kind in BAN_ORGS):
        raise PermissionDenied(f"{actor.org_code} ({actor.org_kind.value}) may not lift port bans")
    ban = session.get(PortBan, ban_id)
    person = session.get(Person, ban.person_id) if ban else None
    if ban is None or person is None or not _visible(actor, person):
        raise NotFound(f"no port ban {ban_id}")
    if ban.lifted_at is None:
        ban.lifted_at = utcnow()
        session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="screening.ban.lift",
        entity_type="screening_ban",
        entity_id=str(ban.id),
        detail={"person": person.alias, "reason": reason[:300]},
    )
    judge(session=session, actor=actor, person=person)
    return ban


@dataclass(frozen=True)
class Verdict:
    status: str  # ok | screening_lapsed | port_ban
    lapse_at: datetime | None  # when the screening lapses (past: lapsed; None: not in a high-risk role)
    missing: tuple[str, ...]  # certificate kinds without a valid one now


def verdict(session: Session, person: Person, now: datetime | None = None) -> Verdict:
    """Pure judgement of one person from the register (no writes)."""
    now = now or utcnow()
    role = (
        session.scalar(
            select(HighRiskRole).where(
                HighRiskRole.org_code == person.employer_org, HighRiskRole.code == person.role_code
            )
        )
        if person.role_code
        else None
    )
    lapse_at: datetime | None = None
    missing: list[str] = []
    if role is not None:
        certs = list(
            session.scalars(
                select(Certificate).where(
                    Certificate.person_id == person.id, Certificate.withdrawn_at.is_(None)
                )
            )
        )
        ends = []
        for kind in role.requires:
            cover = [c.valid_until for c in certs if c.kind == kind and c.issued_at <= now < c.valid_until]
            if not cover:
                missing.append(kind)
            ends.append(max(cover) if cover else now)
        lapse_at = min(ends) if ends else None
    banned = any(
        b.lifted_at is None and b.starts_at <= now and (b.ends_at is None or b.ends_at > now)
        for b in session.scalars(select(PortBan).where(PortBan.person_id == person.id))
    )
    status = "port_ban" if banned else ("screening_lapsed" if missing else "ok")
    return Verdict(status, lapse_at, tuple(missing))


def judge(*, session: Session, actor: Principal, person: Person, now: datetime | None = None) -> Verdict:
    """Re-judge a person and put the verdict into force: status, gate suspensions, alerts."""
    now = now or utcnow()
    found = verdict(session, person, now)
    previous, person.status = person.status, found.status
    if person.gate_id:
        suspensions.set_suspension(
            session=session,
            subject=person.gate_id,
            reason="screening_lapsed",
            ref=f"person:{person.id}",
            since=found.lapse_at,
        )
        for ban in session.scalars(select(PortBan).where(PortBan.person_id == person.id)):
            suspensions.set_suspension(
                session=session,
                subject=person.gate_id,
                reason="port_ban",
                ref=f"ban:{ban.id}",
                since=None if ban.lifted_at else ban.starts_at,
                until=ban.ends_at,
            )
    session.flush()
    if found.missing and previous != found.status:
        raise_no_certificate(session=session, actor=actor, person=person, missing=found.missing)
    if previous != found.status:
        audit.record(
            session=session,
            actor=actor,
            action="screening.person.status",
            entity_type="screening_person",
            entity_id=person.alias,
            detail={"from": previous, "to": found.status, "missing": list(found.missing)},
        )
    return found


def raise_no_certificate(
    *, session: Session, actor: Principal, person: Person, missing: tuple[str, ...]
) -> None:
    cases.raise_alert(
        session=session,
        actor=actor,
        source="insider",
        kind="screening.no_certificate",
        hub=person.hub,
        severity=3,
        title=f"{person.alias} ({person.employer_org}, {person.role_code}) has no valid {', '.join(missing)}",
        detail={"person": person.alias, "employer": person.employer_org, "missing": list(missing)},
        dedup_key=person.alias,
    )
