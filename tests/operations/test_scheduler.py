"""Recurring jobs: found in each domain, run and recorded once, audited, retried with backoff, one leader."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from mainport.audit.models import AuditEntry
from mainport.errors import PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import system_principal
from mainport.operations import service
from mainport.operations.models import JobRun
from mainport.operations.runner import execute
from mainport.operations.scheduler import JobScheduler
from mainport.recurring import JobContext, ScheduledJob, discover
from tests.conftest import FreshDatabase, PrincipalFactory

CALLS: list[datetime | None] = []


def _counting(ctx: JobContext) -> dict[str, Any]:
    CALLS.append(ctx.since)
    return {"seen": len(CALLS)}


def _failing(ctx: JobContext) -> dict[str, Any]:
    raise RuntimeError("partner feed unreachable")


COUNTING = ScheduledJob("test-counting", "counts", _counting, every=timedelta(seconds=1))
FAILING = ScheduledJob(
    "test-failing", "fails", _failing, every=timedelta(hours=1), backoff=timedelta(seconds=1)
)


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()


def test_every_domain_declares_its_jobs_and_each_has_a_schedule() -> None:
    jobs = discover()
    expected = {
        "audit-verify",
        "custody-anchor-gate",
        "custody-door-events",
        "custody-dwell",
        "custody-seal-checks",
        "insider-retention",
        "monitoring-report",
        "targeting-retrain",
    }
    assert expected <= set(jobs)
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    for job in jobs.values():
        nxt = service.next_fire(job, now)
        assert nxt is not None and nxt >= now, job.name
        assert job.schedule
    assert service.next_fire(jobs["targeting-retrain"], now) == datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def test_a_job_needs_exactly_one_schedule() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ScheduledJob("x", "x", _counting)
    with pytest.raises(ValueError, match="exactly one"):
        ScheduledJob("x", "x", _counting, every=timedelta(1), cron="0 0 * * *")
    with pytest.raises(ValueError, match="weekdays by name"):
        ScheduledJob("x", "x", _counting, cron="0 3 * * 1")


def test_backoff_doubles() -> None:
    assert [FAILING.retry_delay(a).total_seconds() for a in (1, 2, 3)] == [1, 2, 4]


def test_a_run_is_recorded_audited_and_gets_the_last_success(fresh_db: FreshDatabase) -> None:
    first = execute(fresh_db.factory, COUNTING)
    second = execute(fresh_db.factory, COUNTING, trigger="command")
    assert first.ok and second.ok and second.result == {"seen": 2}
    with fresh_db.factory() as s:
        runs = s.scalars(select(JobRun).order_by(JobRun.id)).all()
        assert [(r.status, r.trigger) for r in runs] == [("ok", "schedule"), ("ok", "command")]
        assert CALLS[0] is None and CALLS[1] == runs[0].started_at  # incremental jobs see the last success
        audited = s.scalars(select(AuditEntry).where(AuditEntry.action == "job.run")).all()
        assert [a.detail["run_id"] for a in audited] == [runs[0].id, runs[1].id]


def test_a_failure_is_recorded_and_retried_with_backoff(fresh_db: FreshDatabase) -> None:
    scheduler = JobScheduler(fresh_db.factory, {FAILING.name: FAILING}, holder="a")
    scheduler.start()
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            scheduler.fire(FAILING.name) if not _runs(fresh_db) else None
            if len(_runs(fresh_db)) >= FAILING.max_attempts:
                break
            time.sleep(0.2)
    finally:
        scheduler.shutdown()
    runs = _runs(fresh_db)
    assert [(r.status, r.attempt) for r in runs] == [("failed", 1), ("failed", 2), ("failed", 3)]
    assert runs[1].started_at - runs[0].started_at >= timedelta(seconds=1)  # backoff 1 s, then 2 s
    assert runs[2].started_at - runs[1].started_at >= timedelta(seconds=2)
    assert "partner feed unreachable" in (runs[0].error or "")
    with fresh_db.factory() as s:
        assert len(s.scalars(select(AuditEntry).where(AuditEntry.action == "job.failed")).all()) == 3


def _runs(db: FreshDatabase) -> list[JobRun]:
    with db.factory() as s:
        return list(s.scalars(select(JobRun).where(JobRun.status != "queued").order_by(JobRun.id)))


def test_one_leader_at_a_time_and_a_takeover_when_it_stops(fresh_db: FreshDatabase) -> None:
    ttl = timedelta(seconds=2)
    a = JobScheduler(fresh_db.factory, {COUNTING.name: COUNTING}, holder="a", lease_ttl=ttl)
    b = JobScheduler(fresh_db.factory, {COUNTING.name: COUNTING}, holder="b", lease_ttl=ttl)
    assert a.renew_lease() and not b.renew_lease()
    assert b.fire(COUNTING.name) is None and CALLS == []  # a follower runs nothing
    assert a.fire(COUNTING.name) is not None and len(CALLS) == 1
    time.sleep(2.2)  # a stopped renewing: its lease expires and b takes over
    assert b.renew_lease() and not a.renew_lease()
    b.shutdown()  # releasing the lease on the way out lets a lead at once
    assert a.renew_lease()


def test_a_running_scheduler_fires_jobs_on_schedule(fresh_db: FreshDatabase) -> None:
    scheduler = JobScheduler(fresh_db.factory, {COUNTING.name: COUNTING}, holder="solo")
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while len(CALLS) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        scheduler.shutdown()
    assert len(CALLS) >= 2
    with fresh_db.factory() as s:
        assert not service.scheduler_state(session=s, actor=system_principal())["alive"]  # released


def test_a_run_asked_for_by_an_admin_is_run_once_by_the_leader(
    fresh_db: FreshDatabase, principal_factory: PrincipalFactory
) -> None:
    jobs = {COUNTING.name: COUNTING}
    admin = principal_factory(role=Role.admin)
    with fresh_db.factory.begin() as s:
        first = service.request_run(session=s, actor=admin, jobs=jobs, name=COUNTING.name)
        again = service.request_run(session=s, actor=admin, jobs=jobs, name=COUNTING.name)
        assert again.id == first.id  # asking twice queues one run
        with pytest.raises(ValidationFailed, match="unknown job"):
            service.request_run(session=s, actor=admin, jobs=jobs, name="nope")
    leader = JobScheduler(fresh_db.factory, jobs, holder="l")
    assert leader.renew_lease()
    done = leader.run_queued()
    assert [o.run_id for o in done] == [first.id] and leader.run_queued() == []
    with fresh_db.factory() as s:
        run = s.get(JobRun, first.id)
        assert run is not None and run.status == "ok" and run.trigger == "manual"
        assert run.requested_by == admin.username


def test_only_government_admins_see_and_start_jobs(session: Any, principal_factory: PrincipalFactory) -> None:
    jobs = {COUNTING.name: COUNTING}
    for who in (
        principal_factory(role=Role.analyst),
        principal_factory(role=Role.admin, kind=OrgKind.terminal),
        principal_factory(role=Role.viewer),
    ):
        with pytest.raises(PermissionDenied):
            service.overview(session=session, actor=who, jobs=jobs)
        with pytest.raises(PermissionDenied):
            service.request_run(session=session, actor=who, jobs=jobs, name=COUNTING.name)
    rows = service.overview(session=session, actor=principal_factory(role=Role.admin), jobs=jobs)
    assert [r.name for r in rows] == [COUNTING.name] and rows[0].last is None
    assert service.overview(session=session, actor=system_principal(), jobs=jobs)
