"""File ingest jobs: stream a file, validate and store per batch, commit per batch, record an IngestRun; and
ingest's recurring job (``SCHEDULED``): the quarantine's retention.

Events files from PIPELINE_MIN_BYTES up are pipelined over two processes (`workers=1`): a reader process
reads, parses, validates and binds the rows (`pipeline.py`), while this process checks them against the
database (stored eventIDs, sequence) and writes the previous batch. Smaller files, declarations, the feeds
and `workers=0` run in this process alone. Both paths run the same functions on the same batches, so they
store the same rows and quarantine the same records with the same reasons.

Nothing a record holds stops a job (it is quarantined with the reason); only a failure of the job itself
does (the database gone for good, the disk full, the file unreadable): `IngestFailed`, one line, the run
marked failed with the batches it committed. A batch that fails on a fault of the moment (a deadlock, a
killed connection) is run again from its start, a few times. Every batch is its own transaction and adds
its counts to the run row in it, so a re-run after a crash resumes: what was committed counts as duplicates.
"""

from __future__ import annotations

import dataclasses
import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from mainport.config import get_settings
from mainport.database import run_transaction, session_scope
from mainport.database.core import is_transient
from mainport.identity.principal import Principal
from mainport.ingest import declaration_store, event_store, pipeline, readers, runs, service
from mainport.ingest.csv_reader import ReadReport
from mainport.ingest.declarations import REQUIRED
from mainport.ingest.prepare import PreparedEvents
from mainport.ingest.quarantine import Budget
from mainport.ingest.records import RawRecord, Reconciliation
from mainport.ingest.sequence import SequenceState
from mainport.logs import get_logger
from mainport.recurring import JobContext, ScheduledJob

Kind = str  # "declarations", "events" or a registered feed (`service.kinds()`)
Progress = Callable[[int], None]
log = get_logger("mainport.ingest")

# Below this a reader process costs more to start (~1 s: a fresh interpreter) than it saves (~25 us/event).
PIPELINE_MIN_BYTES = 32 * 1024 * 1024


class IngestFailed(RuntimeError):
    """The job itself failed (not one of its records): one line that says why and what was committed."""

    def __init__(self, message: str, recon: Reconciliation) -> None:
        super().__init__(message)
        self.message = message
        self.recon = recon


class _AlreadyCommitted(Exception):
    """This attempt of a batch found the batch already recorded: an earlier attempt did commit."""


def _batches(records: Iterator[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    while batch := list(islice(records, size)):
        yield batch


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a job streams records.

    Parsed JSON records are plain dicts and lists (freed by reference counting), but each one counts towards
    the collector's thresholds, and its passes over the live batch cost about a quarter of the time per
    record. The job collects the young generation itself after each batch; the collector is restored after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def choose_workers(kind: Kind, path: Path) -> int:
    """1 (a reader process) for events files of PIPELINE_MIN_BYTES and more, else 0 (one process)."""
    return 1 if kind == "events" and path.stat().st_size >= PIPELINE_MIN_BYTES else 0


def ingest_file(
    *,
    session_factory: sessionmaker[Session],
    actor: Principal,
    kind: Kind,
    path: Path | str,
    batch_size: int = 20_000,
    progress: Progress | None = None,
    workers: int | None = None,
) -> Reconciliation:
    """Ingest one file in constant memory; each batch is its own transaction (safe to re-run: duplicates).

    workers: 0 = everything in this process, 1 = a reader process for events (see the module docstring),
    None = chosen by kind and file size (`choose_workers`). Raises IngestFailed when the job itself fails.
    """
    path = Path(path)
    service.require(actor=actor, kind=kind)  # an unknown kind or a missing permission: refused first
    if workers is None:
        workers = choose_workers(kind, path)
    if workers not in (0, 1) or (workers and kind != "events"):
        raise ValueError(f"workers must be 0 or 1 (1 for events files only), not {workers}")
    source = str(path)
    started = time.perf_counter()
    with session_scope(session_factory) as session:
        run_id = runs.start_run(session=session, actor=actor, kind=kind, source=source)
        dialect = session.connection().dialect.name
        earlier = runs.unfinished_before(session=session, kind=kind, source=source, run_id=run_id)
    total = Reconciliation(kind, source)
    total.run_id = run_id
    for run in earlier:
        total.notes.append(
            f"run {run.id} of this file did not finish (stopped, or still running): it committed "
            f"{run.batches} batches ({run.received} records); what it stored counts as duplicates here"
        )
    report = ReadReport()
    job = _Job(session_factory, actor, kind, source, run_id, total)
    try:
        with _collector_paused():
            if workers:
                _pipelined_events(job, path, dialect, batch_size, progress)
            else:
                _in_process(job, path, batch_size, progress, report)
    except Exception as exc:
        line = f"ingest of {source} stopped: {_one_line(exc)}"
        committed = f"run {run_id} committed {job.batches} batches ({total.received} records)"
        try:
            run_transaction(session_factory, lambda s: runs.fail_run(session=s, run_id=run_id, error=line))
            marked = f"{committed} and is marked failed"
        except Exception:
            marked = f"{committed}; it could not be marked failed (the database is not reachable)"
        raise IngestFailed(f"{line}; {marked}; run the same command again to resume", total) from exc
    total.elapsed_s = time.perf_counter() - started
    total.flagged = _flag(total, report)
    run_transaction(session_factory, lambda s: runs.finish_run(session=s, run_id=run_id, recon=total))
    return total


def _flag(total: Reconciliation, report: ReadReport) -> str | None:
    """Why the file does not look like a file of its kind (None when it does)."""
    if report.header_problem:
        return report.header_problem
    if total.mostly_garbage:
        kept = total.quarantined - total.not_kept
        share = total.quarantined / total.received
        extra = (
            f"; the first {kept} are kept in quarantine, {total.not_kept} more only counted"
            if (total.not_kept)
            else ""
        )
        return (
            f"mostly garbage: {total.quarantined} of {total.received} records ({share:.0%}) quarantined"
            f"{extra}; is this a {total.kind} file?"
        )
    return None


def _one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = next((t.strip() for t in str(orig).splitlines() if t.strip()), "")
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or text}"
    if is_transient(exc):
        return f"the database failed and did not come back ({type(orig).__name__}: {text})"
    return f"{type(orig).__name__}: {text}"


class _Job:
    """One file job's batches: each committed with its run row update, run again on a fault of the
    moment (with a fresh sequence state and the quarantine budget as it was before the batch)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        actor: Principal,
        kind: Kind,
        source: str,
        run_id: int,
        total: Reconciliation,
    ) -> None:
        self.factory, self.actor, self.kind, self.source = factory, actor, kind, source
        self.run_id, self.total = run_id, total
        self.state = SequenceState()
        self.budget = Budget()
        self.batches = 0

    def commit(self, store: Callable[[Session, SequenceState, Budget], Reconciliation]) -> Reconciliation:
        number = self.batches + 1
        budget_before = dataclasses.replace(self.budget)
        committed: list[Reconciliation] = []

        def attempt(session: Session) -> Reconciliation:
            recon = store(session, self.state, self.budget)
            if not runs.record_batch(session=session, run_id=self.run_id, number=number, recon=recon):
                raise _AlreadyCommitted
            committed[:] = [recon]
            return recon

        def again(n: int, exc: BaseException) -> None:
            log.warning(
                "ingest batch retried", source=self.source, batch=number, attempt=n, error=str(exc)[:200]
            )
            self.state = SequenceState()  # it saw rows that were rolled back: read it again from the database
            self.budget = dataclasses.replace(budget_before)

        try:
            recon = run_transaction(self.factory, attempt, on_retry=again)
        except _AlreadyCommitted:
            self.budget = dataclasses.replace(budget_before)
            recon = committed[0]  # the attempt whose COMMIT was not confirmed
            self.state = SequenceState()
        self.batches = number
        self.total.add(recon)
        return recon


def _in_process(
    job: _Job, path: Path, batch_size: int, progress: Progress | None, report: ReadReport
) -> None:
    kind, source, actor = job.kind, job.source, job.actor
    if kind == "events":
        records = readers.read_events(path, progress=progress)
    elif kind == "declarations":
        records = readers.read_declarations(path, required=REQUIRED, progress=progress, report=report)
    else:
        records = readers.read_feed(path, progress=progress)
    for batch in _batches(iter(records), batch_size):

        def store(
            session: Session, state: SequenceState, budget: Budget, batch: list[RawRecord] = batch
        ) -> Reconciliation:
            if kind == "events":
                return event_store.ingest_events(
                    session=session, actor=actor, records=batch, source=source, state=state, budget=budget
                )
            if kind == "declarations":
                return declaration_store.ingest_declarations(
                    session=session, actor=actor, records=batch, source=source, budget=budget
                )
            return service.ingest_feed(
                session=session,
                actor=actor,
                kind=kind,
                records=batch,
                source=source,
                run_id=job.run_id,
                budget=budget,
            )

        job.commit(store)
        del batch
        gc.collect(0)  # whatever cycles the batch left (session, transaction) go now


def _pipelined_events(
    job: _Job, path: Path, dialect: str, batch_size: int, progress: Progress | None
) -> None:
    """Batches prepared by a reader process are checked against the database and written here, in order."""
    job.actor.require("events:write")  # before a process is started for nothing
    reader = pipeline.start_reader(str(path), job.source, dialect, batch_size)
    try:
        for prepared, nbytes in pipeline.receive(reader):
            if prepared is not None:

                def store(
                    session: Session, state: SequenceState, budget: Budget, batch: PreparedEvents = prepared
                ) -> Reconciliation:
                    return event_store.store_events(
                        session=session, actor=job.actor, prepared=batch, state=state, budget=budget
                    )

                job.commit(store)
                del prepared
                gc.collect(0)
            if progress and nbytes:
                progress(nbytes)
        reader.wait(timeout=60)  # it has sent its last frame and is exiting
    finally:
        if reader.poll() is None:
            reader.kill()  # this job failed: the reader may be blocked writing the next batch
        if reader.stdout is not None:
            reader.stdout.close()
        reader.wait()


# --- recurring ---------------------------------------------------------------------------------------------


def _quarantine_retention(ctx: JobContext) -> dict[str, Any]:
    days = get_settings().retention_quarantine_days
    done = service.purge_quarantine(
        session=ctx.session, actor=ctx.actor, before=ctx.now - timedelta(days=days)
    )
    return {"purged": done["purged"], "by_kind_status": done["by_kind_status"], "kept_days": days}


SCHEDULED = (
    ScheduledJob(
        "ingest-quarantine-retention",
        "Delete quarantined records untouched for longer than the retention period "
        "(MAINPORT_RETENTION_QUARANTINE_DAYS)",
        _quarantine_retention,
        cron="45 2 * * *",
    ),
)
