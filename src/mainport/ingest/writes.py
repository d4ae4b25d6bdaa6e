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
from typing import TypeVar

from sqlalchemy.orm import Session

from mainport.database.core import is_row_refusal, is_transient, is_unique_violation, refusal_reason

T = TypeVar("T")
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
