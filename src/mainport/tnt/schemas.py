from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SubscriptionIn(BaseModel):
    publisher: str = Field(min_length=1, max_length=64)
    publisher_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")
    filters: dict[str, Any] = {}


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    subscription_id: str
    publisher: str
    publisher_url: str | None
    filters: dict[str, Any]
    status: str
    registered: str
    register_error: str | None
    created_by: str
    created_at: datetime
    last_received_at: datetime | None
    deliveries: int


class CreatedOut(SubscriptionOut):
    callback_url: str
    secret: str = Field(description="base64; shown once: give it to the publisher")
