"""How a subscription is registered at the publisher: a `TntPublisher`.

``http`` POSTs DCSA's subscription body (callbackUrl, secret, filters) to the publisher's
``/event-subscriptions`` endpoint; ``local`` records nothing remote (the publisher is configured by hand with
the callback URL and secret shown once, or a test plays the publisher)."""

from __future__ import annotations

import base64
from typing import Any, Protocol

from mainport.config import Settings, get_settings


class RegistrationFailed(Exception):
    pass


class TntPublisher(Protocol):
    name: str

    def register(self, url: str, body: dict[str, Any]) -> None:
        """Create the subscription at the publisher; raise RegistrationFailed when it did not."""


class LocalPublisher:
    name = "local"

    def __init__(self) -> None:
        self.registered: list[tuple[str, dict[str, Any]]] = []

    def register(self, url: str, body: dict[str, Any]) -> None:
        self.registered.append((url, body))


class HttpPublisher:
    name = "http"

    def __init__(self, timeout_s: float = 10.0) -> None:
        self.timeout_s = timeout_s

    def register(self, url: str, body: dict[str, Any]) -> None:
        import httpx

        try:
            answer = httpx.post(url, json=body, headers={"API-Version": "2.2.0"}, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise RegistrationFailed(f"{url}: {type(exc).__name__}: {exc}"[:300]) from exc
        if answer.status_code >= 300:
            raise RegistrationFailed(f"{url} answered {answer.status_code}")


def subscription_body(callback_url: str, secret: bytes, filters: dict[str, Any]) -> dict[str, Any]:
    """DCSA's subscriptionBodyWithSecret: the secret travels base64-encoded, only on creation."""
    return {"callbackUrl": callback_url, "secret": base64.b64encode(secret).decode(), **filters}


def publisher_from_settings(settings: Settings | None = None) -> TntPublisher:
    settings = settings or get_settings()
    return HttpPublisher() if settings.tnt_publisher == "http" else LocalPublisher()
