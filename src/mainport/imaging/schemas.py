"""HTTP shapes of the imaging domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class ScanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    container_number: str
    scanner_id: str
    unlocode: str
    phase: str
    scanned_at: datetime
    received_at: datetime
    meta: dict[str, Any]


class ComparisonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    origin_scan_id: int
    arrival_scan_id: int
    container_number: str
    status: str
    score: float | None
    stat: float | None
    flipped: bool
    regions: list[Any]
    error: str
    alert_id: int | None
    params_version: str
    created_at: datetime
    alert_threshold: float | None = None


class DeclaredCheckOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    scan_id: int
    declaration_id: int | None
    hs_code: str | None
    commodity: str
    score: float
    regions: list[Any]
    reasons: list[str]
    alert_id: int | None


class ContainerScansOut(BaseModel):
    container_number: str
    scans: list[ScanOut]
    comparisons: list[ComparisonOut]
    declared_checks: list[DeclaredCheckOut]


class OutcomeIn(BaseModel):
    outcome: str  # clean | found
    inspection_id: int | None = None
    note: str = ""


class OutcomeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    comparison_id: int
    outcome: str
    inspection_id: int | None
    recorded_by: str
    note: str
    recorded_at: datetime


class CalibrationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    origin_scanner: str
    arrival_scanner: str
    params_version: str
    target_fa: float
    prior_threshold: float
    threshold: float
    n_clean: int
    updated_at: datetime
    updated_by: str
