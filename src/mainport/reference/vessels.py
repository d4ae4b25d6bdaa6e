"""IMO ship identification numbers (pure, no database)."""

from __future__ import annotations

import re

_IMO = re.compile(r"^(?:IMO)?\s*([0-9]{7})$")


def imo_check_digit(first6: str) -> int:
    """Last digit of an IMO number: digits weighted 7,6,5,4,3,2, sum mod 10."""
    text = first6.strip()
    if len(text) != 6 or not (text.isascii() and text.isdigit()):
        raise ValueError(f"need 6 digits, got {first6!r}")
    return sum(int(d) * w for d, w in zip(text, range(7, 1, -1), strict=True)) % 10


def normalise_imo(s: str) -> str:
    """'IMO 9321483' or '9321483' -> '9321483'; ValueError says why otherwise."""
    text = s.strip().upper().replace("-", " ")
    match = _IMO.match(re.sub(r"\s+", " ", text))
    if not match:
        raise ValueError(f"IMO number must be 7 digits, optionally prefixed 'IMO', got {s!r}")
    digits = match.group(1)
    expected = imo_check_digit(digits[:6])
    if int(digits[6]) != expected:
        raise ValueError(f"check digit is {digits[6]}, expected {expected}")
    return digits


def is_valid_imo(s: str) -> bool:
    try:
        normalise_imo(s)
    except ValueError:
        return False
    return True


def make_imo(first6: int) -> str:
    """Build a valid IMO number from its first six digits (100000..999999)."""
    if not 100_000 <= first6 <= 999_999:
        raise ValueError(f"first six digits must be 100000..999999, got {first6}")
    text = str(first6)
    return f"{text}{imo_check_digit(text)}"
