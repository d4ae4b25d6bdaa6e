"""File ingest jobs: stream a file, validate and store per batch, commit per batch, record an IngestRun.

Events files from PIPELINE_MIN_BYTES up are pipelined over two processes (`workers=1`): a reader process
reads, parses, validates and binds the rows (`pipeline.py`), while this process checks them against the
database (stored eventIDs, sequence) and writes the previous batch. Smaller files, declarations and
`workers=0` run in this process alone. Both paths run the same functions on the same batches, so they store
the same rows and quarantine the same records with the same reasons.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from mainport.database import session_scope
from mainport.identity.principal import Principal
from mainport.ingest import pipeline, readers, service
from mainport.ingest.declarations import REQUIRED
from mainport.ingest.records import RawRecord, Reconciliation
from mainport.ingest.sequence import SequenceState

Kind = Literal["declarations", "events", "access", "eseal", "inspections", "seizures"]
KINDS: tuple[Kind, ...] = ("declarations", "events", "access", "eseal", "inspections", "seizures")
Progress = Callable[[int], None]

# Below this a reader process costs more to start (~1 s: a fresh interpreter) than it saves (~25 us/event).
PIPELINE_MIN_BYTES = 32 * 1024 * 1024


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
    None = chosen by kind and file size (`choose_workers`).
    """
    path = Path(path)
    if workers is None:
        workers = choose_workers(kind, path)
    if workers not in (0, 1) or (workers and kind != "events"):
        raise ValueError(f"workers must be 0 or 1 (1 for events files only), not {workers}")
    if kind not in KINDS:
        raise ValueError(f"unknown ingest kind {kind!r}; known: {', '.join(KINDS)}")
    source = str(path)
    started = time.perf_counter()
    with session_scope(session_factory) as session:
        run_id = service.start_run(session=session, actor=actor, kind=kind, source=source)
        dialect = session.connection().dialect.name
    total = Reconciliation(kind, source)
    total.run_id = run_id
    with _collector_paused():
        if workers:
            _pipelined_events(session_factory, actor, path, dialect, batch_size, progress, total)
        else:
            _in_process(session_factory, actor, kind, path, batch_size, progress, total)
    total.elapsed_s = time.perf_counter() - started
    with session_scope(session_factory) as session:
        service.finish_run(session=session, run_id=run_id, recon=total)
    return total


def _in_process(
    session_factory: sessionmaker[Session],
    actor: Principal,
    kind: Kind,
    path: Path,
    batch_size: int,
    progress: Progress | None,
    total: Reconciliation,
) -> None:
    source = str(path)
    if kind == "events":
        records = readers.read_events(path, progress=progress)
    elif kind == "declarations":
        records = readers.read_declarations(path, required=REQUIRED, progress=progress)
    else:
        records = readers.read_feed(path, progress=progress)
    state = SequenceState()
    for batch in _batches(iter(records), batch_size):
        with session_scope(session_factory) as session:
            if kind == "events":
                recon = service.ingest_events(
                    session=session, actor=actor, records=batch, source=source, state=state
                )
            elif kind != "declarations":
                recon = service.ingest_feed(
                    session=session, actor=actor, kind=kind, records=batch, source=source, run_id=total.run_id
                )
            else:
                recon = service.ingest_declarations(
                    session=session, actor=actor, records=batch, source=source
                )
        total.add(recon)
        del batch
        gc.collect(0)  # whatever cycles the batch left (session, transaction) go now


def _pipelined_events(
    session_factory: sessionmaker[Session],
    actor: Principal,
    path: Path,
    dialect: str,
    batch_size: int,
    progress: Progress | None,
    total: Reconciliation,
) -> None:
    """Batches prepared by a reader process are checked against the database and written here, in order."""
    actor.require("events:write")  # before a process is started for nothing
    reader = pipeline.start_reader(str(path), str(path), dialect, batch_size)
    state = SequenceState()
    try:
        for prepared, nbytes in pipeline.receive(reader):
            if prepared is not None:
                with session_scope(session_factory) as session:
                    recon = service.store_events(session=session, actor=actor, prepared=prepared, state=state)
                total.add(recon)
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
