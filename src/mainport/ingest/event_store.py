"""Events ingest: one batch of DCSA events checked against the database (stored eventIDs, the sequence of
each box's and vessel's events), written insert-or-nothing, the rest quarantined. Flush only, never commit.

Race-free on both databases: a concurrent ingest's events count as duplicates (`EVENT_WRITERS_LOCK` on
PostgreSQL, insert-or-nothing on SQLite), a batch is never refused for one overlap, and a row the database
refuses is found and quarantined with the database's reason (`writes.write_guarded`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from sqlalchemy import text
from sqlalchemy.orm import Session

from mainport.database import chunks, utcnow
from mainport.database.core import is_unique_violation
from mainport.identity import policy
from mainport.identity.principal import Principal
from mainport.ingest import quarantine
from mainport.ingest.prepare import (
    CLASSIFIER,
    EQUIPMENT,
    EVENT_COLUMNS,
    ID,
    EventRow,
    PreparedEvents,
    Refused,
    event_time,
    prepare_events,
)
from mainport.ingest.quarantine import Budget
from mainport.ingest.records import RawRecord, Reconciliation
from mainport.ingest.sequence import MAX_EQUIPMENT, SQLITE_CHUNK, SequenceState
from mainport.ingest.writes import Written, audit_batch, count_written, register_containers, write_guarded


def ingest_events(
    *,
    session: Session,
    actor: Principal,
    records: Iterable[RawRecord],
    source: str,
    state: SequenceState | None = None,
    budget: Budget | None = None,
) -> Reconciliation:
    """Validate and store one batch of DCSA events; one audit entry for the batch."""
    actor.require("events:write")
    started = time.perf_counter()
    prepared = prepare_events(records, source=source, now=utcnow(), dialect=_dialect(session))
    prepared = _scope_to_writer(session, actor, prepared)
    recon = _store_events(session, prepared, state or SequenceState(), budget)
    recon.elapsed_s = time.perf_counter() - started
    audit_batch(session, actor, recon)
    return recon


def store_events(
    *,
    session: Session,
    actor: Principal,
    prepared: PreparedEvents,
    state: SequenceState,
    budget: Budget | None = None,
) -> Reconciliation:
    """Store a batch prepared elsewhere (the reader process of a pipelined file job): the checks against
    the database, the write and the quarantine, exactly as `ingest_events` does after preparing."""
    actor.require("events:write")
    started = time.perf_counter()
    prepared = _scope_to_writer(session, actor, prepared)
    recon = _store_events(session, prepared, state, budget)
    recon.elapsed_s = time.perf_counter() - started
    audit_batch(session, actor, recon)
    return recon


def _scope_to_writer(session: Session, actor: Principal, prepared: PreparedEvents) -> PreparedEvents:
    """Need-to-know on writes (`identity.policy`): the events this writer may not report (another facility,
    another carrier's container) are quarantined with the reason instead of stored."""
    if policy.sees_everything(actor) or not prepared.rows:
        return prepared
    reasons = policy.event_write_refusals(
        session, actor, [(r[1], r[EQUIPMENT], r[9], r[13], r[15]) for r in prepared.rows]
    )
    if not any(reasons):
        return prepared
    kept = PreparedEvents(prepared.source, prepared.received, prepared.duplicates, list(prepared.refused))
    for i, (row, reason) in enumerate(zip(prepared.rows, reasons, strict=True)):
        if reason is not None:
            kept.refused.append(prepared.refusal(i, reason))
            continue
        if i in prepared.raws:
            kept.raws[len(kept.rows)] = prepared.raws[i]
        kept.rows.append(row)
        kept.locators.append(prepared.locators[i])
        kept.sizes.append(prepared.sizes[i])
    return kept


def _dialect(session: Session) -> str:
    return session.connection().dialect.name


def _store_events(
    session: Session, prepared: PreparedEvents, state: SequenceState, budget: Budget | None = None
) -> Reconciliation:
    lock_event_writers(session)
    recon, refused, rows, index = _check_stored(session, prepared, state)
    seen = state.containers_registered
    if len(seen) > MAX_EQUIPMENT:
        seen.clear()
    fresh_boxes: dict[str, str | None] = {
        r[EQUIPMENT]: None for r in rows if r[EQUIPMENT] and r[EQUIPMENT] not in seen
    }
    register_containers(session, fresh_boxes)
    seen.update(fresh_boxes)
    written = _write_events(session, rows)
    count_written(recon, written)
    refused.extend(prepared.refusal(index[i], reason) for i, reason in written.refused)
    quarantine.keep(
        session=session, kind="event", source=prepared.source, refused=refused, recon=recon, budget=budget
    )
    return recon


def _check_stored(
    session: Session, prepared: PreparedEvents, state: SequenceState
) -> tuple[Reconciliation, list[Refused], list[EventRow], list[int]]:
    """Duplicates of stored eventIDs, then the sequence checks (in file order); the rows to write and
    their positions in the prepared batch."""
    recon = Reconciliation("events", prepared.source)
    recon.received, recon.duplicates = prepared.received, prepared.duplicates
    refused = list(prepared.refused)
    rows = prepared.rows
    stored = _existing_event_ids(session, [r[ID] for r in rows])
    fresh = [i for i, r in enumerate(rows) if r[ID] not in stored] if stored else range(len(rows))
    recon.duplicates += len(rows) - len(fresh)
    state.load(session, [rows[i] for i in fresh] if stored else rows)
    out: list[EventRow] = []
    index: list[int] = []
    check = state.check
    for i in fresh:
        row = rows[i]
        reason = check(row, event_time(row)) if row[CLASSIFIER] == "ACT" else None
        if reason is not None:
            refused.append(prepared.refusal(i, reason))
            continue
        out.append(row)
        index.append(i)
    return recon, refused, out, index


def _existing_event_ids(session: Session, ids: list[str]) -> set[str]:
    """The eventIDs already stored; plain driver SQL on the unique index (compiling big IN's is slow)."""
    if not ids:
        return set()
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        result = conn.exec_driver_sql("SELECT event_id FROM container_event WHERE event_id = ANY(%s)", (ids,))
        return {r[0] for r in result}
    found: set[str] = set()
    for chunk in chunks(ids, SQLITE_CHUNK):
        marks = ",".join("?" * len(chunk))
        result = conn.exec_driver_sql(
            f"SELECT event_id FROM container_event WHERE event_id IN ({marks})", tuple(chunk)
        )
        found.update(r[0] for r in result)
    return found


_COLUMNS = ", ".join(EVENT_COLUMNS)
_STAGE = "container_event_stage"


def _write_events(session: Session, rows: list[EventRow]) -> Written:
    """Insert the rows in file order (guarded: a row the database refuses is found and reported, the rest
    stored)."""
    if not rows:
        return Written()
    return write_guarded(session, rows, lambda part: _insert_events(session, part))


# Event writers on PostgreSQL take this transaction lock before they look up the stored eventIDs, so that
# two ingests of overlapping events (a push feed and a file, two files) never interleave between the look-up
# and the write: the later one finds the earlier one's events stored and counts them as duplicates, and
# no two writers wait for each other's rows in different orders (no deadlock). SQLite writers are serial.
EVENT_WRITERS_LOCK = 724202


def lock_event_writers(session: Session) -> None:
    if session.connection().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_WRITERS_LOCK})


def _insert_events(session: Session, rows: Sequence[EventRow]) -> tuple[int, int]:
    """Rows as bound by prepare_events for this dialect; (stored, duplicates). SQLite: one prepared
    executemany, insert-or-nothing on the eventID. PostgreSQL: COPY (several times faster than INSERT); when
    a concurrent ingest stored some of these eventIDs since they were looked up, the batch goes through a
    staging table into insert ... on conflict do nothing, and those are duplicates."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        marks = ", ".join("?" * len(EVENT_COLUMNS))
        result = conn.exec_driver_sql(
            f"INSERT INTO container_event ({_COLUMNS}) VALUES ({marks}) ON CONFLICT (event_id) DO NOTHING",
            list(rows),
        )
        return result.rowcount, len(rows) - result.rowcount
    try:
        with session.begin_nested():
            _copy(session, "container_event", rows)
        return len(rows), 0
    except Exception as exc:  # a writer that did not take EVENT_WRITERS_LOCK stored some of these meanwhile
        if not is_unique_violation(exc):
            raise
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} ON COMMIT DROP AS "
        f"SELECT {_COLUMNS} FROM container_event WITH NO DATA"
    )
    conn.exec_driver_sql(f"TRUNCATE {_STAGE}")
    _copy(session, _STAGE, rows)
    result = conn.exec_driver_sql(
        f"INSERT INTO container_event ({_COLUMNS}) SELECT {_COLUMNS} FROM {_STAGE} ORDER BY event_id "
        "ON CONFLICT (event_id) DO NOTHING"
    )
    return result.rowcount, len(rows) - result.rowcount


def _copy(session: Session, table: str, rows: Sequence[EventRow]) -> None:
    dbapi = session.connection().connection.driver_connection
    with dbapi.cursor() as cur, cur.copy(f"COPY {table} ({_COLUMNS}) FROM STDIN") as copy:  # type: ignore[union-attr]
        write = copy.write_row
        for r in rows:
            write(r)


def retry_one(
    session: Session, actor: Principal, rec: RawRecord, source: str
) -> tuple[Reconciliation, list[Refused]]:
    """One quarantined event checked and stored again (a quarantine retry): the database checks and the
    write of a batch, with a fresh sequence state; the refusals are returned, not quarantined again."""
    prepared = prepare_events([rec], source=source, now=utcnow(), dialect=_dialect(session))
    prepared = _scope_to_writer(session, actor, prepared)
    lock_event_writers(session)
    recon, bad, rows, index = _check_stored(session, prepared, SequenceState())
    written = _write_events(session, rows)
    count_written(recon, written)
    bad.extend(prepared.refusal(index[i], reason) for i, reason in written.refused)
    return recon, bad
