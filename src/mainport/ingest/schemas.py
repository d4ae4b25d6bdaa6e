"""Pydantic I/O shapes of the ingest API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class ProblemOut(BaseModel):
    locator: str
    reason: str
    quarantine_id: int | None = None


class ReconciliationOut(BaseModel):
    kind: str
    source: str
    received: int
    stored: int
    updated: int
    duplicates: int
    quarantined: int
    not_kept: int = 0
    balanced: bool
    flagged: str | None = None
    elapsed_s: float
    rate_per_s: float
    run_id: int | None = None
    problems: list[ProblemOut]
    notes: list[str] = []


class QuarantinedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    source: str
    locator: str
    reason: str
    status: str
    retries: int
    raw_size: int
    received_at: datetime
    resolved_at: datetime | None = None


class QuarantinedDetail(QuarantinedOut):
    raw: str


class RetryIn(BaseModel):
    fixed_raw: str | None = None
