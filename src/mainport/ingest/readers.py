"""Streaming readers for ingest files (pure: no database). Each yields RawRecord's, never raises on bad data.

A record that cannot be read (bad encoding, ragged row, invalid JSON, not an object, over the size limit) is
yielded with `error` set, so that it is counted and quarantined. Blank lines are not records and are skipped.

Limits apply while reading, before anything is buffered: a line, an array element or a CSV record above
RECORD_LIMIT is cut at the limit (its first RAW_LIMIT bytes are kept for the quarantine, the rest is read past
in chunks), so memory stays flat whatever the file holds (one 600 MB line, 200 MB of random bytes).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from mainport.ingest.records import FIELD_LIMIT, RAW_LIMIT, RECORD_LIMIT, RawRecord

Progress = Callable[[int], None]  # called with the number of bytes read since the last call

CHUNK = 1 << 20
# A quoted CSV field may run over several lines; a record of more lines than this is an unclosed quote.
MAX_RECORD_LINES = 1000
_BAD_BYTES = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, kept as surrogate escapes
_SURROGATES = re.compile("[\ud800-\udfff]")
_DECODER = json.JSONDecoder()
_WS = re.compile(r"[\s,]*")
_WRAPPER = re.compile(r'\{\s*"events"\s*:\s*\[')
_STRUCTURE = re.compile(r'["{}\[\],]')  # what matters to the end of a JSON value outside strings
_IN_STRING = re.compile(r'["\\]')  # ... and inside them


def _visible(text: str) -> str:
    """Text with undecodable bytes (and any other unpaired surrogate) shown as U+FFFD, so that it can be
    encoded, stored and shown. NUL is left alone: the quarantine escapes it (PostgreSQL text cannot hold
    it)."""
    if _SURROGATES.search(text) is None:
        return text
    return _SURROGATES.sub("\ufffd", text)


def _encoding_error(text: str) -> str | None:
    m = _BAD_BYTES.search(text)
    if m is None:
        return None
    byte = ord(m.group()) - 0xDC00
    return f"not valid UTF-8: byte 0x{byte:02X} at character {m.start() + 1} (Latin-1 or CP1252 text?)"


def _cut_reason(size: int, limit: int, unit: str = "bytes") -> str:
    return f"record is over the limit of {limit} bytes ({size} {unit}); cut while reading, not read whole"


class _Counting(io.RawIOBase):
    """Wraps a binary file and reports bytes read, for the progress bar."""

    def __init__(self, raw: IO[bytes], progress: Progress | None, *, owned: bool = True) -> None:
        self._raw = raw
        self._progress = progress
        self._owned = owned  # a file opened here is closed here; one passed in stays open for its owner

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if self._owned:
            self._raw.close()
        super().close()

    def readinto(self, b: Any) -> int:
        data = self._raw.read(len(b))
        n = len(data)
        b[:n] = data
        if self._progress and n:
            self._progress(n)
        return n


def _binary(source: Path | IO[bytes], progress: Progress | None) -> io.BufferedReader:
    if isinstance(source, Path):
        return io.BufferedReader(_Counting(source.open("rb"), progress), CHUNK)
    return io.BufferedReader(_Counting(source, progress, owned=False), CHUNK)


def _text(source: Path | IO[bytes], progress: Progress | None) -> io.TextIOWrapper:
    return io.TextIOWrapper(_binary(source, progress), encoding="utf-8", errors="surrogateescape", newline="")


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _lines(f: IO[bytes], limit: int) -> Iterator[tuple[int, bytes, int, bool]]:
    """(line number, bytes with the line end, size in bytes, cut) per physical line. A line over `limit`
    is cut: only its first RAW_LIMIT bytes are kept, the rest is read past in chunks and only counted."""
    readline = f.readline
    lineno = 0
    while line := readline(limit + 1):
        lineno += 1
        if len(line) <= limit or line.endswith(b"\n"):
            yield lineno, line, len(line), False
            continue
        head, size = line[:RAW_LIMIT], len(line)
        del line
        while more := readline(CHUNK):
            size += len(more)
            if more.endswith(b"\n"):
                break
        yield lineno, head, size, True


@dataclass
class ReadReport:
    """What a reader learnt about the source as a whole (for the job to flag it)."""

    header_problem: str | None = None  # a CSV header without the required columns


# --- declarations ------------------------------------------------------------------------------------------

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
        self._lines = _lines(f, RECORD_LIMIT)
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
                text, self._first = _strip_bom(text), False
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
    with _binary(path, progress) as f:
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
                        header = [_visible(h).strip() for h in row]
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
                    _visible(cut.head),
                    None,
                    _cut_reason(cut.size, RECORD_LIMIT),
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
                    _visible(taken[0][1][:RAW_LIMIT]),
                    None,
                    f"unreadable CSV: {exc}",
                    len(taken[0][1].encode("utf-8", "surrogateescape")),
                )


def _unclosed(n: int, first: tuple[int, str], lines: int) -> RawRecord:
    lineno, text = first
    return RawRecord(
        f"record {n} (line {lineno})",
        _visible(text[:RAW_LIMIT]),
        None,
        f"unclosed quote: a quoted field opened on line {lineno} runs into the next {lines - 1} line(s); "
        "this line is quarantined alone and the lines after it are read again",
        len(text.encode("utf-8", "surrogateescape")),
    )


def _csv_record(locator: str, header: list[str], row: list[str], missing: list[str]) -> RawRecord:
    raw = ",".join(row)
    size = len(raw.encode("utf-8", "surrogateescape"))
    shown = _visible(raw[:RAW_LIMIT])
    if missing:
        # As a JSON object, so that it can be corrected (the missing column added) and retried.
        shown = orjson.dumps(dict(zip(header, map(_visible, row), strict=False))).decode()[:RAW_LIMIT]
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
    bad = _encoding_error(raw)
    if bad:
        field_name = next(h for h, v in zip(header, row, strict=True) if _BAD_BYTES.search(v))
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


def read_jsonl(
    path: Path | IO[bytes], *, progress: Progress | None = None, limit: int = RECORD_LIMIT
) -> Iterator[RawRecord]:
    """One JSON object per line (declarations or events); a line over `limit` is cut while it is read."""
    with _binary(path, progress) as f:
        for lineno, line, size, cut in _lines(f, limit):
            if lineno == 1 and line.startswith(codecs.BOM_UTF8):
                line = line[3:]
            if cut:
                head = line.decode("utf-8", "replace")
                yield RawRecord(f"line {lineno}", head, None, _cut_reason(size, limit), size)
                continue
            if not line.strip():
                continue
            yield _json_record(f"line {lineno}", line)


def _json_record(locator: str, data: bytes) -> RawRecord:
    size = len(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        shown = data[:RAW_LIMIT].decode("utf-8", "replace").strip()
        return RawRecord(
            locator,
            shown,
            None,
            f"not valid UTF-8: byte 0x{data[exc.start]:02X} at byte "
            f"{exc.start + 1} (Latin-1 or CP1252 text?)",
            size,
        )
    shown = _visible(text[:RAW_LIMIT].strip())
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return RawRecord(locator, shown, None, f"invalid JSON: {exc}", size)
    if not isinstance(parsed, dict):
        return RawRecord(locator, shown, None, f"not a JSON object (got {type(parsed).__name__})", size)
    return RawRecord(locator, text.strip() if size <= RAW_LIMIT else shown, parsed, None, size)


def read_declarations(
    path: Path,
    *,
    required: tuple[str, ...] = (),
    progress: Progress | None = None,
    report: ReadReport | None = None,
) -> Iterator[RawRecord]:
    """CSV or JSON Lines, by extension (.csv / .jsonl / .ndjson) or by the first character."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json") or (suffix != ".csv" and _first_char(path) == "{"):
        return read_jsonl(path, progress=progress)
    return read_declarations_csv(path, required=required, progress=progress, report=report)


def _first_char(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(4096).decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    return head[:1]


# --- events ------------------------------------------------------------------------------------------------


def read_events(path: Path | IO[bytes], *, progress: Progress | None = None) -> Iterator[RawRecord]:
    """A DCSA JSON array, an {"events": [...]} wrapper (3.0.0 style) or JSON Lines; streamed in chunks.
    `path` may be an open binary file positioned at its start (a spooled request body)."""
    start = 0 if isinstance(path, Path) else path.tell()
    with _text(path, progress) as f:
        head = _strip_bom(f.read(CHUNK))
        stripped = head.lstrip()
        if stripped.startswith("["):
            yield from _array(f, stripped, 1)
            return
        wrapper = _WRAPPER.match(stripped)
        if wrapper:
            yield from _array(f, stripped, wrapper.end(), closing="]}")
            return
    if not isinstance(path, Path):
        path.seek(start)
    yield from read_jsonl(path, progress=None)


def _array(
    f: IO[str], buf: str, pos: int, closing: str = "]", limit: int = RECORD_LIMIT
) -> Iterator[RawRecord]:
    """Decode the elements of a JSON array one by one; a truncated array ends with one error record.

    Fast path: most files hold one element per line, so at an element boundary the rest of the line (less a
    trailing comma) is handed to orjson whole; if that is one complete JSON value it is exactly the element.
    Anything else (pretty-printed, several per line, bad bytes, invalid JSON) goes through the exact decoder.
    An element still open after `limit` characters is read past (`_skip`) and yields one cut record.
    """
    n = 0
    offset = 0  # characters consumed before buf
    eof = False
    want = CHUNK
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    # Up to here (characters from the start) the exact decoder goes on alone: the end of a line on which the
    # fast path failed, or of a buffer of one long line. Without it a whole array on ONE line (as
    # `json.dumps` / `orjson.dumps` write it) would be read whole, and both the search for its end and orjson
    # would go over the rest of the file again for every element: quadratic.
    slow_until = -1
    newline = -1
    while True:
        pos = _WS.match(buf, pos).end()  # type: ignore[union-attr]
        slow = offset + pos < slow_until
        if not slow:
            newline = buf.find("\n", pos)
            if newline < 0 and not eof and len(buf) - pos >= CHUNK:
                slow_until, slow = offset + len(buf), True  # a long line: decode it exactly as it comes
        if not eof and (pos >= len(buf) - 1 or (newline < 0 and not slow)):
            more = f.read(want)
            if newline < 0 and pos < len(buf) - 1:
                want *= 2  # a huge one-line element: grow the reads to keep the attempts logarithmic
            eof = not more
            buf, offset, pos = buf[pos:] + more, offset + pos, 0
            continue
        if pos >= len(buf) and eof:
            yield RawRecord(
                f"end of file at character {offset + pos}",
                "",
                None,
                f"truncated JSON: the array is not closed with '{closing[0]}'",
            )
            return
        if buf.startswith(closing[0], pos):
            if closing == "]":
                yield from _trailing(f, buf, pos + 1, offset)
            return
        if not slow:
            end = newline if newline >= 0 else len(buf)
            line = buf[pos:end].rstrip(" \t\r,")
            try:
                obj = loads(line)
            except decode_error:
                slow_until = offset + end
            else:
                n += 1
                want = CHUNK
                yield _element(f"record {n} at character {offset + pos}", line, obj)
                pos += len(line)
                continue
        try:
            obj, end = _DECODER.raw_decode(buf, pos)
        except (json.JSONDecodeError, RecursionError) as exc:
            if not eof and _needs_more(buf, pos):
                if len(buf) - pos > limit:  # an element over the limit: read past it, keep its head
                    n += 1
                    start = offset + pos
                    head, size, buf, offset, pos, eof = _skip(f, buf, pos, offset)
                    truncated = "truncated JSON: " if eof and pos >= len(buf) else ""
                    yield RawRecord(
                        f"record {n} at character {start}",
                        _visible(head),
                        None,
                        truncated + _cut_reason(size, limit, "characters"),
                        size,
                    )
                    if truncated:
                        return
                    want = CHUNK
                    continue
                more = f.read(want)
                want *= 2  # a huge element: grow the reads, keep decoding attempts logarithmic
                eof = not more
                buf, offset, pos = buf[pos:] + more, offset + pos, 0
                continue
            n += 1
            what = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply to decode"
            bad_end = _element_end(buf, pos)
            if bad_end is None:
                rest = buf[pos:]
                yield RawRecord(
                    f"record {n} at character {offset + pos}",
                    _visible(rest[:RAW_LIMIT]),
                    None,
                    f"truncated JSON: record {n} is incomplete at the end of the file "
                    f"({len(rest)} characters; {what})",
                    len(rest.encode("utf-8", "replace")),
                )
                return
            text = buf[pos:bad_end]
            where = f" at character {exc.pos - pos + 1} of the record" if isinstance(exc, ValueError) else ""
            yield RawRecord(
                f"record {n} at character {offset + pos}",
                _visible(text[:RAW_LIMIT]),
                None,
                f"invalid JSON: {what}{where}",
                len(text.encode("utf-8", "replace")),
            )
            pos = bad_end
            continue
        n += 1
        want = CHUNK
        yield _element(f"record {n} at character {offset + pos}", buf[pos:end], obj)
        pos = end


def _trailing(f: IO[str], buf: str, pos: int, offset: int) -> Iterator[RawRecord]:
    """After the array's closing bracket only white space may follow; anything else is one bad record
    (never silently dropped), read to the end in chunks and only counted beyond its head."""
    rest = buf[pos:]
    at = len(rest) - len(rest.lstrip())
    while at == len(rest):
        more = f.read(CHUNK)
        if not more:
            return
        offset, pos, rest = offset + pos + len(rest), 0, more
        at = len(rest) - len(rest.lstrip())
    start = offset + pos + at
    head = rest[at : at + RAW_LIMIT]
    size = len(rest) - at
    while more := f.read(CHUNK):
        size += len(more)
    yield RawRecord(
        f"after the array at character {start}",
        _visible(head),
        None,
        f"unexpected content after the end of the JSON array ({size} characters)",
        size,
    )


def _element(locator: str, text: str, obj: Any) -> RawRecord:
    """One decoded array element: refused when it held bad bytes, is not an object or is too big."""
    ascii_only = text.isascii()
    bad = None if ascii_only else _encoding_error(text)
    size = len(text) if ascii_only else len(text.encode("utf-8", "surrogateescape"))
    shown = _visible(text[:RAW_LIMIT]) if (bad or size > RAW_LIMIT) else text
    if bad:
        return RawRecord(locator, shown, None, bad, size)
    if not isinstance(obj, dict):
        return RawRecord(locator, shown, None, f"not a JSON object (got {type(obj).__name__})", size)
    if size > RECORD_LIMIT:
        return RawRecord(locator, shown, None, f"record is {size} bytes, limit is {RECORD_LIMIT}", size)
    return RawRecord(locator, shown, obj, None, size)


def _scan(buf: str, i: int, depth: int, in_str: bool) -> tuple[int | None, int, bool, int]:
    """Scan a JSON value from buf[i] (bracket depth and string state so far): (its end or None, depth,
    in_str, where to resume when more text arrives). The end is after the closing bracket of the value, or
    at the comma / closing bracket of the enclosing array that ends a scalar."""
    n = len(buf)
    structure, in_string = _STRUCTURE.search, _IN_STRING.search
    while True:
        if in_str:
            m = in_string(buf, i)
            if m is None:
                return None, depth, True, n
            j = m.start()
            if buf[j] == "\\":
                if j + 1 >= n:
                    return None, depth, True, j  # an escape cut by the buffer's end: resume at it
                i = j + 2
                continue
            in_str, i = False, j + 1
            continue
        m = structure(buf, i)
        if m is None:
            return None, depth, False, n
        j = m.start()
        ch = buf[j]
        if ch == '"':
            in_str, i = True, j + 1
        elif ch in "{[":
            depth, i = depth + 1, j + 1
        elif ch in "}]":
            depth -= 1
            if depth <= 0:
                return (j + 1 if depth == 0 else j), depth, False, j + 1
            i = j + 1
        elif depth == 0:  # a comma after a scalar
            return j, depth, False, j
        else:
            i = j + 1


def _element_end(buf: str, pos: int) -> int | None:
    """End of the JSON value at pos by bracket depth (respecting strings), or None if it runs off the end."""
    return _scan(buf, pos, 0, False)[0]


def _needs_more(buf: str, pos: int) -> bool:
    """True when the element starting at pos is not closed before the end of the buffer."""
    return _element_end(buf, pos) is None


def _skip(f: IO[str], buf: str, pos: int, offset: int) -> tuple[str, int, str, int, int, bool]:
    """Read past the element starting at buf[pos] in chunks without keeping it. Returns its head (RAW_LIMIT
    characters), its size in characters, and the buffer, offset, position after it and whether the file
    ended before the element did."""
    start = offset + pos
    head = buf[pos : pos + RAW_LIMIT]
    depth, in_str, i = 0, False, pos
    while True:
        end, depth, in_str, i = _scan(buf, i, depth, in_str)
        if end is not None:
            return head, offset + end - start, buf, offset, end, False
        more = f.read(CHUNK)
        if not more:
            return head, offset + len(buf) - start, buf, offset, len(buf), True
        buf, offset, i = buf[i:] + more, offset + i, 0


def records_from_objects(items: list[Any], prefix: str = "item") -> Iterator[RawRecord]:
    """RawRecords for objects that arrived already parsed (API bodies)."""
    for i, item in enumerate(items, start=1):
        locator = f"{prefix} {i}"
        try:
            text = orjson.dumps(item).decode()
        except TypeError as exc:  # nested deeper than orjson writes (254 levels)
            yield RawRecord(locator, "", None, f"nested too deeply to be kept ({exc})", 0)
            continue
        size = len(text)
        shown = text[:RAW_LIMIT]
        if not isinstance(item, dict):
            yield RawRecord(locator, shown, None, f"not a JSON object (got {type(item).__name__})", size)
        elif size > RECORD_LIMIT:
            yield RawRecord(locator, shown, None, f"record is {size} bytes, limit is {RECORD_LIMIT}", size)
        else:
            yield RawRecord(locator, text, item, None, size)


def read_feed(path: Path | IO[bytes], *, progress: Progress | None = None) -> Iterator[RawRecord]:
    """Access logs, e-seal status, inspections, seizures: JSON Lines (what the world writes), or a JSON array
    (or an {"events": [...]} wrapper); streamed like events, with the same handling of malformed input."""
    return read_events(path, progress=progress)
