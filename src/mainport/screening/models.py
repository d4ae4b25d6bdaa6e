"""The screening register: high-risk roles, pseudonymised people, certificates, port bans, reveal requests.

A person is known by a stable alias (a keyed hash of the reference the employer gives); the name lives in a
table of its own (`screening_identity`) that only an approved four-eyes reveal request reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mainport.database import Base, utcnow
from mainport.database.columns import hub_code


class HighRiskRole(Base):
    """A job an organisation marks as high-risk, and the certificates it requires."""

    __tablename__ = "screening_role"
    __table_args__ = (UniqueConstraint("org_code", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_code: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(32))  # e.g. planner, checker, baggage_handler
    title: Mapped[str] = mapped_column(String(200), default="")
    requires: Mapped[list[str]] = mapped_column(default=list)  # certificate kinds: port_vog, vgb, isps
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Person(Base):
    """A member of staff, pseudonymised: `alias` is shown everywhere, `key_hash` finds the same person again.

    `account`: the user name in the access logs (ties look-ups to the person); `gate_id`: the pass or driver
    id the gate sees (ties suspensions to release rights)."""

    __tablename__ = "screening_person"
    __table_args__ = (Index("ix_screening_person_employer", "employer_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alias: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    employer_org: Mapped[str] = mapped_column(String(32))
    hub: Mapped[str | None] = mapped_column(hub_code())
    role_code: Mapped[str | None] = mapped_column(String(32))
    account: Mapped[str | None] = mapped_column(String(64), unique=True)
    gate_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="ok")  # ok | screening_lapsed | port_ban
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PersonIdentity(Base):
    """The person's real name, held apart from everything else; read only through an approved reveal."""

    __tablename__ = "screening_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("screening_person.id"), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))


class Certificate(Base):
    """A screening result: port VOG (Justis), VGB (AIVD) or ISPS training, valid until `valid_until`."""

    __tablename__ = "screening_certificate"
    __table_args__ = (Index("ix_screening_certificate_person", "person_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)  # SHA-1 of person, kind, number, dates
    person_id: Mapped[int] = mapped_column(ForeignKey("screening_person.id"))
    kind: Mapped[str] = mapped_column(String(16))  # port_vog | vgb | isps
    number: Mapped[str] = mapped_column(String(64), default="")
    issuer: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime]
    valid_until: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PortBan(Base):
    """A port ban (gebiedsverbod): the person may not enter `scope` (a hub, or `all`) in the period."""

    __tablename__ = "screening_ban"
    __table_args__ = (Index("ix_screening_ban_person", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("screening_person.id"))
    scope: Mapped[str] = mapped_column(String(40), default="all")
    reason: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    issued_by: Mapped[str] = mapped_column(String(64))
    lifted_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RevealRequest(Base):
    """A reasoned request to see a person's name; a second person of another account approves it."""

    __tablename__ = "screening_reveal"
    __table_args__ = (Index("ix_screening_reveal_person", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("screening_person.id"))
    requested_by: Mapped[str] = mapped_column(String(64))
    requester_org: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(500))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved | refused
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]  # an approval is good for a short while, for the requester only
