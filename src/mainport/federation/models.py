"""Keys, partners, agreements and the signed messages exchanged with other mainport instances."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mainport.database import Base, utcnow


class FederationKey(Base):
    """This instance's Ed25519 signing keys; a rotated key stays published for verification until retired."""

    __tablename__ = "federation_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(32), unique=True)
    public_key: Mapped[str] = mapped_column(String(64))  # raw, base64url
    private_key_enc: Mapped[str] = mapped_column(Text)  # PKCS#8 PEM encrypted with the application secret
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]


class Partner(Base):
    """Another mainport instance: an origin port's control unit, Antwerp, Hamburg, ..."""

    __tablename__ = "federation_partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. CU-ECGYE, BE-ANR-CUSTOMS
    name: Mapped[str] = mapped_column(String(200))
    base_url: Mapped[str] = mapped_column(String(500))
    ports: Mapped[list[str]] = mapped_column(default=list)  # UN/LOCODEs it speaks for
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PartnerKey(Base):
    """A partner's public key by key id; revoked keys verify nothing."""

    __tablename__ = "federation_partner_key"
    __table_args__ = (UniqueConstraint("partner_id", "kid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("federation_partner.id"))
    kid: Mapped[str] = mapped_column(String(32))
    public_key: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by: Mapped[str] = mapped_column(String(64))  # a person, or "rotation:<old kid>"
    revoked_at: Mapped[datetime | None]


class Agreement(Base):
    """What may be sent to (or received from) one partner, per category. Revoked, never deleted."""

    __tablename__ = "federation_agreement"
    __table_args__ = (Index("ix_federation_agreement_partner_category", "partner_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("federation_partner.id"))
    category: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(8))  # send | receive
    reference: Mapped[str] = mapped_column(String(100))  # the signed agreement / MoU it implements
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(64))


class FederationMessage(Base):
    """A signed message, out (outbox, then sent) or in (accepted or refused, with why). The inbound
    (partner, message id) pair is unique: a replay is refused."""

    __tablename__ = "federation_message"
    __table_args__ = (
        UniqueConstraint("direction", "partner_id", "message_id"),
        Index("ix_federation_message_direction_status", "direction", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(36))
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("federation_partner.id"))
    sender: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    kid: Mapped[str | None] = mapped_column(String(32))
    issued_at: Mapped[datetime | None]
    envelope: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # out: pending | sent | failed; in: accepted | refused
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)  # what handling it did (ids)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
