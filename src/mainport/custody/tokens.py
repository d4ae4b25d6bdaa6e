"""Signed release tokens (pure): Ed25519 over a compact JSON payload, with the key id in the payload.

Format: ``mpr1.<base64url(payload)>.<base64url(signature)>``. The payload binds the right's random id (jti),
the container, the terminal, the final carrier and driver, and the validity window. A token proves nothing
by itself: the gate also checks the server-side state of the right (used, revoked, customs hold).

Tokens come from anyone at the gate, so they are read defensively: bounded in length, decoded with orjson
(which refuses nesting beyond 1,024 levels instead of recursing), and nothing of the payload but the key id
(a short string of a fixed alphabet, needed to find the key) is read before the signature is verified;
then every claim is checked for its type. Whatever is wrong ends in a TokenError with the gate's reason.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "mpr1"
MAX_TOKEN = 2048
_KID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_B64 = re.compile(r"^[A-Za-z0-9_-]*$")
_TEXT_CLAIMS = {"kid": 32, "jti": 64, "container": 11, "facility": 16, "carrier": 64, "driver": 64}


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


def _parts(token: object) -> tuple[str, str, str]:
    if not isinstance(token, str) or len(token) > MAX_TOKEN:
        raise TokenError("malformed_token")
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX or not all(_B64.match(p) for p in parts[1:]):
        raise TokenError("malformed_token")
    return parts[0], parts[1], parts[2]


def _payload(body: str) -> dict[str, Any]:
    try:
        data = orjson.loads(unb64(body))
    except (ValueError, binascii.Error) as exc:  # orjson.JSONDecodeError is a ValueError
        raise TokenError("malformed_token") from exc
    if not isinstance(data, dict):
        raise TokenError("malformed_token")
    return data


def peek_kid(token: str) -> str:
    """The key id of a token, before its signature is checked (to find the key): only a short string of a
    fixed alphabet is accepted, nothing else of the payload is read."""
    kid = _payload(_parts(token)[1]).get("kid")
    if not isinstance(kid, str) or not _KID.match(kid):
        raise TokenError("malformed_token")
    return kid


def _claims(data: dict[str, Any]) -> Claims:
    values: dict[str, Any] = {}
    for name, limit in _TEXT_CLAIMS.items():
        value = data.get(name)
        if not isinstance(value, str) or len(value) > limit:
            raise TokenError("malformed_token")
        values[name] = value
    for name in ("nbf", "exp"):
        value = data.get(name)
        if type(value) is not int or not 0 <= value < 2**63:  # not a bool, not a float, in range
            raise TokenError("malformed_token")
        values[name] = value
    return Claims(**values)


def parse_unverified(token: str) -> Claims:
    """The claims without checking the signature (for tests and tools, never for a decision)."""
    return _claims(_payload(_parts(token)[1]))


def verify(token: str, key: Ed25519PublicKey) -> Claims:
    """The claims of a token signed by `key`: the signature first, then every claim's type."""
    prefix, body, signature = _parts(token)
    try:
        key.verify(unb64(signature), f"{prefix}.{body}".encode())
    except (InvalidSignature, ValueError, binascii.Error) as exc:
        raise TokenError("bad_signature") from exc
    return _claims(_payload(body))
