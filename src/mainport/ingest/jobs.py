"""File ingest jobs: stream a file, validate and store per batch, commit per batch, record an IngestRun."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
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


def ingest_file(
    *,
    session_factory: sessionmaker[Session],
    actor: Principal,
    kind: Kind,
    path: Path | str,
    batch_size: int = 5000,
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
    total.elapsed_s = time.perf_counter() - started
    with session_scope(session_factory) as session:
        service.finish_run(session=session, run_id=run_id, recon=total)
    return total
