"""What every list page shares: a validated sort key, the query string kept across pages and sort links,
and the same rows as CSV (``?format=csv``) so a list on screen is the list one exports.

Services take the sort (``mainport.database.sorting.Sort``) and map its key onto their own table of sortable
columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import Response

from mainport.database.sorting import Sort, parse_sort

__all__ = ["CSV_LIMIT", "Query", "Sort", "csv_response", "parse_sort"]

CSV_LIMIT = 50_000  # rows in one export: enough for a day's work, bounded for the server


class Query:
    """The current filters of a list page, to build pager, sort and export links that keep them."""

    def __init__(self, path: str, params: Mapping[str, Any], sort: Sort) -> None:
        self.path = path
        self.params = {k: v for k, v in params.items() if v not in (None, "")}
        self.sort = sort

    def url(self, **changes: Any) -> str:
        merged = {**self.params, "sort": self.sort.param, **changes}
        kept = {k: v for k, v in merged.items() if v not in (None, "")}
        return f"{self.path}?{urlencode(kept)}" if kept else self.path

    def sort_url(self, key: str) -> str:
        # Clicking the sorted column flips it; another column sorts descending first (newest, largest).
        descending = not self.sort.descending if key == self.sort.key else True
        return self.url(sort=f"-{key}" if descending else key, offset=None)

    def arrow(self, key: str) -> str:
        if key != self.sort.key:
            return ""
        return " ↓" if self.sort.descending else " ↑"

    def aria_sort(self, key: str) -> str:
        if key != self.sort.key:
            return "none"
        return "descending" if self.sort.descending else "ascending"

    def csv_url(self) -> str:
        return self.url(format="csv", offset=None)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    if not isinstance(value, str):
        return str(value)
    # Spreadsheets run text cells that start with these as formulas: quote them (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
