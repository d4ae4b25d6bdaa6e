"""Run one job: record the run, do the work in its own transaction, audit it, record how it ended.

Jobs take ids, not ORM objects, and are safe to re-run; the runner commits (it is the job's caller)."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from mainport.audit import service as audit
from mainport.database import session_scope, utcnow
from mainport.identity.principal import system_principal
from mainport.logs import get_logger
from mainport.operations import ledger
from mainport.recurring import JobContext, ScheduledJob

log = get_logger("mainport.jobs")


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    job: str
    ok: bool
    attempt: int
    result: dict[str, Any]
    error: str | None

    @property
    def summary(self) -> str:
        if self.ok:
            return ", ".join(f"{k} {v}" for k, v in self.result.items()) or "done"
        return (self.error or "failed").splitlines()[0]


def execute(
    factory: sessionmaker[Session],
    job: ScheduledJob,
    *,
    trigger: str = "schedule",
    attempt: int = 1,
    requested_by: str = "system",
    run_id: int | None = None,
) -> RunOutcome:
    """Run ``job`` once. A failure is recorded and audited, not raised: the scheduler decides on a retry."""
    actor = system_principal()
    with session_scope(factory) as session:
        run = ledger.start_run(
            session=session,
            job=job.name,
            trigger=trigger,
            attempt=attempt,
            requested_by=requested_by,
            run_id=run_id,
        )
        run_id = run.id
        since = ledger.last_success(session=session, job=job.name)
    log.info("job.start", job=job.name, run_id=run_id, trigger=trigger, attempt=attempt)
    try:
        with session_scope(factory) as session:
            result = dict(job.run(JobContext(session=session, actor=actor, now=utcnow(), since=since)) or {})
            audit.record(
                session=session,
                actor=actor,
                action="job.run",
                entity_type="job",
                entity_id=job.name,
                detail={"run_id": run_id, "trigger": trigger, "attempt": attempt, "result": result},
            )
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"
        log.warning("job.failed", job=job.name, run_id=run_id, attempt=attempt, error=str(exc)[:300])
        with session_scope(factory) as session:
            ledger.finish_run(session=session, run_id=run_id, ok=False, error=error)
            audit.record(
                session=session,
                actor=actor,
                action="job.failed",
                entity_type="job",
                entity_id=job.name,
                detail={"run_id": run_id, "attempt": attempt, "error": f"{type(exc).__name__}: {exc}"[:500]},
            )
        return RunOutcome(run_id, job.name, False, attempt, {}, error)
    with session_scope(factory) as session:
        ledger.finish_run(session=session, run_id=run_id, ok=True, result=result)
    log.info("job.ok", job=job.name, run_id=run_id, **{k: v for k, v in result.items() if _loggable(v)})
    return RunOutcome(run_id, job.name, True, attempt, result, None)


def _loggable(value: Any) -> bool:
    return isinstance(value, int | float | bool) or (isinstance(value, str) and len(value) < 80)
