from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PartnerIn(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(default="", max_length=200)
    base_url: str = Field(max_length=500)
    ports: list[str] = []


class PartnerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    base_url: str
    ports: list[str]
    active: bool


class PartnerKeyIn(BaseModel):
    kid: str = Field(min_length=1, max_length=32)
    public_key: str = Field(min_length=40, max_length=64)


class AgreementIn(BaseModel):
    partner: str = Field(max_length=32)
    category: str = Field(max_length=32)
    direction: str = Field(max_length=8)
    reference: str = Field(min_length=1, max_length=100)
    valid_to: datetime | None = None


class AgreementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    category: str
    direction: str
    reference: str
    valid_from: datetime
    valid_to: datetime | None
    revoked_at: datetime | None


class SendIn(BaseModel):
    partner: str = Field(max_length=32)
    category: str = Field(max_length=32)
    body: dict[str, Any]


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    message_id: str
    direction: str
    sender: str
    category: str
    kid: str | None
    issued_at: datetime | None
    status: str
    reason: str | None
    attempts: int
    result: dict[str, Any]
    created_at: datetime
    sent_at: datetime | None


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kid: str
    public_key: str
    active: bool
    created_at: datetime


class AnswerIn(BaseModel):
    answer: str = Field(max_length=16)
    kg: float = Field(default=0.0, ge=0, le=100_000)
    note: str = Field(default="", max_length=2000)
