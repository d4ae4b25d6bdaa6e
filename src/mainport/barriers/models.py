"""Barrier tables: the ISPS port-facility register, and the badge (access-control) and ANPR/camera events at
the facilities' gates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mainport.database import Base, utcnow
from mainport.database.columns import hub_code
from mainport.shipments.models import BigId


class PortFacility(Base):
    """A port facility under the ISPS code (SOLAS XI-2): its number in IMO GISIS, operator, security level,
    the measures of its security plan and the state of its statement of compliance."""

    __tablename__ = "barrier_facility"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # IMO port facility number, e.g. NLRTM-0001
    name: Mapped[str] = mapped_column(String(200))
    hub: Mapped[str] = mapped_column(hub_code(), index=True)
    unlocode: Mapped[str] = mapped_column(String(5))
    operator_code: Mapped[str | None] = mapped_column(String(16))  # the terminal's facility code (SMDG)
    security_level: Mapped[int] = mapped_column(default=1)  # ISPS 1 | 2 | 3
    status: Mapped[str] = mapped_column(String(16), default="approved")  # approved | suspended | withdrawn
    compliance_until: Mapped[date | None] = mapped_column(Date)  # statement of compliance valid until
    measures: Mapped[list[Any]] = mapped_column(default=list)  # [{"measure", "state", "note"}]
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class BadgeEvent(Base):
    """A badge presented at a facility's gate or door (access control): in or out, granted or refused."""

    __tablename__ = "barrier_badge_event"
    __table_args__ = (Index("ix_barrier_badge_event_facility_at", "facility_code", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    facility_code: Mapped[str] = mapped_column(String(16))
    hub: Mapped[str] = mapped_column(hub_code())
    badge: Mapped[str] = mapped_column(String(64), index=True)  # the card's number (pseudonymous)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    gate: Mapped[str | None] = mapped_column(String(64))
    granted: Mapped[bool] = mapped_column(Boolean, default=True)
    at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[int | None]


class CameraDetection(Base):
    """A number plate (ANPR) or container number (OCR) read by a camera at a facility."""

    __tablename__ = "barrier_camera_detection"
    __table_args__ = (Index("ix_barrier_camera_detection_facility_at", "facility_code", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    facility_code: Mapped[str] = mapped_column(String(16))
    hub: Mapped[str] = mapped_column(hub_code())
    camera: Mapped[str] = mapped_column(String(64))
    plate: Mapped[str | None] = mapped_column(String(16), index=True)
    container_number: Mapped[str | None] = mapped_column(String(11), index=True)
    direction: Mapped[str | None] = mapped_column(String(3))  # in | out
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[int | None]
