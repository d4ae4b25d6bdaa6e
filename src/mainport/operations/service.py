"""Job runs and the scheduler lease, as the operations page, the API and the runner see them.

Callers own the transaction (the runner commits between the phases of a run)."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.database import utcnow
from mainport.errors import NotFound, ValidationFailed
from mainport.identity.principal import Principal
from mainport.operations.models import JobRun, SchedulerLease
from mainport.recurring import ScheduledJob

LEASE = "scheduler"
ERROR_LIMIT = 4000


def this_host() -> str:
    import os

    return f"{socket.gethostname()}:{os.getpid()}"


# ------------------------------------------------------------------ the lease: one leader at a time
def take_lease(*, session: Session, holder: str, ttl: timedelta, now: datetime | None = None) -> bool:
    """Become (or stay) the leader. True if ``holder`` holds the lease until now + ttl."""
    now = now or utcnow()
    lease = session.get(SchedulerLease, LEASE, with_for_update=True)
    if lease is None:
        try:
            with session.begin_nested():
                session.add(
                    SchedulerLease(
                        name=LEASE, holder=holder, acquired_at=now, renewed_at=now, expires_at=now + ttl
                    )
                )
        except IntegrityError:  # another scheduler inserted it first
            return False
        return True
    if lease.holder != holder and lease.expires_at > now:
        return False
    if lease.holder != holder:
        lease.holder, lease.acquired_at = holder, now
    lease.renewed_at, lease.expires_at = now, now + ttl
    return True


def release_lease(*, session: Session, holder: str) -> None:
    lease = session.get(SchedulerLease, LEASE, with_for_update=True)
    if lease is not None and lease.holder == holder:
        session.delete(lease)


def scheduler_state(*, session: Session, actor: Principal, now: datetime | None = None) -> dict[str, Any]:
    """Who leads the schedule, when it last renewed, and whether that lease is still alive."""
    actor.require("operations:read")
    lease = session.get(SchedulerLease, LEASE)
    now = now or utcnow()
    if lease is None:
        return {"leader": None, "renewed_at": None, "alive": False}
    return {"leader": lease.holder, "renewed_at": lease.renewed_at, "alive": lease.expires_at > now}


# ------------------------------------------------------------------ runs
def start_run(
    *,
    session: Session,
    job: str,
    trigger: str,
    attempt: int = 1,
    requested_by: str = "system",
    run_id: int | None = None,
) -> JobRun:
    now = utcnow()
    if run_id is not None:
        run = session.get(JobRun, run_id)
        if run is None:
            raise NotFound(f"job run {run_id} not found")
    else:
        run = JobRun(job=job, trigger=trigger, attempt=attempt, requested_by=requested_by, queued_at=now)
        session.add(run)
    run.status, run.started_at, run.host = "running", now, this_host()
    session.flush()
    return run


def finish_run(
    *, session: Session, run_id: int, ok: bool, result: dict[str, Any] | None = None, error: str | None = None
) -> JobRun:
    run = session.get(JobRun, run_id)
    if run is None:
        raise NotFound(f"job run {run_id} not found")
    run.status = "ok" if ok else "failed"
    run.finished_at = utcnow()
    run.result = result or {}
    run.error = error[-ERROR_LIMIT:] if error else None
    session.flush()
    return run


def last_success(session: Session, job: str) -> datetime | None:
    """When the last successful run of ``job`` started: incremental jobs look at what came after it."""
    return session.scalar(select(func.max(JobRun.started_at)).where(JobRun.job == job, JobRun.status == "ok"))


def claim_queued(*, session: Session, known: set[str]) -> list[JobRun]:
    """Take the runs people asked for (status queued -> running) so that one scheduler runs each once."""
    queued = session.scalars(
        select(JobRun).where(JobRun.status == "queued").order_by(JobRun.id).limit(20)
    ).all()
    claimed = []
    for run in queued:
        if run.job not in known:
            finish_run(session=session, run_id=run.id, ok=False, error=f"unknown job {run.job!r}")
            continue
        taken = session.execute(
            update(JobRun)
            .where(JobRun.id == run.id, JobRun.status == "queued")
            .values(status="claimed", host=this_host())
        )
        if taken.rowcount:  # type: ignore[attr-defined]
            claimed.append(run)
    session.flush()
    return claimed


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
                last_ok_at=last_success(session, job.name),
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
