"""Writes that one row cannot fail as a whole.

A batch is written inside a savepoint. When the database refuses it for a row's values (a constraint, a
type, a length, text it cannot hold) the savepoint is rolled back and the batch halved, and so on, until the
refused rows are found: those are quarantined with the database's reason, the rest is stored. A unique key
refusing a single row means someone stored that record meanwhile (a concurrent ingest): a duplicate. Faults
of the moment (a deadlock, a lost connection) are not the data's: they are raised, for the job to run the
whole batch again (`database.run_transaction`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from mainport.audit.service import record as audit
from mainport.database import utcnow
from mainport.database.core import is_row_refusal, is_transient, is_unique_violation, refusal_reason
from mainport.identity.principal import Principal
from mainport.ingest.records import Reconciliation
from mainport.shipments.models import Container

T = TypeVar("T")
CONTAINER = cast(Table, Container.__table__)
Write = Callable[[Sequence[T]], tuple[int, int]]  # rows -> (stored, duplicates)


@dataclass
class Written:
    stored: int = 0
    duplicates: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (index in the rows given, reason)


def write_guarded(session: Session, rows: Sequence[T], write: Write[T]) -> Written:
    """`write(rows)` in a savepoint; rows the database refuses are found by halving (see the module
    docstring). Returns what was stored, the duplicates and the refused rows with the reasons."""
    out = Written()
    if rows:
        _write(session, rows, 0, write, out)
    return out


def _write(session: Session, rows: Sequence[T], base: int, write: Write[T], out: Written) -> None:
    try:
        with session.begin_nested():
            stored, duplicates = write(rows)
    except Exception as exc:
        if is_transient(exc) or not is_row_refusal(exc):
            raise
        if len(rows) == 1:
            if is_unique_violation(exc):
                out.duplicates += 1
            else:
                out.refused.append((base, refusal_reason(exc)))
            return
        mid = len(rows) // 2
        _write(session, rows[:mid], base, write, out)
        _write(session, rows[mid:], base + mid, write, out)
        return
    out.stored += stored
    out.duplicates += duplicates


def count_written(recon: Reconciliation, written: Written) -> None:
    recon.stored += written.stored
    recon.duplicates += written.duplicates


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


def audit_batch(session: Session, actor: Principal, recon: Reconciliation) -> None:
    """One audit entry per stored batch (its counts), besides the owning domain's own."""
    audit(
        session=session,
        actor=actor,
        action=f"ingest.{recon.kind}",
        entity_type="ingest_batch",
        entity_id=recon.source[:200],
        detail={k: v for k, v in recon.summary().items() if k not in ("problems", "kind", "source")},
    )
