"""Vessel tables: the calls of ships at the Dutch hubs as the port reports them, and the diver inspections
chosen among them with their outcomes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mainport.database import Base, utcnow
from mainport.database.columns import hub_code


class VesselCall(Base):
    """One arrival of a ship at a Dutch hub, with the ports it called on the way (waits at anchor) and the
    crew changes it made (the `vessel_calls` feed, from the port's vessel-traffic and crew-list data)."""

    __tablename__ = "vessel_call"
    __table_args__ = (
        UniqueConstraint("vessel_imo", "voyage_number", "hub"),
        Index("ix_vessel_call_hub_arrived", "hub", "arrived_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vessel_imo: Mapped[str] = mapped_column(String(7), index=True)
    vessel_name: Mapped[str | None] = mapped_column(String(100))
    voyage_number: Mapped[str] = mapped_column(String(50))
    hub: Mapped[str] = mapped_column(hub_code())
    unlocode: Mapped[str] = mapped_column(String(5))
    arrived_at: Mapped[datetime]
    # [{"unlocode", "arrived_at", "departed_at", "anchorage_hours"}], in the order called
    port_calls: Mapped[list[Any]] = mapped_column(default=list)
    crew_changes: Mapped[list[Any]] = mapped_column(default=list)  # [{"unlocode", "at", "joined"}]
    source: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class VesselDive(Base):
    """A diver inspection of a call's hull and sea chests: why it was chosen, and what it found."""

    __tablename__ = "vessel_dive"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("vessel_call.id"), unique=True)
    hub: Mapped[str] = mapped_column(hub_code(), index=True)
    score: Mapped[float] = mapped_column(Float)  # chance a dive finds a load, when chosen
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    strategy: Mapped[str] = mapped_column(String(16))  # risk | random_audit | uncertainty | manual
    propensity: Mapped[float] = mapped_column(Float)  # probability the call had of being chosen
    selected_by: Mapped[str] = mapped_column(String(64))
    selected_at: Mapped[datetime] = mapped_column(default=utcnow)
    result: Mapped[str] = mapped_column(String(16), default="pending")  # pending | found | not_found
    kg_found: Mapped[float] = mapped_column(Float, default=0.0)
    dived_at: Mapped[datetime | None]
    recorded_by: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str] = mapped_column(Text, default="")

    call: Mapped[VesselCall] = relationship()
