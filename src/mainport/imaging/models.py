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
    # the alert threshold this pair was judged against (its scanner pairing's self-calibrated one)
    alert_threshold: Mapped[float | None] = mapped_column(Float)


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


class ScanPairOutcome(Base):
    """What an inspection found for a compared pair: ``clean`` (nothing) or ``found``. Clean outcomes
    re-estimate their scanner pairing's alert threshold (:class:`ScanPairCalibration`)."""

    __tablename__ = "scan_pair_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("scan_comparison.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(8))  # clean | found
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"))
    recorded_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScanPairCalibration(Base):
    """Self-calibrated alert threshold of one scanner pairing (origin scanner, arrival scanner) for one
    comparison parameter version: it starts at the configured threshold and moves to the score that
    confirmed-clean pairs of this pairing exceed at the target false-alarm rate."""

    __tablename__ = "scan_pair_calibration"
    __table_args__ = (UniqueConstraint("origin_scanner", "arrival_scanner", "params_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    origin_scanner: Mapped[str] = mapped_column(String(64))
    arrival_scanner: Mapped[str] = mapped_column(String(64))
    params_version: Mapped[str] = mapped_column(String(16))
    target_fa: Mapped[float] = mapped_column(Float, default=0.05)
    prior_threshold: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    n_clean: Mapped[int] = mapped_column(default=0)
    clean_scores: Mapped[list[Any]] = mapped_column(default=list)  # the most recent ones, newest last
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
