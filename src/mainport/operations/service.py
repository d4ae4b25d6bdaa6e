"""Job runs and the scheduler lease as people see them (the operations page, the API, the CLI): the jobs,
their last and next runs, a run asked for by hand. The runner's own bookkeeping is in `ledger`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.database import utcnow
from mainport.errors import ValidationFailed
from mainport.identity.principal import Principal
from mainport.operations import ledger
from mainport.operations.ledger import LEASE
from mainport.operations.models import JobRun, SchedulerLease
from mainport.recurring import ScheduledJob


def scheduler_state(*, session: Session, actor: Principal, now: datetime | None = None) -> dict[str, Any]:
    """Who leads the schedule, when it last renewed, and whether that lease is still alive."""
    actor.require("operations:read")
    lease = session.get(SchedulerLease, LEASE)
    now = now or utcnow()
    if lease is None:
        return {"leader": None, "renewed_at": None, "alive": False}
    return {"leader": lease.holder, "renewed_at": lease.renewed_at, "alive": lease.expires_at > now}


def request_run(*, session: Session, actor: Principal, jobs: dict[str, ScheduledJob], name: str) -> JobRun:
    """A person asks for a run now; the scheduler's leader picks it up within seconds."""
    actor.require("operations:run")
    if name not in jobs:
        raise ValidationFailed(f"unknown job {name!r}; known: {', '.join(jobs)}")
    waiting = session.scalar(
        select(JobRun).where(JobRun.job == name, JobRun.status.in_(("queued", "claimed")))
    )
    if waiting is not None:  # asking twice queues one run
        return waiting
    run = JobRun(job=name, trigger="manual", status="queued", requested_by=actor.username)
    session.add(run)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="job.request",
        entity_type="job",
        entity_id=name,
        detail={"run_id": run.id},
    )
    return run


@dataclass(frozen=True)
class JobStatus:
    name: str
    description: str
    schedule: str
    last: JobRun | None
    last_ok_at: datetime | None
    next_run_at: datetime | None
    failures_7d: int
    queued: bool


def overview(
    *, session: Session, actor: Principal, jobs: dict[str, ScheduledJob], now: datetime | None = None
) -> list[JobStatus]:
    """Per job: the last run, the last success, the next run (from its schedule), failures in a week."""
    actor.require("operations:read")
    now = now or utcnow()
    statuses = []
    for job in jobs.values():
        last = session.scalar(
            select(JobRun)
            .where(JobRun.job == job.name, JobRun.status.in_(("running", "ok", "failed")))
            .order_by(JobRun.started_at.desc(), JobRun.id.desc())
            .limit(1)
        )
        failures = session.scalar(
            select(func.count())
            .select_from(JobRun)
            .where(JobRun.job == job.name, JobRun.status == "failed", JobRun.started_at >= now - timedelta(7))
        )
        queued = session.scalar(
            select(func.count())
            .select_from(JobRun)
            .where(JobRun.job == job.name, JobRun.status.in_(("queued", "claimed")))
        )
        statuses.append(
            JobStatus(
                name=job.name,
                description=job.description,
                schedule=job.schedule,
                last=last,
                last_ok_at=ledger.last_success(session=session, job=job.name),
                next_run_at=next_fire(job, now, last.started_at if last else None),
                failures_7d=int(failures or 0),
                queued=bool(queued),
            )
        )
    return statuses


def next_fire(job: ScheduledJob, now: datetime, last_start: datetime | None = None) -> datetime | None:
    """When the schedule fires next after ``now`` (interval jobs: an interval after the last run)."""
    if job.every is not None:
        return max(now, last_start + job.every) if last_start else now
    fire: datetime | None = job.trigger().get_next_fire_time(None, now)
    return fire


def list_runs(*, session: Session, actor: Principal, job: str | None = None, limit: int = 50) -> list[JobRun]:
    actor.require("operations:read")
    q = select(JobRun).order_by(JobRun.id.desc()).limit(limit)
    if job:
        q = q.where(JobRun.job == job)
    return list(session.scalars(q))
