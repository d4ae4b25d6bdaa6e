"""Sharing tables: the register of data categories, legal bases and purposes; partners; the agreements that
grant a partner a category for a purpose (with conditions, validity and an owner); delegation evidence in the
manner of iSHARE; sharing requests; what retention purged; and the monthly sharing figures.

Agreements, delegations and requests are revoked, refused or expired, never deleted (audit)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mainport.database import Base, utcnow


class DataCategory(Base):
    """What is shared: declarations, events, scans, selections, custody, cases, staff look-ups, seizures."""

    __tablename__ = "sharing_category"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # Customs intelligence: never granted to a private party, whatever an agreement says.
    intelligence: Mapped[bool] = mapped_column(default=False)
    # Kept this many days, then purged by the sharing-retention job; None: kept (a legal hold elsewhere).
    retention_days: Mapped[int | None]
    description: Mapped[str] = mapped_column(Text, default="")


class LegalBasis(Base):
    """A legal ground for sharing, with the article reference the partners recognise."""

    __tablename__ = "sharing_legal_basis"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    article: Mapped[str] = mapped_column(String(200))  # e.g. "Regulation (EU) 952/2013 art. 46"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Purpose(Base):
    """Why data is shared (purpose limitation): an agreement grants a category for one purpose."""

    __tablename__ = "sharing_purpose"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Partner(Base):
    """An organisation taking part in sharing, with how it is known to others (iSHARE party id, EORI)."""

    __tablename__ = "sharing_partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_code: Mapped[str] = mapped_column(ForeignKey("organisation.code"), unique=True)
    party_id: Mapped[str] = mapped_column(String(64), default="")  # e.g. EU.EORI.NL123456789
    contact: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Agreement(Base):
    """The owner grants a partner (one organisation, or every organisation of a kind) a data category for a
    purpose on a legal basis, under conditions, for a period."""

    __tablename__ = "sharing_agreement"
    __table_args__ = (
        Index("ix_sharing_agreement_partner_org", "partner_org"),
        Index("ix_sharing_agreement_partner_kind", "partner_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    owner_org: Mapped[str] = mapped_column(String(32))  # who holds the data and answers for the grant
    partner_org: Mapped[str | None] = mapped_column(String(32))
    partner_kind: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(ForeignKey("sharing_category.code"))
    actions: Mapped[list[str]]  # read, write
    conditions: Mapped[list[str]]  # own_facility, own_release_rights, own_carriage, own_hub, ...
    purpose_id: Mapped[int] = mapped_column(ForeignKey("sharing_purpose.id"))
    legal_basis_id: Mapped[int] = mapped_column(ForeignKey("sharing_legal_basis.id"))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    request_id: Mapped[int | None]  # the sharing request it answers, if any
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    purpose: Mapped[Purpose] = relationship(lazy="joined")
    legal_basis: Mapped[LegalBasis] = relationship(lazy="joined")


class Delegation(Base):
    """Delegation evidence (iSHARE): the delegator (a forwarder, a shipper) lets the delegate (a haulier, a
    forwarder) act for it on one container, or on all its containers, for a period. It never gives more than
    the delegator has: the delegator must hold the right itself when the delegate uses it."""

    __tablename__ = "sharing_delegation"
    __table_args__ = (Index("ix_sharing_delegation_delegate", "delegate_org", "container_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delegator_org: Mapped[str] = mapped_column(String(32))
    delegate_org: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(ForeignKey("sharing_category.code"))
    actions: Mapped[list[str]]
    container_number: Mapped[str | None] = mapped_column(String(20))  # None: every container of the delegator
    evidence: Mapped[str] = mapped_column(String(200))  # the signed evidence's id or reference
    not_before: Mapped[datetime]
    not_on_or_after: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]


class SharingRequest(Base):
    """A partner asks an owner for a category for a purpose; approved (an agreement follows), refused with a
    reason, withdrawn, or expired when nobody decided in time."""

    __tablename__ = "sharing_request"
    __table_args__ = (Index("ix_sharing_request_owner_status", "owner_org", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_org: Mapped[str] = mapped_column(String(32))
    owner_org: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(ForeignKey("sharing_category.code"))
    actions: Mapped[list[str]]
    conditions: Mapped[list[str]]
    purpose_id: Mapped[int] = mapped_column(ForeignKey("sharing_purpose.id"))
    legal_basis_id: Mapped[int] = mapped_column(ForeignKey("sharing_legal_basis.id"))
    justification: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|approved|refused|expired|withdrawn
    asked_by: Mapped[str] = mapped_column(String(64))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]  # undecided by then: expired
    wanted_until: Mapped[datetime | None]  # how long the grant is asked for
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_agreement.id"))

    purpose: Mapped[Purpose] = relationship(lazy="joined")


class RetentionRun(Base):
    """What the retention job purged for one category: the cut-off and how many records went."""

    __tablename__ = "sharing_retention_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    ran_at: Mapped[datetime] = mapped_column(default=utcnow)
    cutoff: Mapped[datetime]
    purged: Mapped[int]
    detail: Mapped[dict[str, Any]]


class SharingFigure(Base):
    """Per month, owner, partner and category: records shared, disclosures (audited reads and writes under an
    agreement), requests and refusals. Rebuilt from the audit log by the sharing-figures job."""

    __tablename__ = "sharing_figure"
    __table_args__ = (UniqueConstraint("month", "owner_org", "partner_org", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM (UTC)
    owner_org: Mapped[str] = mapped_column(String(32))
    partner_org: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    records: Mapped[int] = mapped_column(default=0)
    disclosures: Mapped[int] = mapped_column(default=0)
    requests: Mapped[int] = mapped_column(default=0)
    refusals: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
