"""Bounded reading of ingest files (pure: no database): binary and text streams that count the bytes read,
physical lines cut at a limit while they are read, and how undecodable bytes are named and shown. Shared by
the JSON Lines, JSON array and CSV readers (`readers`, `json_array`, `csv_reader`)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from mainport.ingest.records import RAW_LIMIT

Progress = Callable[[int], None]  # called with the number of bytes read since the last call

CHUNK = 1 << 20
BAD_BYTES = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, kept as surrogate escapes
_SURROGATES = re.compile("[\ud800-\udfff]")


def visible(text: str) -> str:
    """Text with undecodable bytes (and any other unpaired surrogate) shown as U+FFFD, so that it can be
    encoded, stored and shown. NUL is left alone: the quarantine escapes it (PostgreSQL text cannot hold
    it)."""
    if _SURROGATES.search(text) is None:
        return text
    return _SURROGATES.sub("\ufffd", text)


def encoding_error(text: str) -> str | None:
    m = BAD_BYTES.search(text)
    if m is None:
        return None
    byte = ord(m.group()) - 0xDC00
    return f"not valid UTF-8: byte 0x{byte:02X} at character {m.start() + 1} (Latin-1 or CP1252 text?)"


def cut_reason(size: int, limit: int, unit: str = "bytes") -> str:
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


def open_binary(source: Path | IO[bytes], progress: Progress | None) -> io.BufferedReader:
    if isinstance(source, Path):
        return io.BufferedReader(_Counting(source.open("rb"), progress), CHUNK)
    return io.BufferedReader(_Counting(source, progress, owned=False), CHUNK)


def open_text(source: Path | IO[bytes], progress: Progress | None) -> io.TextIOWrapper:
    return io.TextIOWrapper(
        open_binary(source, progress), encoding="utf-8", errors="surrogateescape", newline=""
    )


def strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def read_lines(f: IO[bytes], limit: int) -> Iterator[tuple[int, bytes, int, bool]]:
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
