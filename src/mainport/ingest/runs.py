"""Ingest runs: one row per ingest of one source, with counts that grow batch by batch as batches commit.

Each batch adds its counts to its run in the batch's own transaction, so whatever happens to the job (a
crash, kill -9, a lost database) the row says exactly what was committed. A run is `running` until it is
`finished` (with its reconciliation) or `failed` (with the reason in one line); a row left `running` by a
killed job stays so, and the next run of the same source says so.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from mainport.database import utcnow
from mainport.errors import NotFound
from mainport.identity.principal import Principal
from mainport.ingest import quarantine
from mainport.ingest.models import IngestRun
from mainport.ingest.records import Reconciliation
from mainport.ingest.service import require


def start_run(*, session: Session, actor: Principal, kind: str, source: str) -> int:
    require(actor=actor, kind=kind)
    run = IngestRun(
        kind=kind, source=quarantine.storable(source, 300), actor=actor.username, summary={}, status="running"
    )
    session.add(run)
    session.flush()
    return run.id


def record_batch(*, session: Session, run_id: int, number: int, recon: Reconciliation) -> bool:
    """Add batch `number` (1, 2, ...) to its run, in the batch's transaction. False when that batch is
    already recorded: an earlier attempt of it committed although the commit was not confirmed (the
    connection died on COMMIT), so this attempt must be rolled back."""
    result = session.execute(
        update(IngestRun)
        .where(IngestRun.id == run_id, IngestRun.batches == number - 1)
        .values(
            batches=IngestRun.batches + 1,
            received=IngestRun.received + recon.received,
            stored=IngestRun.stored + recon.stored,
            duplicates=IngestRun.duplicates + recon.duplicates,
            quarantined=IngestRun.quarantined + recon.quarantined,
            not_kept=IngestRun.not_kept + recon.not_kept,
        )
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def _run(session: Session, run_id: int) -> IngestRun:
    run = session.get(IngestRun, run_id)
    if run is None:
        raise NotFound(f"ingest run {run_id} not found")
    return run


def finish_run(*, session: Session, run_id: int, recon: Reconciliation) -> None:
    recon.check()
    run = _run(session, run_id)
    run.finished_at, run.status = utcnow(), "finished"
    run.received, run.stored, run.duplicates, run.quarantined = (
        recon.received,
        recon.stored,
        recon.duplicates,
        recon.quarantined,
    )
    run.not_kept, run.flagged = recon.not_kept, recon.flagged
    summary = recon.summary()
    summary["problems"] = summary["problems"][:50]
    run.summary = summary
    session.flush()


def fail_run(*, session: Session, run_id: int, error: str) -> None:
    """The job stopped: the counts stay those of the committed batches; the reason in one line."""
    run = _run(session, run_id)
    run.finished_at, run.status, run.error = utcnow(), "failed", quarantine.storable(error)[:2000]
    session.flush()


def record_finished(
    *,
    session: Session,
    kind: str,
    source: str,
    actor: str,
    recon: Reconciliation,
    summary: dict[str, Any] | None = None,
) -> int:
    """A run that another domain's job ran and reconciled itself (scan folders): one finished row, with
    `summary` (default: the reconciliation's) kept beside the counts."""
    recon.check()
    summary = dict(summary if summary is not None else recon.summary())
    summary["problems"] = summary.get("problems", [])[:50]
    run = IngestRun(
        kind=kind,
        source=quarantine.storable(source, 300),
        actor=actor[:64],
        status="finished",
        finished_at=utcnow(),
        batches=1,
        received=recon.received,
        stored=recon.stored,
        duplicates=recon.duplicates,
        quarantined=recon.quarantined,
        not_kept=recon.not_kept,
        summary=summary,
    )
    session.add(run)
    session.flush()
    return run.id


def unfinished_before(*, session: Session, kind: str, source: str, run_id: int) -> list[IngestRun]:
    """Earlier runs of the same source still marked running: killed, or running now beside this one."""
    return list(
        session.scalars(
            select(IngestRun)
            .where(
                IngestRun.kind == kind,
                IngestRun.source == quarantine.storable(source, 300),
                IngestRun.status == "running",
                IngestRun.id < run_id,
            )
            .order_by(IngestRun.id)
        )
    )
