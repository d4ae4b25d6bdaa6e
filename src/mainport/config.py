"""Settings: one pydantic-settings class, read from ``MAINPORT_*`` variables, behind a cached getter."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-insecure-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAINPORT_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///var/mainport.db"
    secret_key: str = DEV_SECRET
    data_dir: Path = Path("var")
    log_level: str = "INFO"
    log_json: bool = False
    # Cookies are marked Secure outside development; behind TLS in production.
    cookie_secure: bool | None = None
    session_max_age_s: int = 8 * 3600
    # Where the image store lives (local folder by default).
    image_store: str = "local"
    # Scan comparison score above which an alert is raised.
    scan_alert_threshold: float = 0.5
    # Which notification channel to use ("log" locally).
    notifier: str = "log"
    # Recurring jobs: "embedded" runs the scheduler inside `mainport serve`; production sets "off" on the web
    # processes and runs `mainport worker` (one leader at a time either way).
    scheduler: Literal["embedded", "off"] = "embedded"
    # Retention: staff look-ups (personal data, insider analytics) and closed quarantine records, in days.
    retention_lookups_days: int = 365
    retention_quarantine_days: int = 90
    # How discharge-to-guarded-area instructions reach terminals: "local" (an outbox file per terminal under
    # data_dir) or "webhook" (a signed POST to the URL; "{facility}" in it becomes the terminal's code).
    terminal_gateway: Literal["local", "webhook"] = "local"
    terminal_webhook_url: str = ""
    terminal_webhook_secret: str = ""
    # DCSA T&T push subscriptions: "local" (the publisher is set up by hand) or "http" (registered at the
    # publisher's /event-subscriptions); callbacks reach this instance at public_url.
    tnt_publisher: Literal["local", "http"] = "local"
    public_url: str = "http://127.0.0.1:8000"
    # This instance's code in the federation of mainport instances (what partners call it).
    federation_code: str = "NL-RTM-CUSTOMS"

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment == "development" and self.secret_key == DEV_SECRET:
            # Never the shared default: a key of this installation's own, made on first start.
            self.secret_key = local_secret(self.data_dir)
        if self.environment != "development" and self.environment != "test" and self.secret_key == DEV_SECRET:
            raise ValueError(
                "MAINPORT_SECRET_KEY must be set to a strong random value outside development "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("MAINPORT_SECRET_KEY must be at least 32 characters in production")
        return self

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.environment == "production"


def local_secret(data_dir: Path) -> str:
    """The development secret of this installation: `<data_dir>/secret_key`, created (mode 0600) once."""
    path = data_dir / "secret_key"
    try:
        found = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        found = ""
    if len(found) >= 32:
        return found
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key + "\n")
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
