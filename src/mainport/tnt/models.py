from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mainport.database import Base, utcnow


class TntSubscription(Base):
    """A DCSA T&T event subscription held at a publisher (carrier, terminal): the publisher POSTs events to
    our callback, signed with the shared secret (Notification-Signature: sha256=HMAC of the body)."""

    __tablename__ = "tnt_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[str] = mapped_column(String(36), unique=True)  # a UUID, in the callback URL
    publisher: Mapped[str] = mapped_column(String(64))  # who sends (SMDG/SCAC code or name)
    publisher_url: Mapped[str | None] = mapped_column(String(500))  # its /event-subscriptions endpoint
    # The shared secret, encrypted with a key derived from the application secret (needed to verify).
    secret_enc: Mapped[str] = mapped_column(Text)
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)  # equipmentReference, eventType, ...
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | paused | ended
    registered: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # at the publisher: pending|done|failed
    register_error: Mapped[str | None] = mapped_column(String(300))
    # Events are stored as this user (its organisation's rights: events:write).
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_received_at: Mapped[datetime | None]
    deliveries: Mapped[int] = mapped_column(default=0)
