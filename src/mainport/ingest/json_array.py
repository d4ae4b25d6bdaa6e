"""JSON arrays streamed element by element (pure: no database): one element per line through orjson (the
fast path), anything else through the exact decoder; an element over the limit is read past, never held;
a truncated array, content after it, bad bytes, nesting too deep: one bad record each. Never raises on bad
data."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any

import orjson

from mainport.ingest.records import RAW_LIMIT, RECORD_LIMIT, RawRecord
from mainport.ingest.streams import CHUNK, cut_reason, encoding_error, visible

_DECODER = json.JSONDecoder()
_WS = re.compile(r"[\s,]*")
_STRUCTURE = re.compile(r'["{}\[\],]')  # what matters to the end of a JSON value outside strings
_IN_STRING = re.compile(r'["\\]')  # ... and inside them


def read_array(
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
                        visible(head),
                        None,
                        truncated + cut_reason(size, limit, "characters"),
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
                    visible(rest[:RAW_LIMIT]),
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
                visible(text[:RAW_LIMIT]),
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
        visible(head),
        None,
        f"unexpected content after the end of the JSON array ({size} characters)",
        size,
    )


def _element(locator: str, text: str, obj: Any) -> RawRecord:
    """One decoded array element: refused when it held bad bytes, is not an object or is too big."""
    ascii_only = text.isascii()
    bad = None if ascii_only else encoding_error(text)
    size = len(text) if ascii_only else len(text.encode("utf-8", "surrogateescape"))
    shown = visible(text[:RAW_LIMIT]) if (bad or size > RAW_LIMIT) else text
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
