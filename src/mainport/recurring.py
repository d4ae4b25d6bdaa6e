"""Recurring jobs: what a domain declares in its `<domain>/jobs.py` (``SCHEDULED``) to be run by itself.

The contract between the domains and the scheduler (`mainport.operations`), a shared kernel module, so that
declaring a job does not make a domain depend on the operations package."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from mainport.identity.principal import Principal


@dataclass(frozen=True)
class JobContext:
    """What a job run gets: a session (the runner commits), who acts, now, and when the job last succeeded
    (so incremental jobs look only at what is new; None on the first run)."""

    session: Session
    actor: Principal
    now: datetime
    since: datetime | None


@dataclass(frozen=True)
class ScheduledJob:
    """A job a domain wants run by itself. ``run`` must be idempotent: a retry or a second run of the same
    period changes nothing more. It returns a small summary (counts) that is stored and audited."""

    name: str
    description: str
    run: Callable[[JobContext], dict[str, Any]]
    every: timedelta | None = None
    cron: str | None = None  # crontab "minute hour day month weekday", UTC; weekdays by name (mon, ...)
    max_attempts: int = 3
    backoff: timedelta = timedelta(seconds=30)
    tags: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if (self.every is None) == (self.cron is None):
            raise ValueError(f"job {self.name}: give exactly one of every= or cron=")
        fields = (self.cron or "").split()
        if self.cron is not None and (len(fields) != 5 or any(c.isdigit() for c in fields[4])):
            # APScheduler counts weekdays from Monday = 0, crontab from Sunday = 0: names mean the same.
            raise ValueError(f"job {self.name}: cron needs 5 fields with weekdays by name (mon-sun)")

    @property
    def schedule(self) -> str:
        if self.every is not None:
            return f"every {_human(self.every)}"
        return f"cron {self.cron} (UTC)"

    def trigger(self) -> Any:
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        if self.every is not None:
            return IntervalTrigger(seconds=self.every.total_seconds(), timezone="UTC")
        return CronTrigger.from_crontab(str(self.cron), timezone="UTC")

    def retry_delay(self, attempt: int) -> timedelta:
        """Exponential backoff: backoff, 2x, 4x, ... after the first, second, third failure."""
        return self.backoff * (2 ** max(0, attempt - 1))


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def discover() -> dict[str, ScheduledJob]:
    """Every domain's ``SCHEDULED`` jobs, by name (a name used twice is a programming error)."""
    from mainport.domains import domain_modules

    jobs: dict[str, ScheduledJob] = {}
    for domain, module in domain_modules("jobs", all_domains=True):
        for job in getattr(module, "SCHEDULED", ()):
            if job.name in jobs:
                raise RuntimeError(f"job name {job.name!r} declared twice (again by {domain})")
            jobs[job.name] = job
    return dict(sorted(jobs.items()))
