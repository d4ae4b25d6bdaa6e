"""The scheduler: fires each registered job on its schedule, but only while it holds the lease.

`mainport serve` runs one inside the web process (the embedded default, MAINPORT_SCHEDULER=embedded);
production runs `mainport worker` and sets MAINPORT_SCHEDULER=off on the web processes. Several schedulers
may run: the lease in the database makes exactly one of them the leader, and another takes over within
``lease_ttl`` when the leader stops. Built on APScheduler (timing, misfires, one instance per job)."""

from __future__ import annotations

from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.orm import Session, sessionmaker

from mainport.database import session_scope, utcnow
from mainport.logs import get_logger
from mainport.operations import ledger
from mainport.operations.runner import RunOutcome, execute
from mainport.recurring import ScheduledJob

log = get_logger("mainport.scheduler")


class JobScheduler:
    def __init__(
        self,
        factory: sessionmaker[Session],
        jobs: dict[str, ScheduledJob],
        *,
        holder: str | None = None,
        lease_ttl: timedelta = timedelta(seconds=60),
        poll: timedelta = timedelta(seconds=5),
    ) -> None:
        self.factory = factory
        self.jobs = jobs
        self.holder = holder or ledger.this_host()
        self.lease_ttl = lease_ttl
        self.poll = poll
        self._leader = False
        self._scheduler = BackgroundScheduler(
            timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1}
        )

    # -------------------------------------------------------------- leadership
    @property
    def is_leader(self) -> bool:
        return self._leader

    def renew_lease(self) -> bool:
        try:
            with session_scope(self.factory) as session:
                leader = ledger.take_lease(session=session, holder=self.holder, ttl=self.lease_ttl)
        except Exception as exc:  # the database is away: not the leader until it answers again
            log.warning("scheduler.lease_failed", holder=self.holder, error=str(exc)[:200])
            leader = False
        if leader != self._leader:
            log.info("scheduler.leader" if leader else "scheduler.follower", holder=self.holder)
        self._leader = leader
        return leader

    # -------------------------------------------------------------- running
    def fire(
        self,
        name: str,
        *,
        trigger: str = "schedule",
        attempt: int = 1,
        run_id: int | None = None,
        requested_by: str = "system",
    ) -> RunOutcome | None:
        """Run a job now if this scheduler leads; on failure schedule a retry with backoff."""
        if not self._leader and not self.renew_lease():
            return None
        job = self.jobs[name]
        outcome = execute(
            self.factory, job, trigger=trigger, attempt=attempt, run_id=run_id, requested_by=requested_by
        )
        if not outcome.ok and attempt < job.max_attempts and self._scheduler.running:
            when = utcnow() + job.retry_delay(attempt)
            self._scheduler.add_job(
                self.fire,
                "date",
                run_date=when,
                args=[name],
                kwargs={"trigger": "retry", "attempt": attempt + 1},
                id=f"{name}:retry",
                replace_existing=True,
            )
            log.info("job.retry_scheduled", job=name, attempt=attempt + 1, at=when.isoformat())
        return outcome

    def run_queued(self) -> list[RunOutcome]:
        """Runs people asked for on the page or the API."""
        if not self._leader:
            return []
        with session_scope(self.factory) as session:
            claimed = [
                (r.id, r.job, r.requested_by)
                for r in ledger.claim_queued(session=session, known=set(self.jobs))
            ]
        outcomes = []
        for run_id, name, who in claimed:
            outcome = self.fire(name, trigger="manual", run_id=run_id, requested_by=who)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    # -------------------------------------------------------------- life cycle
    def start(self) -> None:
        self.renew_lease()
        renew_every = max(1.0, self.lease_ttl.total_seconds() / 4)
        self._scheduler.add_job(self.renew_lease, "interval", seconds=renew_every, id="_lease")
        self._scheduler.add_job(self.run_queued, "interval", seconds=self.poll.total_seconds(), id="_queue")
        for job in self.jobs.values():
            self._scheduler.add_job(
                self.fire, job.trigger(), args=[job.name], id=job.name, misfire_grace_time=300
            )
        self._scheduler.start()
        log.info("scheduler.started", holder=self.holder, jobs=len(self.jobs), leader=self._leader)

    def next_run_times(self) -> dict[str, object]:
        return {j.id: j.next_run_time for j in self._scheduler.get_jobs() if not j.id.startswith("_")}

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        if self._leader:
            try:
                with session_scope(self.factory) as session:
                    ledger.release_lease(session=session, holder=self.holder)
            except Exception as exc:  # the next leader takes over when the lease expires
                log.warning("scheduler.release_failed", error=str(exc)[:200])
        self._leader = False
        log.info("scheduler.stopped", holder=self.holder)
