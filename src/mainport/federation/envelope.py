"""The signed envelope (pure): canonical JSON of every field but the signature, signed with Ed25519.

{"v": 1, "id": <uuid>, "from": <code>, "to": <code>, "category": ..., "issued_at": <ISO UTC>,
 "kid": <signing key id>, "body": {...}, "sig": <base64url Ed25519 signature>}
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FIELDS = ("v", "id", "from", "to", "category", "issued_at", "kid", "body")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(envelope: dict[str, Any]) -> bytes:
    """What is signed: the fields in FIELDS, sorted keys, no whitespace, UTF-8."""
    signed = {k: envelope.get(k) for k in FIELDS}
    return json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(envelope: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    return {**envelope, "sig": b64(key.sign(canonical(envelope)))}


def verify(envelope: dict[str, Any], public_raw: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(
            unb64(str(envelope.get("sig", ""))), canonical(envelope)
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def missing(envelope: Any) -> list[str]:
    if not isinstance(envelope, dict):
        return list(FIELDS)
    return [k for k in (*FIELDS, "sig") if k not in envelope]
