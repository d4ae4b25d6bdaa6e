"""Monitoring's own tables: the public seizure series, measures with their spending, and waterbed signals."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mainport.database import Base, utcnow
from mainport.database.columns import hub_code


class PublicSeizureFigure(Base):
    """Cocaine seized at one port in one year, as reported publicly; source and confidence stay with it."""

    __tablename__ = "public_seizure_figure"
    __table_args__ = (UniqueConstraint("port", "year", name="port_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    port: Mapped[str] = mapped_column(String(64))
    unlocode: Mapped[str] = mapped_column(String(5))
    hub: Mapped[str | None] = mapped_column(hub_code())  # Dutch hub code; None for neighbouring ports
    year: Mapped[int]
    kg: Mapped[float] = mapped_column(Float)
    basis: Mapped[str] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(8))  # high | medium | low
    source: Mapped[str] = mapped_column(Text)
    # Figures given as '~' or derived/partial are estimates and must be shown as such.
    estimate: Mapped[bool] = mapped_column(default=False)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Measure(Base):
    """A measure of the plan at one hub in one year: its budget, what was spent and what it achieved."""

    __tablename__ = "monitoring_measure"
    __table_args__ = (
        UniqueConstraint("hub", "year", "name", name="hub_year_name"),
        Index("ix_monitoring_measure_hub_year", "hub", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub: Mapped[str] = mapped_column(hub_code())  # a node code or "cross_cutting"
    year: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    budget_eur_m: Mapped[float] = mapped_column(Float, default=0.0)
    spent_eur_m: Mapped[float] = mapped_column(Float, default=0.0)
    results: Mapped[str] = mapped_column(Text, default="")
    # The day the measure raised enforcement at the hub; the waterbed detector watches other hubs after it.
    started_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class WaterbedSignal(Base):
    """A flagged displacement from one hub to another, with its size, uncertainty and explanation."""

    __tablename__ = "waterbed_signal"
    __table_args__ = (Index("ix_waterbed_signal_detected", "detected_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_hub: Mapped[str] = mapped_column(hub_code())  # where enforcement rose
    target_hub: Mapped[str] = mapped_column(hub_code())  # where smuggling appears to have moved
    metric: Mapped[str] = mapped_column(String(32))
    change_start: Mapped[date] = mapped_column(Date)
    break_start: Mapped[date] = mapped_column(Date)
    excess_ratio: Mapped[float] = mapped_column(Float)
    ratio_low: Mapped[float] = mapped_column(Float)
    ratio_high: Mapped[float] = mapped_column(Float)
    excess_units: Mapped[float] = mapped_column(Float)
    z: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    detected_by: Mapped[str] = mapped_column(String(64))
