"""File ingest jobs: stream a file, validate and store per batch, commit per batch, record an IngestRun."""

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
from mainport.ingest import readers, service
from mainport.ingest.declarations import REQUIRED
from mainport.ingest.records import RawRecord, Reconciliation
from mainport.ingest.sequence import SequenceState

Kind = Literal["declarations", "events"]


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


def ingest_file(
    *,
    session_factory: sessionmaker[Session],
    actor: Principal,
    kind: Kind,
    path: Path | str,
    batch_size: int = 20_000,
    progress: Callable[[int], None] | None = None,
) -> Reconciliation:
    """Ingest one file in constant memory; each batch is its own transaction (safe to re-run: duplicates)."""
    path = Path(path)
    source = str(path)
    started = time.perf_counter()
    with session_scope(session_factory) as session:
        run_id = service.start_run(session=session, actor=actor, kind=kind, source=source)
    total = Reconciliation(kind, source)
    total.run_id = run_id
    if kind == "events":
        records = readers.read_events(path, progress=progress)
    else:
        records = readers.read_declarations(path, required=REQUIRED, progress=progress)
    state = SequenceState()
    with _collector_paused():
        for batch in _batches(iter(records), batch_size):
            with session_scope(session_factory) as session:
                if kind == "events":
                    recon = service.ingest_events(
                        session=session, actor=actor, records=batch, source=source, state=state
                    )
                else:
                    recon = service.ingest_declarations(
                        session=session, actor=actor, records=batch, source=source
                    )
            total.add(recon)
            del batch
            gc.collect(0)  # whatever cycles the batch left (session, transaction) go now
    total.elapsed_s = time.perf_counter() - started
    with session_scope(session_factory) as session:
        service.finish_run(session=session, run_id=run_id, recon=total)
    return total
