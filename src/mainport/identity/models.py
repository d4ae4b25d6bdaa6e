from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mainport.database import Base, utcnow
from mainport.database.columns import hub_code


class OrgKind(enum.StrEnum):
    customs = "customs"
    police = "police"
    prosecution = "prosecution"
    border_police = "border_police"
    fiscal_investigation = "fiscal_investigation"
    port_authority = "port_authority"
    airport = "airport"
    terminal = "terminal"
    shipping_line = "shipping_line"
    forwarder = "forwarder"
    haulier = "haulier"
    municipality = "municipality"
    flower_auction = "flower_auction"


class Role(enum.StrEnum):
    admin = "admin"
    analyst = "analyst"
    officer = "officer"
    viewer = "viewer"


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrgKind] = mapped_column(Enum(OrgKind, native_enum=False, length=32))
    # Hub the organisation belongs to (node code), if any; terminals also name their facility (SMDG code).
    node_code: Mapped[str | None] = mapped_column(hub_code())
    facility_code: Mapped[str | None] = mapped_column(String(16))
    # Shipping lines: their SCAC, which ties them to the containers they carry (declarations, events).
    carrier_code: Mapped[str | None] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    # Locked by an administrator until then (suspected compromise): no log-in, sessions and tokens refused.
    locked_until: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(back_populates="users", lazy="joined")


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # Only a SHA-256 of the token is stored; the prefix lets an operator recognise it.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class UserSession(Base):
    """A browser session, kept on the server so that it can be ended: logout, password change, deactivation
    and role change revoke it, and the next request with its cookie is refused."""

    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_user_revoked", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Only a SHA-256 of the random session id in the cookie is stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # Password accepted but the second factor (TOTP) not yet given: the session grants nothing else.
    second_factor_pending: Mapped[bool] = mapped_column(default=False)
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship(lazy="joined")


class LoginAttempt(Base):
    """Every password (and second-factor) attempt, for throttling per client address and per user name."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_address_at", "address", "at"),
        Index("ix_login_attempt_username_at", "username", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool]
    kind: Mapped[str] = mapped_column(String(8), default="password")  # password | totp


class TotpSecret(Base):
    """A user's TOTP (RFC 6238) second factor; the secret is encrypted with the application secret."""

    __tablename__ = "totp_secret"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), unique=True)
    secret_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    # The last time step accepted: a code is good once (no replay within its 30 s window).
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)
