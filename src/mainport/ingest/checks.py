"""Shared field checks for ingest: timestamps with a zone, and cached reference look-ups (hot path)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from mainport.reference.containers import LETTER_VALUES, parse_container_number
from mainport.reference.locations import is_known_unlocode, is_unlocode_shape
from mainport.reference.vessels import normalise_imo


class Invalid(ValueError):
    """A record failed a check; the message names the field, the problem and the value."""


def text(
    d: dict[str, Any], name: str, max_len: int, *, required: bool = False, numbers: bool = False
) -> str | None:
    """Field ``name`` of record ``d`` as stripped text (None when absent or blank, unless ``required``), at
    most ``max_len`` characters. ``numbers``: a number is taken as its text (CSV and JSON declarations carry
    references such as voyage numbers either way)."""
    value = d.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(f"{name}: required field missing or empty")
        return None
    if not isinstance(value, (str | int) if numbers else str):
        raise Invalid(f"{name}: must be text (value {value!r:.60})")
    stripped = str(value).strip()
    if len(stripped) > max_len:
        raise Invalid(
            f"{name}: longer than {max_len} characters ({len(stripped)}; value {stripped[:40]!r}...)"
        )
    return stripped


def timestamp(field: str, value: object) -> datetime:
    """An ISO 8601 timestamp that carries a zone, as aware UTC."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{field}: required timestamp missing (value {value!r})")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"{field}: not an ISO 8601 timestamp (value {value!r})") from None
    if parsed.tzinfo is None:
        raise Invalid(f"{field}: timestamp has no time zone (value {value!r})")
    return parsed.astimezone(UTC)


@lru_cache(maxsize=200_000)
def _container(value: str) -> str | str:
    try:
        return "+" + str(parse_container_number(value))
    except ValueError as exc:
        return "-" + str(exc)


_CANONICAL = re.compile(r"[A-Z]{3}[UJZ][0-9]{7}")
_VALUES = {**LETTER_VALUES, **{str(d): d for d in range(10)}}


def _canonical_ok(value: str) -> bool:
    """A canonical ISO 6346 number (no spaces, upper case) with a right check digit: the common case."""
    if _CANONICAL.fullmatch(value) is None:
        return False
    v = _VALUES
    total = (
        v[value[0]]
        + 2 * v[value[1]]
        + 4 * v[value[2]]
        + 8 * v[value[3]]
        + 16 * v[value[4]]
        + 32 * v[value[5]]
        + 64 * v[value[6]]
        + 128 * v[value[7]]
        + 256 * v[value[8]]
        + 512 * v[value[9]]
    )
    return total % 11 % 10 == v[value[10]]


def container_number(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{field}: container number missing (value {value!r})")
    if _canonical_ok(value):
        return value
    result = _container(value)  # other spellings, and the exact reason when it is wrong
    if result[0] == "-":
        raise Invalid(f"{field}: not a valid ISO 6346 container number: {result[1:]} (value {value!r})")
    return result[1:]


@lru_cache(maxsize=50_000)
def _imo(value: str) -> str:
    try:
        return "+" + normalise_imo(value)
    except ValueError as exc:
        return "-" + str(exc)


def imo(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{field}: IMO number must be a string (value {value!r})")
    result = _imo(value)
    if result[0] == "-":
        raise Invalid(f"{field}: not a valid IMO number: {result[1:]} (value {value!r})")
    return result[1:]


@lru_cache(maxsize=10_000)
def _unlocode(value: str) -> str:
    code = value.strip().upper().replace(" ", "")
    if is_known_unlocode(code):
        return "+" + code
    if is_unlocode_shape(code):
        return "-unknown UN/LOCODE"
    return "-not a UN/LOCODE (2-letter country + 3 characters)"


def unlocode(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{field}: UN/LOCODE must be a string (value {value!r})")
    result = _unlocode(value)
    if result[0] == "-":
        raise Invalid(f"{field}: {result[1:]} (value {value!r})")
    return result[1:]
