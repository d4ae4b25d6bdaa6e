"""Vessel scores, dive plans and dive outcomes over HTTP."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt


class ReasonOut(BaseModel):
    code: str
    text: str
    weight: float


class CallScoreOut(BaseModel):
    call_id: int
    vessel_imo: str
    vessel_name: str | None
    voyage_number: str
    hub: str
    arrived_at: datetime
    ports: list[str]
    p: float  # chance a dive finds a load
    score: float  # log-odds
    reasons: list[ReasonOut]
    risk_boxes: int
    dive_id: int | None
    dive_result: str | None


class DiveOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    call_id: int
    hub: str
    score: float
    reasons: list[ReasonOut]
    strategy: str
    propensity: float
    selected_by: str
    selected_at: datetime
    result: str
    kg_found: float
    dived_at: datetime | None
    recorded_by: str | None
    notes: str


class SelectIn(BaseModel):
    day: date  # first day of the plan (UTC)
    days: Annotated[StrictInt, Field(ge=1, le=31)] = 7
    capacity: Annotated[StrictInt, Field(ge=1, le=1000)]
    hub: str | None = Field(default=None, max_length=40)
    exploration_share: float = Field(default=0.2, ge=0.0, le=1.0)


class OutcomeIn(BaseModel):
    result: str = Field(max_length=16)
    kg_found: float = Field(default=0.0, ge=0.0, le=100_000)
    notes: str = Field(default="", max_length=2000)
