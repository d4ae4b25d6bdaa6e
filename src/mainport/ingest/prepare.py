"""Events prepared for storing: every check that needs no database (pure; no SQLAlchemy).

`validated` is the read loop every ingest shares (count, refuse the unparsed and the invalid with the
reason, yield the rest). `prepare_events` validates one batch of RawRecords, drops duplicates within the
batch and binds the rows as insert tuples for the dialect. It runs in the job's process (small files, API
bodies, retries) or in the reader process of a pipelined file job (`pipeline.py`); the database-dependent
steps (stored eventIDs, sequence against stored events, the write) follow in `event_store.store_events` either
way, so both give the same rows and quarantine reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import orjson

from mainport.ingest.checks import Invalid, unstorable_text
from mainport.ingest.events import to_row
from mainport.ingest.records import RAW_LIMIT, RawRecord

T = TypeVar("T")

EVENT_COLUMNS = (
    "event_id",
    "event_type",
    "event_classifier",
    "type_code",
    "event_datetime",
    "event_created_datetime",
    "equipment_reference",
    "empty_indicator",
    "unlocode",
    "facility_code",
    "vessel_imo",
    "voyage_number",
    "seals",
    "hub",
    "source",
    "payload",
    "received_at",
)
# Positions in an event row tuple (the sequence checks and de-duplication read them).
ID, CLASSIFIER, CODE, AT, EQUIPMENT, UNLOCODE, IMO, VOYAGE, PAYLOAD = 0, 2, 3, 4, 6, 8, 10, 11, 15

EventRow = tuple[Any, ...]


@dataclass(slots=True)
class Refused:
    """A record to quarantine: where it was, its text (bounded later), its size and why."""

    locator: str
    raw: str
    raw_size: int | None
    reason: str

    @classmethod
    def of(cls, rec: RawRecord, reason: str) -> Refused:
        return cls(rec.locator, rec.raw_text, rec.raw_size, reason)


@dataclass(slots=True)
class PreparedEvents:
    """One batch after the checks that need no database, as plain str/int/None tuples and lists only, so
    that it crosses to the writing process with `marshal` (several times cheaper than pickling datetimes).

    rows[i] is the insert tuple (EVENT_COLUMNS order; times as UTC text, see `bound_time`); locators[i] /
    sizes[i] where its record was and its size; raws[i] the record's text where it is not the stored payload
    (records over RAW_LIMIT are stored re-serialised).
    """

    source: str
    received: int = 0
    duplicates: int = 0  # within the batch
    refused: list[Refused] = field(default_factory=list)
    rows: list[EventRow] = field(default_factory=list)
    locators: list[str] = field(default_factory=list)
    sizes: list[int | None] = field(default_factory=list)
    raws: dict[int, str] = field(default_factory=dict)

    def refusal(self, i: int, reason: str) -> Refused:
        """Row i refused by a later (database) check, quarantined with its record's text as received."""
        raw: str = self.raws[i] if i in self.raws else self.rows[i][PAYLOAD]
        return Refused(self.locators[i], raw, self.sizes[i], reason)

    def to_wire(self) -> tuple[Any, ...]:
        refused = [(r.locator, r.raw, r.raw_size, r.reason) for r in self.refused]
        fields = (self.rows, self.locators, self.sizes, self.raws)
        return (self.source, self.received, self.duplicates, refused, *fields)

    @classmethod
    def from_wire(cls, wire: tuple[Any, ...]) -> PreparedEvents:
        source, received, duplicates, refused, rows, locators, sizes, raws = wire
        return cls(source, received, duplicates, [Refused(*r) for r in refused], rows, locators, sizes, raws)


def event_time(row: EventRow) -> datetime:
    """The eventDateTime of a prepared row, from its bound UTC text."""
    at = datetime.fromisoformat(row[AT])
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def bound_time(dialect: str, value: datetime, text: object = None) -> str:
    """A time as bound for the dialect: SQLite stores naive UTC text (as SQLAlchemy does); PostgreSQL
    gets the same text with its zone, which COPY reads exactly (a string is cheaper to send than a datetime).
    """
    utc = sqlite_time(value, text)
    return utc if dialect == "sqlite" else utc + "+00:00"


def prepare_events(
    records: Iterable[RawRecord], *, source: str, now: datetime | None = None, dialect: str = "sqlite"
) -> PreparedEvents:
    """Validate a batch, drop repeats of an eventID within it, bind rows for `dialect` (sqlite/postgresql)."""
    now = now or datetime.now(UTC)
    out = PreparedEvents(source)
    refused, rows, locators, sizes = out.refused, out.rows, out.locators, out.sizes
    seen: set[str] = set()
    received_at = bound_time(dialect, now)
    zone = "" if dialect == "sqlite" else "+00:00"
    dumps = orjson.dumps
    duplicates = 0
    for rec, r in validated(records, to_row, now, out, refused):
        event_id = r["event_id"]
        if event_id in seen:
            duplicates += 1
            continue
        seen.add(event_id)
        texts = r["_texts"]
        try:
            if (rec.raw_size or 0) <= RAW_LIMIT:
                payload = rec.raw_text
            else:
                payload = dumps(rec.parsed).decode()
                out.raws[len(rows)] = rec.raw_text
            row = (
                event_id,
                r["event_type"],
                r["event_classifier"],
                r["type_code"],
                sqlite_time(r["event_datetime"], texts[0]) + zone,
                sqlite_time(r["event_created_datetime"], texts[1]) + zone,
                r["equipment_reference"],
                r["empty_indicator"],
                r["unlocode"],
                r["facility_code"],
                r["vessel_imo"],
                r["voyage_number"],
                dumps(r["seals"]).decode(),
                r["hub"],
                source,
                payload,
                received_at,
            )
        except (TypeError, ValueError) as exc:  # orjson: nested deeper than it writes (254 levels)
            out.raws.pop(len(rows), None)
            refused.append(Refused.of(rec, f"record could not be stored as JSON ({exc})"))
            continue
        rows.append(row)
        locators.append(rec.locator)
        sizes.append(rec.raw_size)
    out.duplicates = duplicates
    return out


class Counts(Protocol):
    received: int


def validated(
    records: Iterable[RawRecord],
    validate: Callable[..., T],
    now: datetime,
    counts: Counts,
    refused: list[Refused],
) -> Iterator[tuple[RawRecord, T]]:
    """Count every record received; refuse the unparsed and the invalid into `refused` with the reason;
    yield the rest with what `validate(parsed, now=now)` made of them. Every ingest reads through this.

    Whatever a record makes a check do (text no column can hold, nesting too deep to walk, a type the check
    did not expect) refuses that record, with the reason; it never ends the job."""
    for rec in records:
        counts.received += 1
        if rec.error is not None:
            refused.append(Refused.of(rec, rec.error))
            continue
        try:
            problem = unstorable_text(rec.raw_text, rec.parsed)
            if problem is not None:
                raise Invalid(problem)
            value = validate(rec.parsed, now=now)
        except Invalid as exc:
            refused.append(Refused.of(rec, str(exc)))
            continue
        except RecursionError:
            refused.append(Refused.of(rec, "record: nested too deeply to check"))
            continue
        except Exception as exc:  # the record broke a check: it is the record's failure, not the job's
            reason = f"record could not be checked ({type(exc).__name__}: {exc})"
            refused.append(Refused.of(rec, reason[:500]))
            continue
        yield rec, value


def sqlite_time(value: datetime, text: object = None) -> str:
    """Aware datetime -> naive UTC text with microseconds, as SQLAlchemy's SQLite DateTime stores it.

    `text` is the timestamp as received (already parsed into `value`): the common UTC shapes
    `YYYY-MM-DDTHH:MM:SS[.ffffff](+00:00|Z)` are sliced, which is several times cheaper than isoformat().
    """
    if type(text) is str and text[4:5] == "-" and text[7:8] == "-" and text[10:11] in ("T", " "):
        n = len(text)
        if text[13:14] == ":" and text[16:17] == ":" and (text.endswith("+00:00") or text[-1] == "Z"):
            body = n - (6 if text[-1] == "0" else 1)
            if body == 19:
                return f"{text[:10]} {text[11:19]}.000000"
            if body == 26 and text[19] == ".":
                return f"{text[:10]} {text[11:26]}"
    if value.utcoffset():
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
