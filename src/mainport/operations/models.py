"""Runs of the recurring jobs, and the lease that makes one scheduler the leader."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mainport.database import Base, utcnow


class JobRun(Base):
    """One run of a job: queued (asked for by a person), running, ok or failed."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | manual | retry | command
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued | running | ok | failed
    attempt: Mapped[int] = mapped_column(default=1)
    requested_by: Mapped[str] = mapped_column(String(64), default="system")
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(100))


class SchedulerLease(Base):
    """Who runs the schedule now. A scheduler renews its lease; another takes over once it has expired."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    renewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
