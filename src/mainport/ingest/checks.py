"""Shared field checks for ingest and the feeds domains register: text, timestamps with a zone, enums,
masses, and cached reference look-ups (hot path). Each raises `Invalid` with "field: problem (value ...)"."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from mainport.reference.containers import LETTER_VALUES, parse_container_number
from mainport.reference.locations import is_known_unlocode, is_unlocode_shape
from mainport.reference.nodes import NODES
from mainport.reference.vessels import normalise_imo

FUTURE_TOLERANCE = timedelta(days=1)  # a feed's timestamps may run this far ahead (clocks, time zones)
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")  # drug, modus operandi


class Invalid(ValueError):
    """A record failed a check; the message names the field, the problem and the value."""


# JSON escapes of what no text column can hold: NUL (PostgreSQL refuses it) and unpaired UTF-16 surrogates
# (not Unicode text; no driver can encode them). Raw NUL or bad bytes never get this far: invalid JSON, or
# refused by the readers.
_SUSPECT = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable_text(raw_text: str, parsed: Any) -> str | None:
    """Why a parsed record holds a string that cannot be stored (NUL, an unpaired surrogate), naming the
    field; None when it holds none. Cheap for the common record: only a record whose text has such an escape
    is walked (an escaped backslash before "u0000" is a false alarm the walk clears)."""
    if "\\u" not in raw_text or _SUSPECT.search(raw_text) is None:
        return None
    stack: list[tuple[str, Any]] = [("", parsed)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem is not None:
                return f"{path or 'record'}: {problem}"
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                problem = _text_problem(str(key))
                if problem is not None:
                    return f"{name} (a key): {problem}"
                stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return None


def _text_problem(value: str) -> str | None:
    at = value.find("\x00")
    if at >= 0:
        return f"NUL character (U+0000) at character {at + 1}; text cannot hold it (binary data?)"
    m = _SURROGATE.search(value)
    if m is not None:
        return f"unpaired surrogate U+{ord(m.group()):04X} at character {m.start() + 1}; not Unicode text"
    return None


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


# --- record fields of the feeds (access logs, e-seal status, inspections, seizures, ...) --------------------


def required_text(d: dict[str, Any], name: str, max_len: int) -> str:
    found = text(d, name, max_len, required=True)
    assert found is not None
    return found


def moment(d: dict[str, Any], name: str, now: datetime) -> datetime:
    """A required timestamp with a zone, not more than FUTURE_TOLERANCE ahead of `now`."""
    at = timestamp(name, d.get(name))
    if at > now + FUTURE_TOLERANCE:
        raise Invalid(f"{name}: more than 1 day in the future (value {d.get(name)!r})")
    return at


def hub(d: dict[str, Any]) -> str:
    code = required_text(d, "hub", 40).lower()
    if code not in NODES:
        raise Invalid(f"hub: unknown hub (value {d.get('hub')!r}; known: {', '.join(NODES)})")
    return code


def container(d: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = d.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(f"{name}: required field missing or empty")
        return None
    return container_number(name, value)


def optional_unlocode(d: dict[str, Any], name: str) -> str | None:
    value = d.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return unlocode(name, value)


def enum(d: dict[str, Any], name: str, allowed: tuple[str, ...], *, upper: bool = False) -> str:
    raw = required_text(d, name, 40)
    value = raw.upper() if upper else raw.lower()
    if value not in allowed:
        raise Invalid(f"{name}: not one of {', '.join(allowed)} (value {raw!r})")
    return value


def code(d: dict[str, Any], name: str, *, default: str | None = None) -> str | None:
    value = text(d, name, 32)
    if value is None:
        return default
    lowered = value.lower()
    if not _CODE.match(lowered):
        raise Invalid(f"{name}: must be a lower-case code of letters, digits and _ (value {value!r})")
    return lowered


def mass(d: dict[str, Any], name: str, *, required: bool) -> float:
    """Kilograms: a finite number >= 0 (0.0 when absent and not required)."""
    value = d.get(name)
    if value is None or value == "":
        if required:
            raise Invalid(f"{name}: required field missing or empty")
        return 0.0
    try:
        kg = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        raise Invalid(f"{name}: not a number (value {value!r:.60})") from None
    if kg != kg or kg in (float("inf"), float("-inf")):
        raise Invalid(f"{name}: not a finite number (value {value!r:.60})")
    if kg < 0:
        raise Invalid(f"{name}: negative mass (value {value!r:.60})")
    return kg


def digest(*parts: object) -> str:
    """A stable key of a record's identifying fields (SHA-1 hex)."""
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha1(joined.encode(), usedforsecurity=False).hexdigest()
