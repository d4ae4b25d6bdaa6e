"""How an instruction reaches a terminal's own system (TOS): a `TerminalGateway`.

Two implementations, chosen by settings (MAINPORT_TERMINAL_GATEWAY): ``local`` appends each instruction to a
JSON Lines outbox per terminal under the data directory (a terminal without an integration, or a test);
``webhook`` POSTs it to the terminal's endpoint, signed with HMAC-SHA256 over the body so the terminal can
check it came from customs. Either way the terminal acknowledges through the custody API with the
instruction's reference; the gateway only delivers."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from mainport.config import Settings, get_settings

SIGNATURE_HEADER = "X-Mainport-Signature"
TIMESTAMP_HEADER = "X-Mainport-Timestamp"


@dataclass(frozen=True)
class TerminalMessage:
    """What a terminal is told: which box, where to put it, how to acknowledge. Never why."""

    reference: str
    kind: str
    container_number: str
    facility_code: str
    guarded_area: str
    vessel_imo: str | None
    voyage_number: str | None
    expected_at: datetime | None

    def body(self) -> bytes:
        data = asdict(self)
        data["expected_at"] = self.expected_at.isoformat() if self.expected_at else None
        data["acknowledge"] = f"/api/v1/custody/instructions/{self.reference}/ack"
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


class DeliveryFailed(Exception):
    """The terminal's system could not be reached or refused the message (retried later)."""


class TerminalGateway(Protocol):
    name: str

    def deliver(self, message: TerminalMessage) -> None:
        """Hand the message to the terminal; raise DeliveryFailed when it did not arrive."""


class LocalTerminalGateway:
    """Appends to `<data_dir>/terminal_outbox/<facility>.jsonl` (one line per delivery)."""

    name = "local"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def deliver(self, message: TerminalMessage) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{message.facility_code}.jsonl"
            with path.open("ab") as out:
                out.write(message.body() + b"\n")
        except OSError as exc:
            raise DeliveryFailed(f"outbox {self.folder}: {exc.strerror or exc}") from exc

    def delivered(self, facility_code: str) -> list[dict[str, object]]:
        path = self.folder / f"{facility_code}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>" (the timestamp bounds replays at the terminal)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookTerminalGateway:
    """POSTs the message to `url` (``{facility}`` in it is replaced by the terminal's code)."""

    name = "webhook"

    def __init__(self, url: str, secret: str, timeout_s: float = 5.0) -> None:
        if not url:
            raise ValueError("MAINPORT_TERMINAL_WEBHOOK_URL must be set for the webhook terminal gateway")
        if len(secret) < 16:
            raise ValueError("MAINPORT_TERMINAL_WEBHOOK_SECRET must be at least 16 characters")
        self.url, self.secret, self.timeout_s = url, secret, timeout_s

    def deliver(self, message: TerminalMessage) -> None:
        import httpx

        body = message.body()
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: sign(self.secret, stamp, body),
            "Idempotency-Key": message.reference,
        }
        url = self.url.replace("{facility}", message.facility_code)
        try:
            answer = httpx.post(url, content=body, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{url}: {type(exc).__name__}: {exc}"[:300]) from exc
        if answer.status_code >= 300:
            raise DeliveryFailed(f"{url} answered {answer.status_code}")


def gateway_from_settings(settings: Settings | None = None) -> TerminalGateway:
    settings = settings or get_settings()
    if settings.terminal_gateway == "webhook":
        return WebhookTerminalGateway(settings.terminal_webhook_url, settings.terminal_webhook_secret)
    return LocalTerminalGateway(settings.data_dir / "terminal_outbox")
