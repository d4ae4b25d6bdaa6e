from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class JobRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    job: str
    trigger: str
    status: str
    attempt: int
    requested_by: str
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any]
    error: str | None


class JobOut(BaseModel):
    name: str
    description: str
    schedule: str
    last_run: JobRunOut | None
    last_ok_at: datetime | None
    next_run_at: datetime | None
    failures_7d: int
    queued: bool


class SchedulerOut(BaseModel):
    leader: str | None
    renewed_at: datetime | None
    alive: bool


class OperationsOut(BaseModel):
    scheduler: SchedulerOut
    jobs: list[JobOut]
