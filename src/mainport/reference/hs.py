"""Harmonized System 2022 codes (UN Comtrade list, copied into the package) and the headings that matter."""

from __future__ import annotations

import csv
import io
import re
from functools import cache
from importlib import resources

_DIGITS = re.compile(r"^[0-9]+$")


def _clean(code: str) -> str:
    return code.strip().replace(".", "").replace(" ", "")


def _rows(name: str) -> list[dict[str, str]]:
    path = resources.files("mainport.reference") / "data" / name
    if not path.is_file():
        raise FileNotFoundError(f"HS 2022 data {name} missing at {path}; reinstall mainport (package data)")
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


@cache
def _codes() -> dict[str, str]:
    """hscode -> description for every 2, 4 and 6 digit code (the TOTAL row is dropped)."""
    return {
        row["hscode"]: row["description"]
        for row in _rows("harmonized-system.csv")
        if _DIGITS.match(row["hscode"]) and len(row["hscode"]) in (2, 4, 6)
    }


@cache
def sections() -> dict[str, str]:
    """Roman numeral -> section name."""
    return {row["section"]: row["name"] for row in _rows("sections.csv")}


def is_hs6_shape(code: str) -> bool:
    text = _clean(code)
    return len(text) == 6 and bool(_DIGITS.match(text))


def is_known_hs(code: str) -> bool:
    """True if the 2, 4 or 6 digit code exists in HS 2022."""
    return _clean(code) in _codes()


def hs_description(code: str) -> str:
    text = _clean(code)
    try:
        return _codes()[text]
    except KeyError:
        raise ValueError(f"{code!r} is not an HS 2022 chapter, heading or subheading") from None


def _prefix(code: str, n: int) -> str:
    text = _clean(code)
    if len(text) < n or not _DIGITS.match(text):
        raise ValueError(f"HS code {code!r} needs at least {n} digits")
    return text[:n]


def hs_chapter(code: str) -> str:
    return _prefix(code, 2)


def hs_heading(code: str) -> str:
    return _prefix(code, 4)


# Headings that cocaine is hidden in or behind (cover loads seen in seizures at Rotterdam and Antwerp).
RISK_HEADINGS: dict[str, str] = {
    "0306": "crustaceans (frozen shrimp)",
    "0603": "cut flowers",
    "0709": "fresh vegetables",
    "0803": "bananas",
    "0804": "avocados, pineapples, mangoes",
    "0805": "citrus fruit",
    "0810": "other fresh fruit",
    "0901": "coffee",
    "1701": "cane sugar",
    "1801": "cocoa beans",
    "1803": "cocoa paste",
    "1804": "cocoa butter",
    "1805": "cocoa powder",
    "1806": "chocolate",
    "2009": "fruit juices",
    "2202": "beverages",
    "4403": "timber in the rough",
    "4407": "sawn timber",
    "6907": "ceramic tiles",
    "8418": "refrigerating equipment",
}

# Heading -> commodity group; chapters as fallback. Fresh vegetables (0701-0709) travel like fresh fruit
# (reefers, short dwell), so they share its group.
_GROUP_BY_HEADING = {
    **{f"08{n:02d}": "fresh_fruit" for n in range(3, 11)},
    **{f"07{n:02d}": "fresh_fruit" for n in range(1, 10)},
    **{h: "cocoa" for h in ("1801", "1802", "1803", "1804", "1805", "1806")},
    "0901": "coffee",
    **{h: "flowers" for h in ("0602", "0603", "0604")},
    **{h: "frozen_food" for h in ("0303", "0304", "0306", "0307", "0710", "0811", "1604", "1605")},
    "6907": "tiles",
}
_GROUP_BY_CHAPTER = {"02": "frozen_food", "44": "timber", "84": "machinery", "85": "machinery"}


def commodity_group(hs6: str) -> str:
    """One of fresh_fruit, cocoa, coffee, flowers, timber, tiles, frozen_food, machinery, general."""
    heading = hs_heading(hs6)
    return _GROUP_BY_HEADING.get(heading) or _GROUP_BY_CHAPTER.get(heading[:2], "general")
