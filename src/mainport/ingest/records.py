"""What readers yield and what every ingest returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Quarantined payloads are kept up to this many bytes (UTF-8); the original size is recorded beside them.
RAW_LIMIT = 64 * 1024
FIELD_LIMIT = 1024 * 1024  # one CSV field above 1 MiB is refused (the record is quarantined, not the file)
# One record (a line, an array element, a CSV row) above this is cut while it is read: its first RAW_LIMIT
# bytes are kept for the quarantine, the rest is skipped without being held in memory.
RECORD_LIMIT = 4 * FIELD_LIMIT
# A source is flagged as mostly garbage when more than this share of its records is quarantined.
GARBAGE_SHARE = 0.5


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs ~1 us per record on the hot path
class RawRecord:
    """One record as read: where it is, its text, the parsed object (or None) and why parsing failed."""

    locator: str
    raw_text: str
    parsed: Any = None
    error: str | None = None
    raw_size: int | None = None  # bytes in the source when raw_text was cut (huge fields)


@dataclass(frozen=True, slots=True)
class Problem:
    locator: str
    reason: str
    quarantine_id: int | None = None


@dataclass
class Reconciliation:
    """received = stored + duplicates + quarantined; `updated` (amendments) are counted inside `stored`."""

    kind: str
    source: str
    received: int = 0
    stored: int = 0
    updated: int = 0
    duplicates: int = 0
    quarantined: int = 0
    not_kept: int = 0  # of the quarantined: counted, not copied (a source flagged as mostly garbage)
    elapsed_s: float = 0.0
    run_id: int | None = None
    flagged: str | None = None  # why the source looks like garbage (no valid header, mostly quarantined)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the operator should know about the run
    max_problems: int = 1000  # how many quarantine locators/reasons to keep for the caller

    @property
    def balanced(self) -> bool:
        return self.received == self.stored + self.duplicates + self.quarantined

    @property
    def rate(self) -> float:
        return self.received / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def mostly_garbage(self) -> bool:
        return self.received > 0 and self.quarantined > GARBAGE_SHARE * self.received

    def check(self) -> None:
        if not self.balanced:
            raise AssertionError(
                f"ingest of {self.source} does not reconcile: received {self.received}"
                f" != stored {self.stored} + duplicates {self.duplicates} + quarantined {self.quarantined}"
            )

    def add(self, other: Reconciliation) -> None:
        self.received += other.received
        self.stored += other.stored
        self.updated += other.updated
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        self.not_kept += other.not_kept
        self.flagged = self.flagged or other.flagged
        room = self.max_problems - len(self.problems)
        if room > 0:
            self.problems.extend(other.problems[:room])

    def summary(self) -> dict[str, Any]:
        """The figures as plain JSON (what the CLI prints and the API returns)."""
        return {
            "kind": self.kind,
            "source": self.source,
            "received": self.received,
            "stored": self.stored,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "not_kept": self.not_kept,
            "balanced": self.balanced,
            "flagged": self.flagged,
            "elapsed_s": round(self.elapsed_s, 3),
            "rate_per_s": round(self.rate, 1),
            "run_id": self.run_id,
            "problems": [asdict(p) for p in self.problems],
            "notes": list(self.notes),
        }
