"""Release-token signing keys: kept in a table, private halves encrypted with the application secret.

Rotation: ``rotate`` makes a new key the signer; older keys still verify tokens already issued until they are
retired. Keys are cached in the process by key id (verification is on the gate's hot path)."""

from __future__ import annotations

import secrets
import time
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.config import get_settings
from mainport.custody.models import ReleaseKey
from mainport.custody.tokens import b64, unb64
from mainport.database import utcnow
from mainport.errors import NotFound
from mainport.identity.principal import Principal


def _secret() -> bytes:
    return get_settings().secret_key.encode()


def _create(session: Session) -> ReleaseKey:
    private = Ed25519PrivateKey.generate()
    public_raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_secret()),
    )
    key = ReleaseKey(
        kid="k" + secrets.token_hex(8), public_key=b64(public_raw), private_key_enc=pem.decode(), active=True
    )
    session.add(key)
    session.flush()
    return key


def signing_key(session: Session) -> tuple[str, Ed25519PrivateKey]:
    """The newest active key (created on first use)."""
    key = session.scalar(
        select(ReleaseKey)
        .where(ReleaseKey.active.is_(True), ReleaseKey.retired_at.is_(None))
        .order_by(ReleaseKey.id.desc())
        .limit(1)
    )
    if key is None:
        key = _create(session)
    return key.kid, _private(key.kid, key.private_key_enc)


@lru_cache(maxsize=64)
def _private(kid: str, pem: str) -> Ed25519PrivateKey:
    loaded = serialization.load_pem_private_key(pem.encode(), password=_secret())
    if not isinstance(loaded, Ed25519PrivateKey):
        raise TypeError(f"release key {kid} is not Ed25519")
    return loaded


# kid -> (key, when cached); other workers learn of a retirement within the TTL.
_PUBLIC: dict[str, tuple[Ed25519PublicKey, float]] = {}
PUBLIC_TTL_S = 30.0


def cached_public_key(kid: str) -> Ed25519PublicKey | None:
    """The verifying key for ``kid`` if this process checked it within the TTL (no database needed)."""
    cached = _PUBLIC.get(kid)
    if cached is not None and time.monotonic() - cached[1] < PUBLIC_TTL_S:
        return cached[0]
    return None


def public_key(session: Session, kid: str) -> Ed25519PublicKey | None:
    """The verifying key for ``kid``; None when unknown or retired."""
    cached = cached_public_key(kid)
    if cached is not None:
        return cached
    key = session.scalar(select(ReleaseKey).where(ReleaseKey.kid == kid, ReleaseKey.retired_at.is_(None)))
    if key is None:
        _PUBLIC.pop(kid, None)
        return None
    found = Ed25519PublicKey.from_public_bytes(unb64(key.public_key))
    _PUBLIC[kid] = (found, time.monotonic())
    return found


def rotate(*, session: Session, actor: Principal) -> ReleaseKey:
    """Start signing with a fresh key; the previous ones keep verifying until retired."""
    actor.require("users:admin")
    for old in session.scalars(select(ReleaseKey).where(ReleaseKey.active.is_(True))):
        old.active = False
    key = _create(session)
    audit.record(
        session=session,
        actor=actor,
        action="release.key_rotate",
        entity_type="release_key",
        entity_id=key.kid,
    )
    return key


def retire(*, session: Session, actor: Principal, kid: str) -> ReleaseKey:
    """Stop trusting a key (e.g. suspected leak): tokens signed with it are refused at the gate."""
    actor.require("users:admin")
    key = session.scalar(select(ReleaseKey).where(ReleaseKey.kid == kid))
    if key is None:
        raise NotFound(f"release key {kid} not found")
    key.active, key.retired_at = False, utcnow()
    _PUBLIC.pop(kid, None)
    audit.record(
        session=session, actor=actor, action="release.key_retire", entity_type="release_key", entity_id=kid
    )
    return key
