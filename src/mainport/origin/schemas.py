from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    scan_id: int
    declaration_id: int | None
    container_number: str
    origin_unlocode: str
    scanned_at: datetime
    load_by: datetime | None
    single_score: float | None
    single_reasons: list[str]
    target_score: float | None
    priority: float
    status: str
    verdict: str | None
    verdict_note: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    alert_id: int | None


class VerdictIn(BaseModel):
    verdict: str = Field(max_length=16)
    note: str = Field(default="", max_length=2000)


class HoldIn(BaseModel):
    review_id: Annotated[StrictInt, Field(ge=1, le=2**31 - 1)] | None = None
    declaration_id: Annotated[StrictInt, Field(ge=1, le=2**63 - 1)] | None = None
    kind: str = Field(default="inspect", max_length=16)
    reason: str = Field(min_length=1, max_length=2000)
    control_unit: str | None = Field(default=None, max_length=32)


class AnswerIn(BaseModel):
    answer: str = Field(max_length=16)
    kg: float = Field(default=0.0, ge=0, le=100_000)
    note: str = Field(default="", max_length=2000)


class HoldOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reference: str
    review_id: int | None
    declaration_id: int | None
    container_number: str
    origin_unlocode: str
    control_unit: str
    kind: str
    reason: str
    hub: str | None
    load_by: datetime | None
    status: str
    delivery: str
    requested_by: str
    requested_at: datetime
    answer: str | None
    answer_kg: float
    answer_note: str | None
    answered_by: str | None
    answered_at: datetime | None
    inspection_id: int | None
    alert_id: int | None


class EnqueuedOut(BaseModel):
    added: int
