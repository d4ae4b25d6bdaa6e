"""How a signed envelope reaches a partner: a `FederationTransport` (HTTP POST to its inbox, or local)."""

from __future__ import annotations

from typing import Any, Protocol

import orjson


class SendFailed(Exception):
    pass


class FederationTransport(Protocol):
    name: str

    def send(self, base_url: str, envelope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Deliver; return the partner's status and answer. Raise SendFailed when nothing was answered."""


class HttpTransport:
    name = "http"

    def __init__(self, timeout_s: float = 10.0) -> None:
        self.timeout_s = timeout_s

    def send(self, base_url: str, envelope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        import httpx

        url = base_url.rstrip("/") + "/api/v1/federation/inbox"
        try:
            answer = httpx.post(
                url,
                content=orjson.dumps(envelope),
                headers={"Content-Type": "application/json"},
                timeout=self.timeout_s,
            )
        except httpx.HTTPError as exc:
            raise SendFailed(f"{url}: {type(exc).__name__}: {exc}"[:300]) from exc
        try:
            body = answer.json()
        except ValueError:
            body = {}
        return answer.status_code, body if isinstance(body, dict) else {}


class LocalTransport:
    """Keeps what would be sent (a partner without a network link, or a test)."""

    name = "local"

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send(self, base_url: str, envelope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.sent.append((base_url, envelope))
        return 202, {"status": "accepted"}
