"""Read the public per-port, per-year cocaine seizure series; bad rows come back with a reason."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from mainport.reference.locations import is_unlocode_shape
from mainport.reference.nodes import node_for_location

PACKAGED_CSV = Path(__file__).parent / "data" / "cocaine_seizures_by_port_year.csv"
COLUMNS = ("port", "unlocode", "year", "cocaine_kg", "basis", "confidence", "source")
CONFIDENCES = ("high", "medium", "low")
# Words in the basis that mean the figure is not a counted total but an estimate, derivation or part-year.
_ESTIMATE_WORDS = re.compile(r"\b(estimate|estimated|derived|partial|approx)", re.IGNORECASE)
# Ports whose UN/LOCODE is shared with another hub (Schiphol files under NLAMS, like the port of Amsterdam).
_PORT_HUB = {"schiphol": "schiphol"}


@dataclass(frozen=True)
class PublicRow:
    port: str
    unlocode: str
    hub: str | None
    year: int
    kg: float
    basis: str
    confidence: str
    source: str
    estimate: bool


@dataclass(frozen=True)
class RejectedRow:
    line: int
    raw: str
    reason: str


def _parse(record: dict[str, str]) -> PublicRow:
    port = record["port"].strip()
    unlocode = record["unlocode"].strip().upper()
    if not port:
        raise ValueError("port is empty")
    if not is_unlocode_shape(unlocode):
        raise ValueError(f"unlocode {unlocode!r} is not a UN/LOCODE")
    year_text = record["year"].strip()
    if not year_text.isdigit() or not 1990 <= int(year_text) <= 2100:
        raise ValueError(f"year {year_text!r} is not a year between 1990 and 2100")
    kg_text = record["cocaine_kg"].strip().replace(",", "")
    estimate = kg_text.startswith("~")
    try:
        kg = float(kg_text.lstrip("~").strip())
    except ValueError:
        raise ValueError(f"cocaine_kg {record['cocaine_kg']!r} is not a number") from None
    if kg < 0:
        raise ValueError(f"cocaine_kg {kg} is negative")
    confidence = record["confidence"].strip().lower()
    if confidence not in CONFIDENCES:
        raise ValueError(f"confidence {confidence!r} is not one of {', '.join(CONFIDENCES)}")
    basis = record["basis"].strip()
    source = record["source"].strip()
    if not source:
        raise ValueError("source is empty: every public figure must name where it comes from")
    hub = _PORT_HUB.get(port.lower()) or node_for_location(unlocode)
    return PublicRow(
        port=port,
        unlocode=unlocode,
        hub=hub,
        year=int(year_text),
        kg=kg,
        basis=basis,
        confidence=confidence,
        source=source,
        estimate=estimate or bool(_ESTIMATE_WORDS.search(basis)),
    )


def read_public_series(text: str) -> tuple[list[PublicRow], list[RejectedRow]]:
    """Parse the CSV text; duplicates of a (port, year) already read are rejected too."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"public seizure CSV lacks columns: {', '.join(missing)}")
    rows: list[PublicRow] = []
    rejected: list[RejectedRow] = []
    seen: set[tuple[str, int]] = set()
    lines = text.splitlines()
    for record in reader:
        line = reader.line_num
        raw = lines[line - 1] if 0 < line <= len(lines) else repr(record)
        try:
            if None in record or any(record.get(c) is None for c in COLUMNS):
                raise ValueError(f"expected {len(COLUMNS)} fields")
            row = _parse(record)
            key = (row.port.lower(), row.year)
            if key in seen:
                raise ValueError(f"duplicate figure for {row.port} {row.year}")
        except ValueError as exc:
            rejected.append(RejectedRow(line=line, raw=raw, reason=str(exc)))
            continue
        seen.add(key)
        rows.append(row)
    return rows, rejected


def packaged_text() -> str:
    return PACKAGED_CSV.read_text(encoding="utf-8")
