"""ISO 6346 container numbers and size-type codes (pure, no database)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Category = Literal["U", "J", "Z"]


def _letter_values() -> dict[str, int]:
    # ISO 6346: A=10, then count upwards skipping multiples of 11 (11, 22, 33), so B=12 ... Z=38.
    values: dict[str, int] = {}
    n = 10
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if n % 11 == 0:
            n += 1
        values[letter] = n
        n += 1
    return values


LETTER_VALUES = _letter_values()
_OWNER = re.compile(r"^[A-Z]{3}$")
_SERIAL = re.compile(r"^[0-9]{6}$")


@dataclass(frozen=True)
class ContainerNumber:
    owner_code: str
    category: str
    serial: str
    check_digit: int

    def __str__(self) -> str:
        return f"{self.owner_code}{self.category}{self.serial}{self.check_digit}"


def iso6346_check_digit(first10: str) -> int:
    """Check digit over owner code + category + serial: sum(value * 2**i) mod 11, then 10 -> 0."""
    text = first10.strip().upper()
    if len(text) != 10:
        raise ValueError(f"need 10 characters (owner, category, serial), got {len(text)}")
    total = 0
    for i, ch in enumerate(text):
        if i < 4:
            if ch not in LETTER_VALUES:
                raise ValueError(f"character {i + 1} must be a letter, got {ch!r}")
            value = LETTER_VALUES[ch]
        else:
            if not ch.isdigit() or not ch.isascii():
                raise ValueError(f"character {i + 1} must be a digit, got {ch!r}")
            value = int(ch)
        total += value * 2**i
    return total % 11 % 10


def _normalise(s: str) -> str:
    return re.sub(r"[\s\-/]", "", s).upper()


def parse_container_number(s: str) -> ContainerNumber:
    """Parse 'CSQU 305438 3' and friends; raise ValueError saying exactly what is wrong."""
    text = _normalise(s)
    if len(text) != 11:
        raise ValueError(f"container number must have 11 characters, got {len(text)}")
    owner, category, serial, check = text[:3], text[3], text[4:10], text[10]
    if not _OWNER.match(owner):
        raise ValueError(f"owner code must be 3 letters, got {owner!r}")
    if category not in ("U", "J", "Z"):
        raise ValueError(f"category must be U, J or Z, got {category!r}")
    if not _SERIAL.match(serial):
        raise ValueError(f"serial must be 6 digits, got {serial!r}")
    if not (check.isascii() and check.isdigit()):
        raise ValueError(f"check digit must be a digit, got {check!r}")
    expected = iso6346_check_digit(text[:10])
    if int(check) != expected:
        raise ValueError(f"check digit is {check}, expected {expected}")
    return ContainerNumber(owner, category, serial, expected)


def is_valid_container_number(s: str) -> bool:
    try:
        parse_container_number(s)
    except ValueError:
        return False
    return True


def make_container_number(owner: str, serial: int, category: str = "U") -> str:
    """Build a valid number, e.g. make_container_number('MSC', 123456) -> 'MSCU1234566'."""
    owner = owner.strip().upper()
    if not _OWNER.match(owner):
        raise ValueError(f"owner code must be 3 letters, got {owner!r}")
    if category not in ("U", "J", "Z"):
        raise ValueError(f"category must be U, J or Z, got {category!r}")
    if not 0 <= serial <= 999_999:
        raise ValueError(f"serial must be between 0 and 999999, got {serial}")
    first10 = f"{owner}{category}{serial:06d}"
    return f"{first10}{iso6346_check_digit(first10)}"


Group = Literal["GP", "HC", "RE", "OT", "FR", "TK"]


@dataclass(frozen=True)
class SizeType:
    code: str
    length_ft: int
    height_ft: float
    group: str
    description: str
    reefer: bool
    tare_kg: int
    max_gross_kg: int

    @property
    def teu(self) -> float:
        return self.length_ft / 20

    @property
    def max_payload_kg(self) -> int:
        return self.max_gross_kg - self.tare_kg


def _st(
    code: str, length: int, height: float, group: str, description: str, tare: int, gross: int
) -> SizeType:
    return SizeType(code, length, height, group, description, group == "RE", tare, gross)


# ISO 6346 size-type codes in common use. First char length (2=20ft, 4=40ft, L=45ft), second height
# (2=8'6", 5=9'6" high cube), then type (G general, R reefer, U open top, P flat rack, T tank).
# Tare and max gross are typical carrier figures; each box differs (its CSC plate is authoritative).
SIZE_TYPES: dict[str, SizeType] = {
    s.code: s
    for s in (
        _st("22G0", 20, 8.5, "GP", "20ft general purpose, closed", 2200, 30480),
        _st("22G1", 20, 8.5, "GP", "20ft general purpose, vents", 2200, 30480),
        _st("22R1", 20, 8.5, "RE", "20ft reefer, integral machinery", 3000, 30480),
        _st("22U1", 20, 8.5, "OT", "20ft open top", 2300, 30480),
        _st("22P1", 20, 8.5, "FR", "20ft flat rack, fixed ends", 2700, 34000),
        _st("22P3", 20, 8.5, "FR", "20ft flat rack, collapsible ends", 2900, 34000),
        _st("22T0", 20, 8.5, "TK", "20ft tank, non-dangerous liquids", 3650, 36000),
        _st("22T6", 20, 8.5, "TK", "20ft tank, dangerous liquids", 3800, 36000),
        _st("25G1", 20, 9.5, "HC", "20ft high cube general purpose", 2350, 30480),
        _st("42G0", 40, 8.5, "GP", "40ft general purpose, closed", 3750, 30480),
        _st("42G1", 40, 8.5, "GP", "40ft general purpose, vents", 3750, 30480),
        _st("42R1", 40, 8.5, "RE", "40ft reefer, integral machinery", 4500, 34000),
        _st("42U1", 40, 8.5, "OT", "40ft open top", 3850, 30480),
        _st("42P1", 40, 8.5, "FR", "40ft flat rack, fixed ends", 5000, 45000),
        _st("42P3", 40, 8.5, "FR", "40ft flat rack, collapsible ends", 5200, 45000),
        _st("45G0", 40, 9.5, "HC", "40ft high cube, closed", 3900, 32500),
        _st("45G1", 40, 9.5, "HC", "40ft high cube, vents", 3900, 32500),
        _st("45R1", 40, 9.5, "RE", "40ft high cube reefer (40RH)", 4800, 34000),
        _st("45U1", 40, 9.5, "OT", "40ft high cube open top", 4000, 32500),
        _st("L5G1", 45, 9.5, "HC", "45ft high cube general purpose", 4800, 32500),
        _st("L5R1", 45, 9.5, "RE", "45ft high cube reefer", 5500, 34000),
    )
}


def size_type(code: str) -> SizeType:
    key = code.strip().upper()
    try:
        return SIZE_TYPES[key]
    except KeyError:
        raise ValueError(f"unknown ISO 6346 size-type code {code!r}") from None
