"""The origin-scan queue and the hold / inspect-at-origin requests sent to an origin port's control unit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mainport.database import Base, utcnow


class OriginReview(Base):
    """One origin scan (with its declaration) in the analyst queue: ranked by the single-scan check and the
    targeting score, until an analyst records a verdict."""

    __tablename__ = "origin_review"
    __table_args__ = (Index("ix_origin_review_status_priority", "status", "priority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scan.id"), unique=True)
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declaration.id"))
    container_number: Mapped[str] = mapped_column(String(11), index=True)
    origin_unlocode: Mapped[str] = mapped_column(String(5))
    scanned_at: Mapped[datetime]
    load_by: Mapped[datetime | None]  # the box's (estimated) loading at the origin port: answer before it
    single_score: Mapped[float | None] = mapped_column(Float)  # imaging's check against the declared goods
    single_reasons: Mapped[list[str]] = mapped_column(default=list)
    target_score: Mapped[float | None] = mapped_column(Float)  # targeting's latest risk of the declaration
    priority: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | reviewed
    verdict: Mapped[str | None] = mapped_column(String(16))  # clear | suspicious | hold
    verdict_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None]
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HoldRequest(Base):
    """A hold / inspect-at-origin request (ICS2 do-not-load and request-for-information in spirit) to the
    control unit of the origin port, and its answer: inspected, found, cleared, or no answer by loading."""

    __tablename__ = "origin_hold_request"
    __table_args__ = (Index("ix_origin_hold_request_status_load_by", "status", "load_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)  # random; what the answer names
    review_id: Mapped[int | None] = mapped_column(ForeignKey("origin_review.id"))
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declaration.id"))
    container_number: Mapped[str] = mapped_column(String(11), index=True)
    origin_unlocode: Mapped[str] = mapped_column(String(5))
    control_unit: Mapped[str] = mapped_column(String(32))  # the partner that answers (organisation code)
    kind: Mapped[str] = mapped_column(String(16))  # do_not_load | inspect | information
    reason: Mapped[str] = mapped_column(Text)  # what the control unit is told (no sources)
    hub: Mapped[str | None] = mapped_column(String(32))
    load_by: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | answered | no_answer | withdrawn
    # how it travels to the partner (federation): pending | sent | failed
    delivery: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_org: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(String(16))  # inspected | found | cleared | no_answer
    answer_kg: Mapped[float] = mapped_column(Float, default=0.0)
    answer_note: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None]
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id"))
