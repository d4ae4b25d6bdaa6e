"""Ingest services: validate, de-duplicate, store in bulk, quarantine, reconcile. They flush, never commit."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from mainport.audit.service import record as audit
from mainport.database import utcnow
from mainport.errors import NotFound, ValidationFailed
from mainport.identity import policy
from mainport.identity.principal import Principal
from mainport.ingest import declarations as decl
from mainport.ingest import feeds
from mainport.ingest.models import IngestRun, QuarantinedRecord
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
from mainport.ingest.records import RAW_LIMIT, Problem, RawRecord, Reconciliation
from mainport.ingest.sequence import MAX_EQUIPMENT, SequenceState
from mainport.shipments.models import Container, ContainerEvent, Declaration, Party

# Job kind -> quarantine kind of the smaller feeds (`feeds.py`): stored through their domains' services.
FEED_KINDS = {"access": "access", "eseal": "eseal", "inspections": "inspection", "seizures": "seizure"}
FEED_OF = {q: k for k, q in FEED_KINDS.items()}
KINDS = {"declarations": "declaration", "events": "event", **FEED_KINDS}
# Quarantine kind -> the permissions its ingest needs (the first is the kind's own).
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "declaration": ("declarations:write",),
    "event": ("events:write",),
    "access": ("insider:write",),
    "eseal": ("custody:write", "intel:write"),  # custody judges every breached seal (intelligence)
    "inspection": ("intel:write",),
    "seizure": ("intel:write",),
}
PERMISSION = {k: p[0] for k, p in PERMISSIONS.items()}
CE = ContainerEvent.__table__
DECL = Declaration.__table__
PARTY = Party.__table__
QR = QuarantinedRecord.__table__
_IN_CHUNK = 2000


def _chunks(items: Sequence[Any], n: int = _IN_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


# --- events -----------------------------------------------------------------------------------------------


def ingest_events(
    *,
    session: Session,
    actor: Principal,
    records: Iterable[RawRecord],
    source: str,
    state: SequenceState | None = None,
) -> Reconciliation:
    """Validate and store one batch of DCSA events; one audit entry for the batch."""
    actor.require("events:write")
    started = time.perf_counter()
    prepared = prepare_events(records, source=source, now=utcnow(), dialect=_dialect(session))
    prepared = _scope_to_writer(session, actor, prepared)
    recon = _store_events(session, prepared, state or SequenceState())
    recon.elapsed_s = time.perf_counter() - started
    _audit_batch(session, actor, recon)
    return recon


def store_events(
    *, session: Session, actor: Principal, prepared: PreparedEvents, state: SequenceState
) -> Reconciliation:
    """Store a batch prepared elsewhere (the reader process of a pipelined file job): the checks against
    the database, the write and the quarantine, exactly as `ingest_events` does after preparing."""
    actor.require("events:write")
    started = time.perf_counter()
    prepared = _scope_to_writer(session, actor, prepared)
    recon = _store_events(session, prepared, state)
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


def _store_events(session: Session, prepared: PreparedEvents, state: SequenceState) -> Reconciliation:
    recon, refused, rows = _check_stored(session, prepared, state)
    seen = state.containers_registered
    if len(seen) > MAX_EQUIPMENT:
        seen.clear()
    fresh_boxes: dict[str, str | None] = {
        r[EQUIPMENT]: None for r in rows if r[EQUIPMENT] and r[EQUIPMENT] not in seen
    }
    register_containers(session, fresh_boxes)
    seen.update(fresh_boxes)
    _insert_events(session, rows)
    _quarantine(session, "event", prepared.source, refused, recon)
    return recon


def _check_stored(
    session: Session, prepared: PreparedEvents, state: SequenceState
) -> tuple[Reconciliation, list[Refused], list[EventRow]]:
    """Duplicates of stored eventIDs, then the sequence checks (in file order); the rows to write."""
    recon = Reconciliation("events", prepared.source)
    recon.received, recon.duplicates = prepared.received, prepared.duplicates
    refused = list(prepared.refused)
    rows = prepared.rows
    stored = _existing_event_ids(session, [r[ID] for r in rows])
    fresh = [i for i, r in enumerate(rows) if r[ID] not in stored] if stored else range(len(rows))
    recon.duplicates += len(rows) - len(fresh)
    state.load(session, [rows[i] for i in fresh] if stored else rows)
    out: list[EventRow] = []
    check = state.check
    for i in fresh:
        row = rows[i]
        reason = check(row, event_time(row)) if row[CLASSIFIER] == "ACT" else None
        if reason is not None:
            refused.append(prepared.refusal(i, reason))
            continue
        out.append(row)
    recon.stored += len(out)
    return recon, refused, out


def _existing_event_ids(session: Session, ids: list[str]) -> set[str]:
    """The eventIDs already stored; plain driver SQL on the unique index (compiling big IN's is slow)."""
    if not ids:
        return set()
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        result = conn.exec_driver_sql("SELECT event_id FROM container_event WHERE event_id = ANY(%s)", (ids,))
        return {r[0] for r in result}
    found: set[str] = set()
    for chunk in _chunks(ids, _SQLITE_IN_CHUNK):
        marks = ",".join("?" * len(chunk))
        result = conn.exec_driver_sql(
            f"SELECT event_id FROM container_event WHERE event_id IN ({marks})", tuple(chunk)
        )
        found.update(r[0] for r in result)
    return found


_SQLITE_IN_CHUNK = 30_000  # under SQLite's default limit of 32,766 bound parameters
_COLUMNS = ", ".join(EVENT_COLUMNS)


def _insert_events(session: Session, rows: list[EventRow]) -> None:
    """Rows as bound by prepare_events for this dialect: SQLite one prepared executemany (times as text,
    the payload as the JSON text received), PostgreSQL COPY (several times faster than INSERT)."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        dbapi = conn.connection.driver_connection
        with dbapi.cursor() as cur, cur.copy(f"COPY container_event ({_COLUMNS}) FROM STDIN") as copy:  # type: ignore[union-attr]
            write = copy.write_row
            for r in rows:
                write(r)
        return
    marks = ", ".join("?" * len(EVENT_COLUMNS))
    conn.exec_driver_sql(f"INSERT INTO container_event ({_COLUMNS}) VALUES ({marks})", rows)


def register_containers(session: Session, size_types: dict[str, str | None]) -> None:
    """Make sure every container number seen in stored events or declarations has its `container` row.

    One upsert per batch (no read first): `first_seen` is when the platform first heard of the box, and a
    known size-type fills a missing one but never overwrites another.
    """
    if not size_types:
        return
    dialect = session.get_bind().dialect.name
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = make(Container)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Container.number],
        set_={"size_type": func.coalesce(Container.size_type, stmt.excluded.size_type)},
    )
    now = utcnow()
    session.execute(
        stmt,
        [
            {"number": n, "size_type": st, "shipper_owned": False, "first_seen": now}
            for n, st in size_types.items()
        ],
    )


# --- declarations -----------------------------------------------------------------------------------------


def ingest_declarations(
    *, session: Session, actor: Principal, records: Iterable[RawRecord], source: str
) -> Reconciliation:
    """Validate and store one batch of declarations (amendments update); one audit entry for the batch."""
    actor.require("declarations:write")
    started = time.perf_counter()
    recon, bad = _declarations(session=session, records=records, source=source)
    _quarantine(session, "declaration", source, bad, recon)
    recon.elapsed_s = time.perf_counter() - started
    _audit_batch(session, actor, recon)
    return recon


def _declarations(
    *, session: Session, records: Iterable[RawRecord], source: str
) -> tuple[Reconciliation, list[Refused]]:
    recon = Reconciliation("declarations", source)
    bad: list[Refused] = []
    latest: dict[str, decl.ValidDeclaration] = {}
    now = utcnow()
    for _rec, valid in validated(records, decl.validate, now, recon, bad):
        ref = valid.row["reference"]
        prior = latest.get(ref)
        if prior is not None:
            recon.duplicates += 1  # one of the two versions is not stored: the lower amendment
            if valid.row["amendments"] <= prior.row["amendments"]:
                continue
        latest[ref] = valid
    if not latest:
        return recon, bad
    existing: dict[str, tuple[int, int]] = {}
    refs = list(latest)
    for chunk in _chunks(refs):
        for ref, id_, amendments in session.execute(
            select(DECL.c.reference, DECL.c.id, DECL.c.amendments).where(DECL.c.reference.in_(chunk))
        ):
            existing[ref] = (id_, amendments)
    party_ids = _upsert_parties(session, latest.values())
    new_rows, updates = [], []
    for ref, valid in latest.items():
        row = dict(valid.row)
        for role in decl.ROLES:
            party = valid.parties.get(role)
            row[f"{role}_id"] = party_ids[party.eori] if party else None
        row["source"] = source
        row["received_at"] = now
        if ref not in existing:
            new_rows.append(row)
        elif row["amendments"] > existing[ref][1]:
            row["id"] = existing[ref][0]
            updates.append(row)
        else:
            recon.duplicates += 1
    register_containers(
        session,
        {r["container_number"]: r["size_type"] for r in [*new_rows, *updates] if r["container_number"]},
    )
    if new_rows:
        session.execute(insert(Declaration), new_rows)
    for row in updates:
        session.execute(update(Declaration).where(Declaration.id == row.pop("id")).values(**row))
    recon.stored += len(new_rows) + len(updates)
    recon.updated += len(updates)
    return recon, bad


def _upsert_parties(session: Session, valid: Iterable[decl.ValidDeclaration]) -> dict[str, int]:
    """Parties by EORI: insert new ones; first_seen is the earliest filed_at seen."""
    first: dict[str, tuple[decl.PartyRef, Any]] = {}
    for v in valid:
        for party in v.parties.values():
            seen = first.get(party.eori)
            if seen is None or v.row["filed_at"] < seen[1]:
                first[party.eori] = (party, v.row["filed_at"])
    ids: dict[str, int] = {}
    earlier: dict[str, Any] = {}
    for chunk in _chunks(list(first)):
        for id_, eori, seen_at in session.execute(
            select(PARTY.c.id, PARTY.c.eori, Party.first_seen).where(PARTY.c.eori.in_(chunk))
        ):
            ids[eori] = id_
            earlier[eori] = seen_at
    new = [
        {"eori": e, "name": p.name, "country": p.country, "first_seen": at}
        for e, (p, at) in first.items()
        if e not in ids
    ]
    if new:
        session.execute(insert(Party), new)
        for chunk in _chunks([r["eori"] for r in new]):
            ids.update(
                {
                    e: i
                    for i, e in session.execute(
                        select(PARTY.c.id, PARTY.c.eori).where(PARTY.c.eori.in_(chunk))
                    )
                }
            )
    for eori, seen_at in earlier.items():
        if first[eori][1] < seen_at:
            session.execute(update(Party).where(Party.id == ids[eori]).values(first_seen=first[eori][1]))
    return ids


# --- access logs, e-seal status, inspections, seizures -----------------------------------------------------


def ingest_feed(
    *,
    session: Session,
    actor: Principal,
    kind: str,
    records: Iterable[RawRecord],
    source: str,
    run_id: int | None = None,
) -> Reconciliation:
    """Validate and store one batch of a smaller feed (kind: access | eseal | inspections | seizures).

    Stored through the owning domain: access logs by `insider.service.record_lookups`, e-seal status by
    `custody.seals.ingest_readings` (SealTelemetry), inspections and seizures by
    `shipments.service.record_inspections/record_seizures`. One audit entry for the batch.
    """
    if kind not in FEED_KINDS:
        raise ValidationFailed(f"unknown feed kind {kind!r}; known: {', '.join(FEED_KINDS)}")
    _require(actor, FEED_KINDS[kind])
    started = time.perf_counter()
    recon, bad = _feed(session, actor, kind, records, source, run_id)
    _quarantine(session, FEED_KINDS[kind], source, bad, recon)
    recon.elapsed_s = time.perf_counter() - started
    _audit_batch(session, actor, recon)
    return recon


def _require(actor: Principal, qkind: str) -> None:
    for permission in PERMISSIONS[qkind]:
        actor.require(permission)


def _feed(
    session: Session,
    actor: Principal,
    kind: str,
    records: Iterable[RawRecord],
    source: str,
    run_id: int | None,
) -> tuple[Reconciliation, list[Refused]]:
    recon = Reconciliation(kind, source)
    validate = feeds.VALIDATORS[kind]
    now = utcnow()
    bad: list[Refused] = []
    rows: list[dict[str, Any]] = []
    recs: list[RawRecord] = []
    seen: set[object] = set()
    for rec, row in validated(records, validate, now, recon, bad):
        identity = feeds.identity(kind, row)
        if identity in seen:
            recon.duplicates += 1  # the same record again in this batch
            continue
        seen.add(identity)
        rows.append(row)
        recs.append(rec)
    if kind in ("inspections", "seizures"):
        rows = _resolve_references(session, rows, recs, bad)
    if not rows:
        return recon, bad
    register_containers(session, {r["container_number"]: None for r in rows if r["container_number"]})
    if kind == "access":
        from mainport.insider.service import record_lookups

        stored, duplicates = record_lookups(
            session=session, actor=actor, rows=rows, source=source, run_id=run_id
        )
    elif kind == "eseal":
        from mainport.custody.seals import ingest_readings

        stored, duplicates, _alerts = ingest_readings(
            session=session, actor=actor, readings=rows, source=source
        )
    elif kind == "inspections":
        from mainport.shipments.service import record_inspections

        stored, duplicates = record_inspections(session=session, actor=actor, rows=rows, source=source)
    else:
        from mainport.shipments.service import record_seizures

        stored, duplicates = record_seizures(session=session, actor=actor, rows=rows, source=source)
    recon.stored += stored
    recon.duplicates += duplicates
    return recon, bad


def _resolve_references(
    session: Session, rows: list[dict[str, Any]], recs: list[RawRecord], bad: list[Refused]
) -> list[dict[str, Any]]:
    """Link inspections and seizures to the stored declaration they name (refused when there is none, or
    when it is for another container); a missing container number is taken from the declaration."""
    refs = sorted({r["reference"] for r in rows if r["reference"]})
    found: dict[str, tuple[int, str | None]] = {}
    for chunk in _chunks(refs):
        for ref, id_, number in session.execute(
            select(DECL.c.reference, DECL.c.id, DECL.c.container_number).where(DECL.c.reference.in_(chunk))
        ):
            found[ref] = (id_, number)
    kept = []
    for row, rec in zip(rows, recs, strict=True):
        row["declaration_id"] = None
        ref = row["reference"]
        if ref is not None:
            if ref not in found:
                bad.append(
                    Refused.of(rec, f"reference: no declaration on file with this reference (value {ref!r})")
                )
                continue
            decl_id, number = found[ref]
            if row["container_number"] and number and row["container_number"] != number:
                bad.append(
                    Refused.of(
                        rec,
                        f"container_number: declaration {ref} is for container {number}"
                        f" (value {row['container_number']!r})",
                    )
                )
                continue
            row["declaration_id"] = decl_id
            row["container_number"] = row["container_number"] or number
        kept.append(row)
    return kept


# --- quarantine, audit, runs ------------------------------------------------------------------------------


def _quarantine(session: Session, kind: str, source: str, bad: list[Refused], recon: Reconciliation) -> None:
    recon.quarantined += len(bad)
    if not bad:
        return
    now = utcnow()
    rows = [
        {
            "kind": kind,
            "source": source[:300],
            "locator": b.locator[:64],
            "raw": b.raw[:RAW_LIMIT],
            "raw_size": b.raw_size if b.raw_size is not None else len(b.raw.encode()),
            "reason": b.reason,
            "status": "open",
            "received_at": now,
            "retries": 0,
        }
        for b in bad
    ]
    ids = session.scalars(
        insert(QuarantinedRecord).returning(QuarantinedRecord.id, sort_by_parameter_order=True), rows
    ).all()
    room = recon.max_problems - len(recon.problems)
    recon.problems.extend(Problem(b.locator, b.reason, i) for b, i in list(zip(bad, ids, strict=True))[:room])


def _audit_batch(session: Session, actor: Principal, recon: Reconciliation) -> None:
    audit(
        session=session,
        actor=actor,
        action=f"ingest.{recon.kind}",
        entity_type="ingest_batch",
        entity_id=recon.source[:200],
        detail={k: v for k, v in recon.summary().items() if k not in ("problems", "kind", "source")},
    )


def start_run(*, session: Session, actor: Principal, kind: str, source: str) -> int:
    _require(actor, KINDS[kind])
    run = IngestRun(kind=kind, source=source[:300], actor=actor.username, summary={})
    session.add(run)
    session.flush()
    return run.id


def finish_run(*, session: Session, run_id: int, recon: Reconciliation) -> None:
    recon.check()
    run = session.get(IngestRun, run_id)
    if run is None:
        raise NotFound(f"ingest run {run_id} not found")
    run.finished_at = utcnow()
    run.received, run.stored, run.duplicates, run.quarantined = (
        recon.received,
        recon.stored,
        recon.duplicates,
        recon.quarantined,
    )
    summary = recon.summary()
    summary["problems"] = summary["problems"][:50]
    run.summary = summary
    session.flush()


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
    for item in items:
        raw = fixed_raw if fixed_raw is not None else item.raw
        rec = _reparse(f"quarantine {item.id}", raw)
        if item.kind not in PERMISSIONS:
            raise ValidationFailed(f"records of kind {item.kind!r} are not retried here")
        _require(actor, item.kind)
        if item.kind == "event":
            prepared = prepare_events([rec], source=item.source, now=utcnow(), dialect=_dialect(session))
            prepared = _scope_to_writer(session, actor, prepared)
            recon, bad, rows = _check_stored(session, prepared, SequenceState())
            _insert_events(session, rows)
        elif item.kind in FEED_OF:
            recon, bad = _feed(session, actor, FEED_OF[item.kind], [rec], item.source, None)
        else:
            recon, bad = _declarations(session=session, records=[rec], source=item.source)
        item.retries += 1
        if fixed_raw is not None:
            item.raw, item.raw_size = raw[:RAW_LIMIT], len(raw.encode())
        if bad:
            item.reason = bad[0].reason
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
