"""The ISPS facility register and the gate evidence over HTTP."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt


class MeasureIn(BaseModel):
    measure: str = Field(max_length=32)
    state: str = Field(max_length=16)
    note: str = Field(default="", max_length=300)


class FacilityIn(BaseModel):
    code: str = Field(min_length=10, max_length=16)
    name: str = Field(min_length=1, max_length=200)
    hub: str = Field(max_length=40)
    unlocode: str = Field(min_length=5, max_length=5)
    operator_code: str | None = Field(default=None, max_length=16)
    security_level: Annotated[StrictInt, Field(ge=1, le=3)] = 1
    status: str = Field(default="approved", max_length=16)
    compliance_until: date | None = None
    measures: list[MeasureIn] = Field(default_factory=list, max_length=20)


class FacilityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    hub: str
    unlocode: str
    operator_code: str | None
    security_level: int
    status: str
    compliance_until: date | None
    measures: list[MeasureIn]
    updated_by: str
    updated_at: datetime


class BadgeEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    facility_code: str
    hub: str
    badge: str
    direction: str
    gate: str | None
    granted: bool
    at: datetime


class DetectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    facility_code: str
    hub: str
    camera: str
    plate: str | None
    container_number: str | None
    direction: str | None
    confidence: float
    at: datetime


class NearOut(BaseModel):
    detections: list[DetectionOut]
    badges: list[BadgeEventOut]
