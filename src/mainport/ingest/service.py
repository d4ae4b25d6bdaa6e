"""Ingest services: the ingest kinds and their permissions, the feeds other domains register, and the
quarantine operations (list, show, retry, discard, purge). They flush, never commit.

Events and declarations are stored by `event_store` and `declaration_store`; what every writer shares
(guarded writes, container rows, the batch audit) is in `writes`. Writes are idempotent and race-free on
both databases: a concurrent ingest's records count as duplicates, a batch is never refused for one overlap,
and a row the database refuses is quarantined with the database's reason while the rest is stored.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mainport.audit.service import record as audit
from mainport.database import utcnow
from mainport.errors import NotFound, ValidationFailed
from mainport.identity import policy
from mainport.identity.principal import Principal
from mainport.ingest import declaration_store, event_store, quarantine, registry
from mainport.ingest.models import QuarantinedRecord
from mainport.ingest.prepare import Refused, validated
from mainport.ingest.quarantine import Budget
from mainport.ingest.records import RAW_LIMIT, Problem, RawRecord, Reconciliation
from mainport.ingest.writes import audit_batch, count_written, register_containers, write_guarded

# The kinds ingest stores itself (ingest kind -> quarantine kind, permissions); the other feeds are declared
# by the domains that consume them (`registry`, `<domain>/feeds.py`).
OWN_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "declarations": ("declaration", ("declarations:write",)),
    "events": ("event", ("events:write",)),
}


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


def require(*, actor: Principal, kind: str) -> None:
    """The permissions to ingest records of ingest kind `kind`."""
    for permission in permissions(record_kind(kind)) or ():
        actor.require(permission)


def open_quarantine_counts(*, session: Session, actor: Principal) -> dict[str, int] | None:
    """Open quarantined records per kind that the actor may see; None without quarantine:read."""
    if not actor.can("quarantine:read"):
        return None
    return quarantine.open_counts(session, policy.quarantine(session, actor))


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
    audit_batch(session, actor, recon)
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
    count_written(recon, written)
    bad.extend(Refused.of(recs[i], reason) for i, reason in sorted(refusals))
    bad.extend(Refused.of(recs[i], reason) for i, reason in written.refused)
    return recon, bad


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
        event_store.lock_event_writers(
            session
        )  # first: the feeds' stores take the audit lock, a batch takes this first
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
            recon, bad = event_store.retry_one(session, actor, rec, item.source)
        elif feed is not None:
            recon, bad = _feed(session, actor, feed, [rec], item.source, None)
        else:
            recon, bad = declaration_store.store_declarations(
                session=session, records=[rec], source=item.source
            )
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


def purge_quarantine(*, session: Session, actor: Principal, before: datetime) -> dict[str, Any]:
    """Delete quarantined records nothing has happened to since `before` (retention: raw payloads may hold
    personal data): replayed or discarded before it, or still open and received before it.

    What was purged (how many of each kind and status, the oldest and newest, the id range) is written to
    the audit log and returned; a second run with the same `before` purges nothing more. The run rows
    (`ingest_run`) keep their counts, so a run's reconciliation still adds up after its records are gone."""
    actor.require("quarantine:write")
    if before.tzinfo is None:
        raise ValidationFailed("before needs a time zone")
    last = func.coalesce(QuarantinedRecord.resolved_at, QuarantinedRecord.received_at)
    due = (last < before, policy.quarantine(session, actor))
    by: dict[str, int] = {}
    for kind, status, n in session.execute(
        select(QuarantinedRecord.kind, QuarantinedRecord.status, func.count())
        .where(*due)
        .group_by(QuarantinedRecord.kind, QuarantinedRecord.status)
        .order_by(QuarantinedRecord.kind, QuarantinedRecord.status)
    ):
        by[f"{kind}/{status}"] = int(n)
    oldest, newest, first, last_id = session.execute(
        select(
            func.min(last), func.max(last), func.min(QuarantinedRecord.id), func.max(QuarantinedRecord.id)
        ).where(*due)
    ).one()
    purged = sum(by.values())
    if purged:
        ids = select(QuarantinedRecord.id).where(*due).scalar_subquery()
        session.execute(
            delete(QuarantinedRecord)
            .where(QuarantinedRecord.id.in_(ids))
            .execution_options(synchronize_session=False)
        )
    detail: dict[str, Any] = {
        "purged": purged,
        "before": before.isoformat(),
        "by_kind_status": by,
        "oldest": oldest.isoformat() if oldest else None,
        "newest": newest.isoformat() if newest else None,
        "ids": [first, last_id] if purged else None,
    }
    audit(
        session=session,
        actor=actor,
        action="quarantine.purge",
        entity_type="quarantined_record",
        entity_id=f"before {before.isoformat()}"[:200],
        detail=detail,
    )
    return detail


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
