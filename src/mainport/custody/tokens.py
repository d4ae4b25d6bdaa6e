"""Signed release tokens (pure): Ed25519 over a compact JSON payload, with the key id in the payload.

Format: ``mpr1.<base64url(payload)>.<base64url(signature)>``. The payload binds the right's random id (jti),
the container, the terminal, the final carrier and driver, and the validity window. A token proves nothing
by itself: the gate also checks the server-side state of the right (used, revoked, customs hold).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "mpr1"


class TokenError(Exception):
    """A token that cannot be trusted; ``reason`` is the gate's answer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Claims:
    kid: str
    jti: str
    container: str
    facility: str
    carrier: str
    driver: str
    nbf: int
    exp: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def sign(claims: Claims, key: Ed25519PrivateKey) -> str:
    body = b64(json.dumps(claims.as_dict(), sort_keys=True, separators=(",", ":")).encode())
    signing_input = f"{PREFIX}.{body}".encode()
    return f"{PREFIX}.{body}.{b64(key.sign(signing_input))}"


def peek_kid(token: str) -> str:
    """The key id of a token, before its signature is checked (to find the key)."""
    return parse_unverified(token).kid


def parse_unverified(token: str) -> Claims:
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX or len(token) > 2048:
        raise TokenError("malformed_token")
    try:
        data = json.loads(unb64(parts[1]))
        return Claims(**{k: data[k] for k in Claims.__dataclass_fields__})
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError("malformed_token") from exc


def verify(token: str, key: Ed25519PublicKey) -> Claims:
    claims = parse_unverified(token)
    prefix, body, signature = token.split(".")
    try:
        key.verify(unb64(signature), f"{prefix}.{body}".encode())
    except (InvalidSignature, ValueError) as exc:
        raise TokenError("bad_signature") from exc
    return claims
