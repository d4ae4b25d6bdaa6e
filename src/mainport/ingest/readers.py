"""Streaming readers for ingest files (pure: no database). Each yields RawRecord's, never raises on bad data.

A record that cannot be read (bad encoding, ragged row, invalid JSON, not an object, over the size limit) is
yielded with `error` set, so that it is counted and quarantined. Blank lines are not records and are skipped.

Limits apply while reading, before anything is buffered: a line, an array element or a CSV record above
RECORD_LIMIT is cut at the limit (its first RAW_LIMIT bytes are kept for the quarantine, the rest is read past
in chunks), so memory stays flat whatever the file holds (one 600 MB line, 200 MB of random bytes).

The readers of each layout: JSON Lines here, JSON arrays in `json_array`, the declarations CSV in
`csv_reader`; bounded streams and lines in `streams`.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from mainport.ingest.csv_reader import ReadReport, read_declarations_csv
from mainport.ingest.json_array import read_array
from mainport.ingest.records import RAW_LIMIT, RECORD_LIMIT, RawRecord
from mainport.ingest.streams import (
    CHUNK,
    Progress,
    cut_reason,
    open_binary,
    open_text,
    read_lines,
    strip_bom,
    visible,
)

_WRAPPER = re.compile(r'\{\s*"events"\s*:\s*\[')


def read_jsonl(
    path: Path | IO[bytes], *, progress: Progress | None = None, limit: int = RECORD_LIMIT
) -> Iterator[RawRecord]:
    """One JSON object per line (declarations or events); a line over `limit` is cut while it is read."""
    with open_binary(path, progress) as f:
        for lineno, line, size, cut in read_lines(f, limit):
            if lineno == 1 and line.startswith(codecs.BOM_UTF8):
                line = line[3:]
            if cut:
                head = line.decode("utf-8", "replace")
                yield RawRecord(f"line {lineno}", head, None, cut_reason(size, limit), size)
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
    shown = visible(text[:RAW_LIMIT].strip())
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
    with open_text(path, progress) as f:
        head = strip_bom(f.read(CHUNK))
        stripped = head.lstrip()
        if stripped.startswith("["):
            yield from read_array(f, stripped, 1)
            return
        wrapper = _WRAPPER.match(stripped)
        if wrapper:
            yield from read_array(f, stripped, wrapper.end(), closing="]}")
            return
    if not isinstance(path, Path):
        path.seek(start)
    yield from read_jsonl(path, progress=None)


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
