"""Monitoring I/O shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class MeasureIn(BaseModel):
    hub: str = Field(max_length=32)
    year: int = Field(ge=2000, le=2100)
    name: str = Field(min_length=1, max_length=200)
    budget_eur_m: float = Field(ge=0)
    spent_eur_m: float = Field(ge=0)
    results: str = Field(default="", max_length=5000)
    started_on: date | None = None


class MeasureOut(MeasureIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    recorded_by: str
    recorded_at: datetime


class SignalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source_hub: str
    target_hub: str
    metric: str
    change_start: date
    break_start: date
    excess_ratio: float
    ratio_low: float | None
    ratio_high: float | None
    excess_units: float
    z: float | None
    p_value: float | None
    explanation: str
    detail: dict[str, Any]
    detected_at: datetime


# The detector's signal: "indicators" (validated, default: seizures + out-of-hours look-ups + changed seals +
# new-consignee declarations per hub and week) or one count metric alone (displacement.WATERBED_METRICS).
WaterbedMetric = Literal[
    "indicators",
    "declarations",
    "containers",
    "scans",
    "inspections",
    "hits",
    "seizures",
    "kg",
    "alerts",
    "alerts_decided",
    "custody_deviations",
    "decision_hours",
]


class WaterbedRunIn(BaseModel):
    period: str | None = Field(default=None, max_length=10)
    start: date | None = None
    end: date | None = None
    metric: WaterbedMetric = "indicators"


class FindingOut(BaseModel):
    source_hub: str
    target_hub: str
    change_start: str
    flagged: bool
    delay_periods: int | None
    ratio: float
    ratio_low: float | None
    ratio_high: float | None
    z: float | None
    p_value: float | None
    explanation: str


class LoadResultOut(BaseModel):
    received: int
    stored: int
    updated: int
    quarantined: int
