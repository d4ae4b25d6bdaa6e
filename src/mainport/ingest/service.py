"""Ingest services: validate, de-duplicate, store in bulk, quarantine, reconcile. They flush, never commit.

Writes are idempotent and race-free on both databases: inserts are insert-or-nothing on the record's key
(a concurrent ingest's records count as duplicates, a batch is never refused for one overlap), upserts take
their locks in key order (no deadlocks between concurrent writers), and a row the database refuses is found
and quarantined with the database's reason while the rest of the batch is stored (`writes.write_guarded`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any, cast

import orjson
from sqlalchemy import CursorResult, Table, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from mainport.audit.service import record as audit
from mainport.database import chunks, utcnow
from mainport.database.core import is_unique_violation
from mainport.errors import NotFound, ValidationFailed
from mainport.identity import policy
from mainport.identity.principal import Principal
from mainport.ingest import declarations as decl
from mainport.ingest import quarantine, registry
from mainport.ingest.models import QuarantinedRecord
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
    validated,
)
from mainport.ingest.quarantine import Budget
from mainport.ingest.records import RAW_LIMIT, Problem, RawRecord, Reconciliation
from mainport.ingest.sequence import MAX_EQUIPMENT, SQLITE_CHUNK, SequenceState
from mainport.ingest.writes import Written, write_guarded
from mainport.shipments.models import Container, ContainerEvent, Declaration, Party

# The kinds ingest stores itself (ingest kind -> quarantine kind, permissions); the other feeds are declared
# by the domains that consume them (`registry`, `<domain>/feeds.py`).
OWN_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "declarations": ("declaration", ("declarations:write",)),
    "events": ("event", ("events:write",)),
}
CE = ContainerEvent.__table__
CONTAINER = cast(Table, Container.__table__)
DECL = Declaration.__table__
PARTY = Party.__table__
QR = QuarantinedRecord.__table__


def kinds() -> list[str]:
    """Every ingest kind: declarations, events and the registered feeds."""
    return [*OWN_KINDS, *registry.feeds()]


def record_kind(kind: str) -> str:
    """The quarantine kind of an ingest kind's records."""
    if kind in OWN_KINDS:
        return OWN_KINDS[kind][0]
    feed = registry.feeds().get(kind)
    if feed is None:
        raise ValidationFailed(f"unknown ingest kind {kind!r}; known: {', '.join(kinds())}")
    return feed.record


def permissions(record: str) -> tuple[str, ...] | None:
    """What sending (or retrying) records of quarantine kind `record` needs; None when ingest does not take
    that kind (scans, public series: quarantined by their own domains)."""
    for own, needed in OWN_KINDS.values():
        if own == record:
            return needed
    feed = registry.by_record(record)
    return feed.permissions if feed is not None else None


def require(actor: Principal, kind: str) -> None:
    """The permissions to ingest records of ingest kind `kind`."""
    for permission in permissions(record_kind(kind)) or ():
        actor.require(permission)


# --- events -----------------------------------------------------------------------------------------------


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
    _audit_batch(session, actor, recon)
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
    _audit_batch(session, actor, recon)
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
    _lock_event_writers(session)
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
    _count_written(recon, written)
    refused.extend(prepared.refusal(index[i], reason) for i, reason in written.refused)
    quarantine.keep(
        session=session, kind="event", source=prepared.source, refused=refused, recon=recon, budget=budget
    )
    return recon


def _count_written(recon: Reconciliation, written: Written) -> None:
    recon.stored += written.stored
    recon.duplicates += written.duplicates


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


def _lock_event_writers(session: Session) -> None:
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


def register_containers(session: Session, size_types: dict[str, str | None]) -> None:
    """Make sure every container number seen in stored events or declarations has its `container` row.

    Insert-or-nothing for the new numbers (no lock on the rows already there), then a known size-type fills
    a missing one but never overwrites another; both in number order, so that concurrent ingests of
    overlapping boxes take their locks in one order (no deadlocks). `first_seen` is when the platform first
    heard of the box.
    """
    if not size_types:
        return
    make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    numbers = sorted(size_types)
    now = utcnow()
    session.execute(
        make(CONTAINER).on_conflict_do_nothing(index_elements=["number"]),
        [
            {"number": n, "size_type": size_types[n], "shipper_owned": False, "first_seen": now}
            for n in numbers
        ],
    )
    fill = [{"b_number": n, "b_size_type": size_types[n]} for n in numbers if size_types[n]]
    if fill:
        session.execute(
            update(CONTAINER)
            .where(CONTAINER.c.number == bindparam("b_number"), CONTAINER.c.size_type.is_(None))
            .values(size_type=bindparam("b_size_type")),
            fill,
        )


# --- declarations -----------------------------------------------------------------------------------------


def ingest_declarations(
    *,
    session: Session,
    actor: Principal,
    records: Iterable[RawRecord],
    source: str,
    budget: Budget | None = None,
) -> Reconciliation:
    """Validate and store one batch of declarations (amendments update); one audit entry for the batch."""
    actor.require("declarations:write")
    started = time.perf_counter()
    recon, bad = _declarations(session=session, records=records, source=source)
    quarantine.keep(
        session=session, kind="declaration", source=source, refused=bad, recon=recon, budget=budget
    )
    recon.elapsed_s = time.perf_counter() - started
    _audit_batch(session, actor, recon)
    return recon


Version = tuple[RawRecord, dict[str, Any]]  # a declaration's record and its row


def _declarations(
    *, session: Session, records: Iterable[RawRecord], source: str
) -> tuple[Reconciliation, list[Refused]]:
    recon = Reconciliation("declarations", source)
    bad: list[Refused] = []
    latest: dict[str, tuple[RawRecord, decl.ValidDeclaration]] = {}
    now = utcnow()
    for rec, valid in validated(records, decl.validate, now, recon, bad):
        ref = valid.row["reference"]
        prior = latest.get(ref)
        if prior is not None:
            recon.duplicates += 1  # one of the two versions is not stored: the lower amendment
            if valid.row["amendments"] <= prior[1].row["amendments"]:
                continue
        latest[ref] = (rec, valid)
    if not latest:
        return recon, bad
    refs = sorted(latest)  # one lock order for every writer
    existing: dict[str, tuple[int, int]] = {}
    for chunk in chunks(refs):
        for ref, id_, amendments in session.execute(
            select(DECL.c.reference, DECL.c.id, DECL.c.amendments).where(DECL.c.reference.in_(chunk))
        ):
            existing[ref] = (id_, amendments)
    party_ids = _upsert_parties(session, [v for _, v in latest.values()])
    new: list[Version] = []
    updates: list[Version] = []
    for ref in refs:
        rec, valid = latest[ref]
        row = dict(valid.row)
        for role in decl.ROLES:
            party = valid.parties.get(role)
            row[f"{role}_id"] = party_ids[party.eori] if party else None
        row["source"] = source[:200]
        row["received_at"] = now
        if ref not in existing:
            new.append((rec, row))
        elif row["amendments"] > existing[ref][1]:
            row["id"] = existing[ref][0]
            updates.append((rec, row))
        else:
            recon.duplicates += 1
    register_containers(
        session,
        {r["container_number"]: r["size_type"] for _, r in [*new, *updates] if r["container_number"]},
    )
    updated = [0]
    for versions, write in (
        (new, lambda part: _insert_declarations(session, part, updated)),
        (updates, lambda part: _update_declarations(session, part, updated)),
    ):
        written = write_guarded(session, versions, write)
        _count_written(recon, written)
        bad.extend(Refused.of(versions[i][0], reason) for i, reason in written.refused)
    recon.updated += updated[0]
    return recon, bad


def _insert_declarations(
    session: Session, versions: Sequence[Version], updated: list[int]
) -> tuple[int, int]:
    """Insert-or-nothing by reference; a reference stored meanwhile by a concurrent ingest is an amendment
    (when ours is newer) or a duplicate. (stored, duplicates); `updated` counts the amendments."""
    make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = make(Declaration).on_conflict_do_nothing(index_elements=["reference"]).returning(DECL.c.reference)
    inserted = set(session.scalars(stmt, [row for _, row in versions]))
    raced = [(rec, row) for rec, row in versions if row["reference"] not in inserted]
    if not raced:
        return len(inserted), 0
    stored_now = dict(
        session.execute(
            select(DECL.c.reference, DECL.c.id).where(
                DECL.c.reference.in_([r["reference"] for _, r in raced])
            )
        ).all()
    )
    again = [(rec, {**row, "id": stored_now[row["reference"]]}) for rec, row in raced]
    stored, duplicates = _update_declarations(session, again, updated)
    return len(inserted) + stored, duplicates


def _update_declarations(
    session: Session, versions: Sequence[Version], updated: list[int]
) -> tuple[int, int]:
    """Amendments: each row updates its stored declaration only while the stored one is older (race-free:
    a concurrent newer amendment wins); in id order. (stored, duplicates)."""
    stored = 0
    for _, row in sorted(versions, key=lambda v: v[1]["id"]):
        values = {k: v for k, v in row.items() if k != "id"}
        result = session.execute(
            update(Declaration)
            .where(Declaration.id == row["id"], Declaration.amendments < row["amendments"])
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        stored += cast(CursorResult[Any], result).rowcount
    updated[0] += stored
    return stored, len(versions) - stored


def _upsert_parties(session: Session, valid: Iterable[decl.ValidDeclaration]) -> dict[str, int]:
    """Parties by EORI: insert-or-nothing for new ones (race-free), first_seen is the earliest filed_at seen
    (a conditional update: never moved later); in EORI order (one lock order for every writer)."""
    first: dict[str, tuple[decl.PartyRef, Any]] = {}
    for v in valid:
        for party in v.parties.values():
            seen = first.get(party.eori)
            if seen is None or v.row["filed_at"] < seen[1]:
                first[party.eori] = (party, v.row["filed_at"])
    eoris = sorted(first)
    ids: dict[str, int] = {}
    earlier: dict[str, Any] = {}
    for chunk in chunks(eoris):
        for id_, eori, seen_at in session.execute(
            select(PARTY.c.id, PARTY.c.eori, Party.first_seen).where(PARTY.c.eori.in_(chunk))
        ):
            ids[eori] = id_
            earlier[eori] = seen_at
    new = [
        {"eori": e, "name": first[e][0].name, "country": first[e][0].country, "first_seen": first[e][1]}
        for e in eoris
        if e not in ids
    ]
    if new:
        make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(make(Party).on_conflict_do_nothing(index_elements=["eori"]), new)
        for chunk in chunks([r["eori"] for r in new]):
            ids.update(
                {
                    e: i
                    for i, e in session.execute(
                        select(PARTY.c.id, PARTY.c.eori).where(PARTY.c.eori.in_(chunk))
                    )
                }
            )
    for eori in sorted(earlier):
        if first[eori][1] < earlier[eori]:
            session.execute(
                update(Party)
                .where(Party.id == ids[eori], Party.first_seen > first[eori][1])
                .values(first_seen=first[eori][1])
                .execution_options(synchronize_session=False)
            )
    return ids


# --- the feeds other domains register (access logs, e-seal status, inspections, seizures, ...) -----------


def ingest_feed(
    *,
    session: Session,
    actor: Principal,
    kind: str,
    records: Iterable[RawRecord],
    source: str,
    run_id: int | None = None,
    budget: Budget | None = None,
) -> Reconciliation:
    """Validate and store one batch of a registered feed (`registry`): checked by the feed's validator,
    de-duplicated within the batch, stored by the consuming domain's own store. One audit entry for the
    batch besides the domain's."""
    feed = registry.get(kind)
    for permission in feed.permissions:
        actor.require(permission)
    started = time.perf_counter()
    recon, bad = _feed(session, actor, feed, records, source, run_id)
    quarantine.keep(session=session, kind=feed.record, source=source, refused=bad, recon=recon, budget=budget)
    recon.elapsed_s = time.perf_counter() - started
    _audit_batch(session, actor, recon)
    return recon


def _feed(
    session: Session,
    actor: Principal,
    feed: registry.Feed,
    records: Iterable[RawRecord],
    source: str,
    run_id: int | None,
) -> tuple[Reconciliation, list[Refused]]:
    recon = Reconciliation(feed.kind, source)
    now = utcnow()
    bad: list[Refused] = []
    rows: list[dict[str, Any]] = []
    recs: list[RawRecord] = []
    seen: set[object] = set()
    for rec, row in validated(records, feed.validate, now, recon, bad):
        identity = feed.identity(row)
        if identity in seen:
            recon.duplicates += 1  # the same record again in this batch
            continue
        seen.add(identity)
        rows.append(row)
        recs.append(rec)
    refusals: list[tuple[int, str]] = []

    def store(part: Sequence[int]) -> tuple[int, int]:
        result = feed.store(
            session=session, actor=actor, rows=[rows[i] for i in part], source=source, run_id=run_id
        )
        kept = [part[j] for j in range(len(part)) if j not in result.refused]
        register_containers(session, {n: None for i in kept if (n := feed.containers(rows[i]))})
        refusals.extend((part[j], reason) for j, reason in result.refused.items())
        return result.stored, result.duplicates

    written = write_guarded(session, list(range(len(rows))), store)
    _count_written(recon, written)
    bad.extend(Refused.of(recs[i], reason) for i, reason in sorted(refusals))
    bad.extend(Refused.of(recs[i], reason) for i, reason in written.refused)
    return recon, bad


# --- audit ------------------------------------------------------------------------------------------------


def _audit_batch(session: Session, actor: Principal, recon: Reconciliation) -> None:
    audit(
        session=session,
        actor=actor,
        action=f"ingest.{recon.kind}",
        entity_type="ingest_batch",
        entity_id=recon.source[:200],
        detail={k: v for k, v in recon.summary().items() if k not in ("problems", "kind", "source")},
    )


# --- quarantine operations --------------------------------------------------------------------------------


def list_quarantine(
    *,
    session: Session,
    actor: Principal,
    kind: str | None = None,
    status: str | None = "open",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[QuarantinedRecord], int]:
    actor.require("quarantine:read")
    q = select(QuarantinedRecord).where(policy.quarantine(session, actor))
    if kind:
        q = q.where(QuarantinedRecord.kind == kind)
    if status:
        q = q.where(QuarantinedRecord.status == status)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    items = list(session.scalars(q.order_by(QuarantinedRecord.id).limit(limit).offset(offset)))
    return items, total


def get_quarantined(*, session: Session, actor: Principal, record_id: int) -> QuarantinedRecord:
    actor.require("quarantine:read")
    found = session.scalar(
        select(QuarantinedRecord).where(QuarantinedRecord.id == record_id, policy.quarantine(session, actor))
    )
    if found is None:  # or not the actor's to see: the same answer
        raise NotFound(f"quarantined record {record_id} not found")
    return found


def retry_quarantined(
    *,
    session: Session,
    actor: Principal,
    ids: Sequence[int] | None = None,
    all_open: bool = False,
    fixed_raw: str | None = None,
    kind: str | None = None,
) -> Reconciliation:
    """Validate open quarantined records again (optionally one with an operator-corrected payload).

    Stored (or found to be duplicates): status 'replayed'. Still bad: stays open with the new reason.
    """
    actor.require("quarantine:write")
    if fixed_raw is not None and (all_open or not ids or len(ids) != 1):
        raise ValidationFailed("a corrected payload applies to exactly one quarantined record")
    q = select(QuarantinedRecord).where(QuarantinedRecord.status == "open", policy.quarantine(session, actor))
    if not all_open:
        q = q.where(QuarantinedRecord.id.in_(list(ids or [])))
    elif kind:
        q = q.where(QuarantinedRecord.kind == kind)
    items = list(session.scalars(q.order_by(QuarantinedRecord.id)))
    if ids and not all_open and len(items) != len(set(ids)):
        missing = set(ids) - {i.id for i in items}
        raise NotFound(f"no open quarantined record with id {sorted(missing)}")
    total = Reconciliation("retry", "quarantine")
    if any(i.kind == "event" for i in items):
        _lock_event_writers(session)  # first: the feeds' stores take the audit lock, a batch takes this first
    for item in items:
        raw = fixed_raw if fixed_raw is not None else item.raw
        rec = _reparse(f"quarantine {item.id}", raw)
        needed = permissions(item.kind)
        if needed is None:
            raise ValidationFailed(f"records of kind {item.kind!r} are not retried here")
        for permission in needed:
            actor.require(permission)
        feed = registry.by_record(item.kind)
        if item.kind == "event":
            prepared = prepare_events([rec], source=item.source, now=utcnow(), dialect=_dialect(session))
            prepared = _scope_to_writer(session, actor, prepared)
            _lock_event_writers(session)
            recon, bad, rows, index = _check_stored(session, prepared, SequenceState())
            written = _write_events(session, rows)
            _count_written(recon, written)
            bad.extend(prepared.refusal(index[i], reason) for i, reason in written.refused)
        elif feed is not None:
            recon, bad = _feed(session, actor, feed, [rec], item.source, None)
        else:
            recon, bad = _declarations(session=session, records=[rec], source=item.source)
        item.retries += 1
        if fixed_raw is not None:
            item.raw, item.raw_size = quarantine.storable(raw, RAW_LIMIT), len(raw.encode("utf-8", "replace"))
        if bad:
            item.reason = quarantine.storable(bad[0].reason)
            recon.quarantined = 1
            recon.problems.append(Problem(rec.locator, bad[0].reason, item.id))
        else:
            item.status, item.resolved_at = "replayed", utcnow()
        total.add(recon)
    session.flush()
    audit(
        session=session,
        actor=actor,
        action="quarantine.retry",
        entity_type="quarantined_record",
        entity_id=",".join(str(i.id) for i in items)[:200] or "-",
        detail={
            "stored": total.stored,
            "duplicates": total.duplicates,
            "still_quarantined": total.quarantined,
            "corrected": fixed_raw is not None,
        },
    )
    return total


def discard_quarantined(
    *, session: Session, actor: Principal, record_id: int, note: str = ""
) -> QuarantinedRecord:
    actor.require("quarantine:write")
    item = get_quarantined(session=session, actor=actor, record_id=record_id)
    item.status, item.resolved_at = "discarded", utcnow()
    session.flush()
    audit(
        session=session,
        actor=actor,
        action="quarantine.discard",
        entity_type="quarantined_record",
        entity_id=str(item.id),
        detail={"note": note[:500]},
    )
    return item


def _reparse(locator: str, raw: str) -> RawRecord:
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return RawRecord(locator, raw[:RAW_LIMIT], None, f"invalid JSON: {exc}", len(raw.encode()))
    if not isinstance(parsed, dict):
        return RawRecord(locator, raw[:RAW_LIMIT], None, f"not a JSON object (got {type(parsed).__name__})")
    return RawRecord(locator, raw, parsed, None, len(raw.encode()))
