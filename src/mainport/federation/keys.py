"""This instance's signing keys: created on first use, rotated (the old one stays published until retired)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.config import Settings, get_settings
from mainport.database import utcnow
from mainport.federation.envelope import b64
from mainport.federation.models import FederationKey


@dataclass(frozen=True)
class Instance:
    """Who this instance is in the federation, and the secret its private keys are encrypted with."""

    code: str
    secret: str

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Instance:
        settings = settings or get_settings()
        return cls(settings.federation_code, settings.secret_key)


def _new(session: Session, me: Instance) -> FederationKey:
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(me.secret.encode()),
    )
    key = FederationKey(
        kid="f" + secrets.token_hex(8), public_key=b64(raw), private_key_enc=pem.decode(), active=True
    )
    session.add(key)
    session.flush()
    return key


def current(session: Session, me: Instance) -> tuple[FederationKey, Ed25519PrivateKey]:
    key = session.scalar(
        select(FederationKey).where(FederationKey.active.is_(True)).order_by(FederationKey.id.desc()).limit(1)
    )
    if key is None:
        key = _new(session, me)
    private = serialization.load_pem_private_key(key.private_key_enc.encode(), me.secret.encode())
    assert isinstance(private, Ed25519PrivateKey)
    return key, private


def rotate(session: Session, me: Instance) -> tuple[FederationKey, FederationKey | None]:
    """A new active key; the previous one stops signing but stays published (partners learn the new key
    from a key_rotation message signed with the old one)."""
    old = session.scalar(
        select(FederationKey).where(FederationKey.active.is_(True)).order_by(FederationKey.id.desc()).limit(1)
    )
    if old is not None:
        old.active = False
    session.flush()
    return _new(session, me), old


def retire(session: Session, kid: str) -> None:
    key = session.scalar(select(FederationKey).where(FederationKey.kid == kid))
    if key is not None:
        key.active, key.retired_at = False, utcnow()
        session.flush()


def published(session: Session) -> list[FederationKey]:
    return list(
        session.scalars(
            select(FederationKey).where(FederationKey.retired_at.is_(None)).order_by(FederationKey.id)
        )
    )
