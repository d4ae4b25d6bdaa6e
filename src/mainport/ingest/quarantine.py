"""Writing the quarantine: the one way every domain keeps a record it could not store, with the reason.

`keep` (a batch of refusals, as ingest does per batch) and `keep_one` (a scan file, a line of a public
series) are idempotent: a record is kept once per (kind, source, locator, reason, raw) -- the SHA-1 in
`quarantined_record.key`, written with insert-or-nothing -- so a re-run of a file after a crash, or two
ingests of the same file at once, do not keep its bad records twice. The raw text is stored safely: NUL,
which PostgreSQL text cannot hold, as the JSON escape \\u0000; bytes that were not UTF-8 as U+FFFD.

A run that reads a source that is mostly garbage does not copy the whole source into the quarantine: a
`Budget` keeps the first ALWAYS_KEPT records of a run, then only while at most GARBAGE_SHARE of the run so
far is quarantined; the rest is counted (`Reconciliation.not_kept`) and the run is flagged.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from mainport.database import chunks, utcnow
from mainport.ingest.models import QuarantinedRecord
from mainport.ingest.prepare import Refused
from mainport.ingest.records import GARBAGE_SHARE, RAW_LIMIT, Problem, Reconciliation

QR = QuarantinedRecord.__table__
ALWAYS_KEPT = 1000  # records of one run always copied, however bad the source
_SURROGATES = re.compile("[\ud800-\udfff]")


def storable(text: str, limit: int | None = None) -> str:
    """Text any database column takes: NUL as the JSON escape \\u0000, unpaired surrogates (bytes that
    were not UTF-8) as U+FFFD; cut to `limit` characters first."""
    if limit is not None:
        text = text[:limit]
    if "\x00" in text:
        text = text.replace("\x00", "\\u0000")
    if _SURROGATES.search(text) is not None:
        text = _SURROGATES.sub("\ufffd", text)
    return text


def record_key(kind: str, source: str, locator: str, reason: str, raw: str) -> str:
    """What makes a quarantined record the same record (over the stored, bounded texts)."""
    digest = hashlib.sha1(usedforsecurity=False)
    for part in (kind, source, locator, reason, raw):
        digest.update(part.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()


@dataclass
class Budget:
    """How much of one run's refusals is copied into the quarantine (see the module docstring)."""

    always: int = ALWAYS_KEPT
    received: int = 0  # of the run so far, this batch included once `keep` has seen it
    quarantined: int = 0
    kept: int = 0

    def allows(self) -> bool:
        mostly_garbage = self.quarantined > GARBAGE_SHARE * self.received
        return self.kept < self.always or not mostly_garbage


def keep(
    *,
    session: Session,
    kind: str,
    source: str,
    refused: Sequence[Refused],
    recon: Reconciliation,
    budget: Budget | None = None,
) -> None:
    """Quarantine a batch's refusals (counted in `recon`, their ids in `recon.problems`). `recon` is the
    batch's reconciliation with `received` complete; with a `budget` (a file job) a mostly-garbage source is
    copied only in part (the rest counted in `recon.not_kept`)."""
    recon.quarantined += len(refused)
    if budget is not None:
        budget.received += recon.received
        budget.quarantined += len(refused)
    if not refused:
        return
    source, now = storable(source, 300), utcnow()
    rows: dict[str, dict[str, object]] = {}
    order: list[tuple[Refused, str | None]] = []
    for b in refused:
        if budget is not None and not budget.allows():
            recon.not_kept += 1
            order.append((b, None))
            continue
        if budget is not None:
            budget.kept += 1
        locator, reason = storable(b.locator, 64), storable(b.reason)
        raw = storable(b.raw, RAW_LIMIT)
        key = record_key(kind, source, locator, reason, raw)
        order.append((b, key))
        rows[key] = {
            "key": key,
            "kind": kind,
            "source": source,
            "locator": locator,
            "raw": raw,
            "raw_size": b.raw_size if b.raw_size is not None else len(raw.encode()),
            "reason": reason,
            "status": "open",
            "received_at": now,
            "retries": 0,
        }
    # In the order received: the key holds the source, so only runs of the same source can overlap, and they
    # meet the same records in the same order (one lock order, no deadlocks).
    ids = _insert_new(session, list(rows.values()))
    room = recon.max_problems - len(recon.problems)
    recon.problems.extend(
        Problem(storable(b.locator, 64), storable(b.reason), ids.get(k) if k else None)
        for b, k in order[:room]
    )


def keep_one(
    *,
    session: Session,
    kind: str,
    source: str,
    locator: str,
    raw: str,
    reason: str,
    raw_size: int | None = None,
) -> int:
    """Quarantine one record (a scan file, a line of a public series); the id of its row, which is the
    existing row's when the same record was kept before."""
    recon = Reconciliation(kind, source, received=1)
    keep(
        session=session,
        kind=kind,
        source=source,
        refused=[Refused(locator, raw, raw_size, reason)],
        recon=recon,
    )
    found = recon.problems[0].quarantine_id
    assert found is not None
    return found


def _insert_new(session: Session, rows: list[dict[str, object]]) -> dict[str, int]:
    """Insert the rows whose key is new (insert ... on conflict do nothing: race-free on both databases);
    key -> id for all of them, new and already there."""
    if not rows:
        return {}
    make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = make(QuarantinedRecord).on_conflict_do_nothing(index_elements=["key"])
    ids: dict[str, int] = {}
    for chunk in chunks(rows, 500):
        ids.update((k, i) for i, k in session.execute(stmt.returning(QR.c.id, QR.c.key), list(chunk)))
    missing = [str(r["key"]) for r in rows if r["key"] not in ids]
    for keys in chunks(missing):
        ids.update((k, i) for k, i in session.execute(select(QR.c.key, QR.c.id).where(QR.c.key.in_(keys))))
    return ids


def open_counts(session: Session, *where: Any) -> dict[str, int]:
    """Open quarantined records per kind (for overviews): the caller checks who may see them and narrows
    the count with `where` (need-to-know)."""
    q = (
        select(QuarantinedRecord.kind, func.count())
        .where(QuarantinedRecord.status == "open", *where)
        .group_by(QuarantinedRecord.kind)
    )
    return {kind: int(n) for kind, n in session.execute(q)}
