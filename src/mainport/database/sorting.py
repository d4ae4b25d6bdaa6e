"""A list's sort order as a validated key (and direction), mapped by each service onto its own columns.

A key outside a list's sortable columns is the user's mistake: one line naming the key and the choices (422),
never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from mainport.errors import ValidationFailed


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key


def parse_sort(value: str | None, allowed: Sequence[str], default: str) -> Sort:
    """'-filed_at' -> Sort('filed_at', descending); a key not in `allowed` is refused in one line."""
    raw = (value or default).strip()
    key = raw.removeprefix("-")
    if key not in allowed:
        raise ValidationFailed(
            f"sort: {key!r} is not a column to sort by (choose one of {', '.join(allowed)})"
        )
    return Sort(key, raw.startswith("-"))


def order_by(sort: Sort, columns: Mapping[str, Any], tiebreak: Any) -> list[Any]:
    """ORDER BY for the chosen column (empty values last on both databases), then a unique column so pages
    never overlap."""
    column = columns[sort.key]
    first = (column.desc() if sort.descending else column.asc()).nulls_last()
    return [first, tiebreak.desc() if sort.descending else tiebreak.asc()]


def like_term(q: str | None) -> str | None:
    """The trimmed search text, or None when there is nothing to look for."""
    text = (q or "").strip()
    return text or None


def paged(
    session: Any, query: Any, sort: Sort, columns: Mapping[str, Any], tiebreak: Any, limit: int, offset: int
) -> tuple[list[Any], int]:
    """One page of an ORM query's rows in the chosen order, and how many rows match in all."""
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    ordered = query.order_by(*order_by(sort, columns, tiebreak)).limit(limit).offset(offset)
    return list(session.scalars(ordered)), total
