"""Streaming readers for ingest files (pure: no database). Each yields RawRecord's, never raises on bad data.

A record that cannot be read (bad encoding, ragged row, invalid JSON, not an object, a field over the size
limit) is yielded with `error` set, so that it is counted and quarantined. Blank lines are not records and are
skipped.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from mainport.ingest.records import RAW_LIMIT, RawRecord

Progress = Callable[[int], None]  # called with the number of bytes read since the last call

FIELD_LIMIT = 1024 * 1024  # one field above 1 MiB is refused (the record is quarantined, not the file)
CHUNK = 1 << 20
_BAD_BYTES = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, kept as surrogate escapes
_DECODER = json.JSONDecoder()
_WS = re.compile(r"[\s,]*")
_WRAPPER = re.compile(r'\{\s*"events"\s*:\s*\[')


def _visible(text: str) -> str:
    """Text with undecodable bytes and NUL shown as U+FFFD (for storage and messages; PostgreSQL text
    cannot hold NUL)."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if _BAD_BYTES.search(text) is None:
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _encoding_error(text: str) -> str | None:
    m = _BAD_BYTES.search(text)
    if m is None:
        return None
    byte = ord(m.group()) - 0xDC00
    return f"not valid UTF-8: byte 0x{byte:02X} at character {m.start() + 1} (Latin-1 or CP1252 text?)"


class _Counting(io.RawIOBase):
    """Wraps a binary file and reports bytes read, for the progress bar."""

    def __init__(self, raw: IO[bytes], progress: Progress | None) -> None:
        self._raw = raw
        self._progress = progress

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()

    def readinto(self, b: Any) -> int:
        data = self._raw.read(len(b))
        n = len(data)
        b[:n] = data
        if self._progress and n:
            self._progress(n)
        return n


def _text(path: Path, progress: Progress | None) -> io.TextIOWrapper:
    raw = _Counting(path.open("rb"), progress)
    buffered = io.BufferedReader(raw, CHUNK)
    return io.TextIOWrapper(buffered, encoding="utf-8", errors="surrogateescape", newline="")


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


# --- declarations ------------------------------------------------------------------------------------------

LIST_FIELDS = ("countries_of_routing", "seal_numbers")


def read_declarations_csv(
    path: Path, *, required: tuple[str, ...] = (), progress: Progress | None = None
) -> Iterator[RawRecord]:
    """CSV with a header row. Lists are ';'-separated. A missing required column fails every row (counted)."""
    csv.field_size_limit(64 * FIELD_LIMIT)
    with _text(path, progress) as f:
        reader = csv.reader(f)
        try:
            header = next(reader)
        except (StopIteration, csv.Error):
            return
        header = [_strip_bom(h).strip() for h in header]
        missing = [c for c in required if c not in header]
        n = 0
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a NUL byte: the rest of the record is unreadable as CSV
                n += 1
                yield RawRecord(f"record {n} (line {line})", "", None, f"unreadable CSV: {exc}")
                continue
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            n += 1
            yield _csv_record(f"record {n} (line {line})", header, row, missing)


def _csv_record(locator: str, header: list[str], row: list[str], missing: list[str]) -> RawRecord:
    raw = ",".join(row)
    size = len(raw.encode("utf-8", "surrogateescape"))
    shown = _visible(raw[:RAW_LIMIT]) if size > RAW_LIMIT else _visible(raw)
    if missing:
        shown = orjson.dumps(dict(zip(header, row, strict=False))).decode()[:RAW_LIMIT]
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


def read_jsonl(path: Path, *, progress: Progress | None = None) -> Iterator[RawRecord]:
    """One JSON object per line (declarations or events)."""
    with _Counting(path.open("rb"), progress) as raw, io.BufferedReader(raw, CHUNK) as f:
        for lineno, line in enumerate(f, start=1):
            if lineno == 1 and line.startswith(codecs.BOM_UTF8):
                line = line[3:]
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
    path: Path, *, required: tuple[str, ...] = (), progress: Progress | None = None
) -> Iterator[RawRecord]:
    """CSV or JSON Lines, by extension (.csv / .jsonl / .ndjson) or by the first character."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json") or (suffix != ".csv" and _first_char(path) == "{"):
        return read_jsonl(path, progress=progress)
    return read_declarations_csv(path, required=required, progress=progress)


def _first_char(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(4096).decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    return head[:1]


# --- events ------------------------------------------------------------------------------------------------


def read_events(path: Path, *, progress: Progress | None = None) -> Iterator[RawRecord]:
    """A DCSA JSON array, an {"events": [...]} wrapper (3.0.0 style) or JSON Lines; streamed in chunks."""
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
    yield from read_jsonl(path, progress=None)


def _array(f: IO[str], buf: str, pos: int, closing: str = "]") -> Iterator[RawRecord]:
    """Decode the elements of a JSON array one by one; a truncated array ends with one error record.

    Fast path: most files hold one element per line, so at an element boundary the rest of the line (less a
    trailing comma) is handed to orjson whole; if that is one complete JSON value it is exactly the element.
    Anything else (pretty-printed, several per line, bad bytes, invalid JSON) goes through the exact decoder.
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
        except json.JSONDecodeError as exc:
            if not eof and _needs_more(buf, pos):
                more = f.read(want)
                want *= 2  # a huge element: grow the reads, keep decoding attempts logarithmic
                eof = not more
                buf, offset, pos = buf[pos:] + more, offset + pos, 0
                continue
            n += 1
            bad_end = _element_end(buf, pos)
            if bad_end is None:
                rest = buf[pos:]
                yield RawRecord(
                    f"record {n} at character {offset + pos}",
                    _visible(rest[:RAW_LIMIT]),
                    None,
                    f"truncated JSON: record {n} is incomplete at the end of the file "
                    f"({len(rest)} characters; {exc.msg})",
                    len(rest.encode("utf-8", "replace")),
                )
                return
            text = buf[pos:bad_end]
            yield RawRecord(
                f"record {n} at character {offset + pos}",
                _visible(text[:RAW_LIMIT]),
                None,
                f"invalid JSON: {exc.msg} at character {exc.pos - pos + 1} of the record",
                len(text.encode("utf-8", "replace")),
            )
            pos = bad_end
            continue
        n += 1
        want = CHUNK
        yield _element(f"record {n} at character {offset + pos}", buf[pos:end], obj)
        pos = end


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
    if size > FIELD_LIMIT * 4:
        return RawRecord(locator, shown, None, f"record is {size} bytes, limit is {FIELD_LIMIT * 4}", size)
    return RawRecord(locator, shown, obj, None, size)


def _needs_more(buf: str, pos: int) -> bool:
    """True when the element starting at pos is not closed before the end of the buffer."""
    return _element_end(buf, pos) is None


def _element_end(buf: str, pos: int) -> int | None:
    """End of the JSON value at pos by bracket depth (respecting strings), or None if it runs off the end."""
    depth = 0
    in_str = False
    i = pos
    n = len(buf)
    while i < n:
        ch = buf[i]
        if in_str:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth <= 0:
                return i + 1 if depth == 0 else i
        elif ch == "," and depth == 0:
            return i
        i += 1
    return None


def records_from_objects(items: list[Any], prefix: str = "item") -> Iterator[RawRecord]:
    """RawRecords for objects that arrived already parsed (API bodies)."""
    for i, item in enumerate(items, start=1):
        text = orjson.dumps(item).decode()
        size = len(text)
        shown = text[:RAW_LIMIT]
        if not isinstance(item, dict):
            yield RawRecord(
                f"{prefix} {i}", shown, None, f"not a JSON object (got {type(item).__name__})", size
            )
        else:
            yield RawRecord(f"{prefix} {i}", shown, item, None, size)


def read_feed(path: Path, *, progress: Progress | None = None) -> Iterator[RawRecord]:
    """Access logs, e-seal status, inspections, seizures: JSON Lines (what the world writes), or a JSON array
    (or an {"events": [...]} wrapper); streamed like events, with the same handling of malformed input."""
    return read_events(path, progress=progress)
