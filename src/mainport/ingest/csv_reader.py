"""The declarations CSV reader (pure: no database): a header row, ';'-separated lists, records bounded by
RECORD_LIMIT while they are read, and an unclosed quote that swallowed the lines after it split again (its
first line is the bad record, the others are read again). Never raises on bad data."""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from mainport.ingest.records import FIELD_LIMIT, RAW_LIMIT, RECORD_LIMIT, RawRecord
from mainport.ingest.streams import (
    BAD_BYTES,
    Progress,
    cut_reason,
    encoding_error,
    open_binary,
    read_lines,
    strip_bom,
    visible,
)

# A quoted CSV field may run over several lines; a record of more lines than this is an unclosed quote.
MAX_RECORD_LINES = 1000


@dataclass
class ReadReport:
    """What a reader learnt about the source as a whole (for the job to flag it)."""

    header_problem: str | None = None  # a CSV header without the required columns


LIST_FIELDS = ("countries_of_routing", "seal_numbers")


class _CutLine(Exception):
    def __init__(self, lineno: int, head: str, size: int) -> None:
        super().__init__(lineno)
        self.lineno, self.head, self.size = lineno, head, size


class _Runaway(Exception):
    """A record that takes in more than MAX_RECORD_LINES lines: a quote that is never closed."""


class _PhysicalLines:
    """A CSV file's decoded lines for csv.reader, each bounded by RECORD_LIMIT. The lines of the record being
    read are remembered, so that a record that an unclosed quote merged with the lines after it can be split
    again: its first line is the bad record, the others are pushed back and read again."""

    def __init__(self, f: IO[bytes]) -> None:
        self._lines = read_lines(f, RECORD_LIMIT)
        self._pushed: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []
        self._first = True

    def __iter__(self) -> _PhysicalLines:
        return self

    def __next__(self) -> str:
        if self._pushed:
            item = self._pushed.popleft()
        else:
            lineno, data, size, cut = next(self._lines)  # StopIteration ends csv.reader's file
            text = data.decode("utf-8", "surrogateescape")
            if self._first:
                text, self._first = strip_bom(text), False
            if cut:
                raise _CutLine(lineno, text, size)
            item = (lineno, text)
        self.taken.append(item)
        if len(self.taken) > MAX_RECORD_LINES:
            raise _Runaway(f"a quoted field is not closed within {MAX_RECORD_LINES} lines")
        return item[1]

    def take(self) -> list[tuple[int, str]]:
        taken, self.taken = self.taken, []
        return taken

    def push_back(self, items: list[tuple[int, str]]) -> None:
        self._pushed.extendleft(reversed(items))


def _blank(row: list[str]) -> bool:
    return not row or (len(row) == 1 and not row[0].strip())


def read_declarations_csv(
    path: Path | IO[bytes],
    *,
    required: tuple[str, ...] = (),
    progress: Progress | None = None,
    report: ReadReport | None = None,
) -> Iterator[RawRecord]:
    """CSV with a header row. Lists are ';'-separated. A missing required column fails every row (counted)
    and is noted in `report`. A quote that is never closed makes its own line one bad record; the lines it
    took in are read again as records of their own."""
    csv.field_size_limit(RECORD_LIMIT)
    report = report if report is not None else ReadReport()
    with open_binary(path, progress) as f:
        lines = _PhysicalLines(f)
        header: list[str] | None = None
        missing: list[str] = []
        n = 0
        while True:
            reader = csv.reader(lines)
            try:
                for row in reader:
                    taken = lines.take()
                    if _blank(row):
                        continue
                    if header is None:
                        header = [visible(h).strip() for h in row]
                        missing = [c for c in required if c not in header]
                        if missing:
                            report.header_problem = (
                                f"no valid header: missing column {', '.join(missing)} (line {taken[0][0]})"
                            )
                        continue
                    n += 1
                    if len(taken) > 1 and len(row) != len(header):
                        yield _unclosed(n, taken[0], len(taken))
                        lines.push_back(taken[1:])
                        break  # a fresh csv.reader from the line after the bad one
                    yield _csv_record(f"record {n} (line {taken[0][0]})", header, row, missing)
                else:
                    if header is None and report.header_problem is None and required:
                        report.header_problem = "no valid header: the file holds no CSV rows"
                    return
            except _CutLine as cut:
                taken = lines.take()
                if taken:  # the cut line ended a record that was still open: an unclosed quote
                    n += 1
                    yield _unclosed(n, taken[0], len(taken) + 1)
                    lines.push_back(taken[1:])
                n += 1
                if header is None:
                    header, missing = [], list(required)
                    report.header_problem = f"no valid header: line {cut.lineno} is over the record limit"
                yield RawRecord(
                    f"record {n} (line {cut.lineno})",
                    visible(cut.head),
                    None,
                    cut_reason(cut.size, RECORD_LIMIT),
                    cut.size,
                )
            except (csv.Error, _Runaway) as exc:
                taken = lines.take()
                if not taken:
                    continue
                n += 1
                if len(taken) > 1:
                    yield _unclosed(n, taken[0], len(taken))
                    lines.push_back(taken[1:])
                    continue
                if header is None:
                    header, missing = [], list(required)
                    report.header_problem = f"no valid header: line {taken[0][0]} is not readable CSV"
                yield RawRecord(
                    f"record {n} (line {taken[0][0]})",
                    visible(taken[0][1][:RAW_LIMIT]),
                    None,
                    f"unreadable CSV: {exc}",
                    len(taken[0][1].encode("utf-8", "surrogateescape")),
                )


def _unclosed(n: int, first: tuple[int, str], lines: int) -> RawRecord:
    lineno, text = first
    return RawRecord(
        f"record {n} (line {lineno})",
        visible(text[:RAW_LIMIT]),
        None,
        f"unclosed quote: a quoted field opened on line {lineno} runs into the next {lines - 1} line(s); "
        "this line is quarantined alone and the lines after it are read again",
        len(text.encode("utf-8", "surrogateescape")),
    )


def _csv_record(locator: str, header: list[str], row: list[str], missing: list[str]) -> RawRecord:
    raw = ",".join(row)
    size = len(raw.encode("utf-8", "surrogateescape"))
    shown = visible(raw[:RAW_LIMIT])
    if missing:
        # As a JSON object, so that it can be corrected (the missing column added) and retried.
        shown = orjson.dumps(dict(zip(header, map(visible, row), strict=False))).decode()[:RAW_LIMIT]
        return RawRecord(locator, shown, None, f"missing column {', '.join(missing)} in the header", size)
    for name, value in zip(header, row, strict=False):
        if len(value) > FIELD_LIMIT:
            return RawRecord(
                locator,
                shown,
                None,
                f"{name}: field is {len(value)} characters, limit is {FIELD_LIMIT}",
                size,
            )
    if len(row) != len(header):
        return RawRecord(
            locator, shown, None, f"ragged row: {len(row)} fields, the header has {len(header)}", size
        )
    bad = encoding_error(raw)
    if bad:
        field_name = next(h for h, v in zip(header, row, strict=True) if BAD_BYTES.search(v))
        return RawRecord(locator, shown, None, f"{field_name}: {bad}", size)
    if "\x00" in raw:  # Python's csv reads NUL since 3.11; it is binary data, not text
        field_name = next(h for h, v in zip(header, row, strict=True) if "\x00" in v)
        at = row[header.index(field_name)].index("\x00")
        shown = orjson.dumps(dict(zip(header, row, strict=True))).decode()[:RAW_LIMIT]
        return RawRecord(
            locator, shown, None, f"{field_name}: NUL byte at character {at + 1} (binary data?)", size
        )
    parsed: dict[str, Any] = dict(zip(header, row, strict=True))
    # Stored as a JSON object so that an operator can correct it and retry it without the header.
    shown = orjson.dumps(parsed).decode()[:RAW_LIMIT]
    for name in LIST_FIELDS:
        if name in parsed:
            parsed[name] = [p.strip() for p in parsed[name].split(";") if p.strip()]
    return RawRecord(locator, shown, parsed, None, size)
