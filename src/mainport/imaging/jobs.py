"""Imaging jobs: ingest a folder of scans (one commit per file), compare pairs by id. Safe to re-run.

Jobs take ids and paths, open their own unit of work (`session_scope`) and commit; a re-run finds the
stored scans (duplicates) and the stored comparisons (same pair, same parameter version) and adds nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mainport.config import Settings
from mainport.database import session_scope
from mainport.identity.principal import Principal
from mainport.imaging import service
from mainport.imaging.models import ScanComparison
from mainport.imaging.service import ScanIngest
from mainport.ingest.records import Reconciliation
from mainport.shipments.models import Scan


def ingest_scans(
    *,
    session_factory: sessionmaker[Session],
    actor: Principal,
    path: Path,
    phase: str | None = None,
    settings: Settings | None = None,
    on_file: Callable[[int, int], None] | None = None,
) -> ScanIngest:
    """Ingest a file or every scan file under a folder; each file is its own transaction (a quarantined
    file has left the folder, so its row must not be rolled back by a later file's failure)."""
    started = time.perf_counter()
    files = service.scan_files(Path(path))
    total = ScanIngest(Reconciliation(kind="scan", source=str(path)))
    for i, file in enumerate(files, start=1):
        with session_scope(session_factory) as session:
            total.add(
                service.ingest_scan_file(
                    session=session, actor=actor, path=file, phase=phase, source=str(file), settings=settings
                )
            )
        if on_file is not None:
            on_file(i, len(files))
    total.recon.source = str(path)
    total.recon.elapsed_s = time.perf_counter() - started
    with session_scope(session_factory) as session:
        service.record_run(session=session, actor=actor, result=total)
    return total


def compare_pair(
    *,
    session_factory: sessionmaker[Session],
    actor: Principal,
    origin_scan_id: int,
    arrival_scan_id: int,
    settings: Settings | None = None,
) -> int:
    """Compare one pair by ids (the stored comparison when it exists); returns the comparison id."""
    with session_scope(session_factory) as session:
        row = service.compare_scans(
            session=session,
            actor=actor,
            origin_scan_id=origin_scan_id,
            arrival_scan_id=arrival_scan_id,
            settings=settings,
        )
        return row.id


def compare_pending(
    *, session_factory: sessionmaker[Session], actor: Principal, settings: Settings | None = None
) -> list[int]:
    """Compare every arrival scan that has an earlier origin scan and no comparison yet (catch-up)."""
    with session_scope(session_factory) as session:
        compared = select(ScanComparison.arrival_scan_id)
        arrivals = list(
            session.scalars(select(Scan.id).where(Scan.phase == "arrival", Scan.id.not_in(compared)))
        )
        pairs = [p for a in arrivals for p in service.pending_pairs(session=session, scan_id=a)]
    return [
        compare_pair(
            session_factory=session_factory,
            actor=actor,
            origin_scan_id=o,
            arrival_scan_id=a,
            settings=settings,
        )
        for o, a in pairs
    ]
