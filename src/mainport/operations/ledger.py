"""The scheduler's and the runner's own records: the leader lease and the phases of each job run. No user
asks here: the runner acts (as the system principal) and commits between the phases of a run; what people
see and ask for goes through `service` (operations:read / operations:run)."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mainport.database import utcnow
from mainport.errors import NotFound
from mainport.operations.models import JobRun, SchedulerLease

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


def last_success(*, session: Session, job: str) -> datetime | None:
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
