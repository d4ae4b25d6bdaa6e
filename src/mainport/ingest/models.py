from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mainport.database import Base, utcnow


class QuarantinedRecord(Base):
    """A record that failed validation: the raw payload, where it came from and exactly why."""

    __tablename__ = "quarantined_record"
    __table_args__ = (Index("ix_quarantined_record_status_kind", "status", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-1 of kind, source, locator, reason and raw (`quarantine.record_key`): a record is kept once, however
    # often its source is read again (a re-run after a crash, the same bad record posted twice).
    key: Mapped[str | None] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # declaration | event | scan | telemetry | ...
    source: Mapped[str] = mapped_column(String(300))  # file path or "api:<user>"
    locator: Mapped[str] = mapped_column(String(64))  # line/record number within the source
    raw: Mapped[str] = mapped_column(Text)  # truncated to a bound, with the original size noted
    raw_size: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | replayed | discarded
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    retries: Mapped[int] = mapped_column(default=0)
    resolved_at: Mapped[datetime | None]


class IngestRun(Base):
    """One ingest of one source, with its reconciliation (received = stored + duplicates + quarantined).

    The counts grow batch by batch in each batch's own transaction, so after a crash the row says exactly
    what was committed (`batches`); `status` running | finished | failed (`error`: why, in one line)."""

    __tablename__ = "ingest_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(300))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running", server_default="finished")
    batches: Mapped[int] = mapped_column(default=0, server_default="0")
    received: Mapped[int] = mapped_column(default=0)
    stored: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    quarantined: Mapped[int] = mapped_column(default=0)
    not_kept: Mapped[int] = mapped_column(default=0, server_default="0")  # quarantined, only counted
    flagged: Mapped[str | None] = mapped_column(Text)  # why the source looks like garbage
    error: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
