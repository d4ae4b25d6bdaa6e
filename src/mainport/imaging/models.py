"""Tables of the imaging domain: comparisons of an origin and an arrival scan, and single-scan checks.

The scans themselves are `shipments.models.Scan` rows; the images live in the image store (`store.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mainport.database import Base, utcnow


class ScanComparison(Base):
    """One run of `compare` on an origin/arrival pair (one row per pair and parameter version)."""

    __tablename__ = "scan_comparison"
    __table_args__ = (UniqueConstraint("origin_scan_id", "arrival_scan_id", "params_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    origin_scan_id: Mapped[int] = mapped_column(ForeignKey("scan.id"), index=True)
    arrival_scan_id: Mapped[int] = mapped_column(ForeignKey("scan.id"), index=True)
    container_number: Mapped[str] = mapped_column(String(11), index=True)
    # done | failed (a pair that cannot be compared is recorded with its error, never retried silently)
    status: Mapped[str] = mapped_column(String(8), default="done")
    score: Mapped[float | None] = mapped_column(Float)
    stat: Mapped[float | None] = mapped_column(Float)
    flipped: Mapped[bool] = mapped_column(default=False)
    regions: Mapped[list[Any]] = mapped_column(default=list)
    overlay_uri: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str] = mapped_column(Text, default="")
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id"))
    # hash of the CompareParams used: a recalibration gives a new comparison, a re-run does not
    params_version: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeclaredCheck(Base):
    """`check_declared` of one arrival scan against the commodity of the container's declaration."""

    __tablename__ = "scan_declared_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scan.id"), unique=True)
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declaration.id"))
    hs_code: Mapped[str | None] = mapped_column(String(6))
    commodity: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    regions: Mapped[list[Any]] = mapped_column(default=list)
    reasons: Mapped[list[str]] = mapped_column(default=list)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
