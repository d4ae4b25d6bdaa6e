from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mainport.database import Base, utcnow
from mainport.database.columns import hub_code


class Alert(Base):
    """A signal from any module (targeting, imaging, custody, release, seals, insider) about a container."""

    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_status_severity", "status", "severity"),
        Index("ix_alert_container_number", "container_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # targeting | imaging | custody | release | seal | insider | manual | monitoring
    source: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(64))
    severity: Mapped[int] = mapped_column(default=2)  # 1 low .. 4 critical
    container_number: Mapped[str | None] = mapped_column(String(11))
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declaration.id"))
    hub: Mapped[str | None] = mapped_column(hub_code())
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Same container + kind + key within the open window is one alert, counted again, not a new row.
    dedup_key: Mapped[str] = mapped_column(String(200), index=True)
    occurrences: Mapped[int] = mapped_column(default=1)
    # new | triaged | linked | dismissed | closed (its case closed); see cases.workflow for the transitions
    status: Mapped[str] = mapped_column(String(16), default="new")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), index=True)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    triaged_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")


class Case(Base):
    __tablename__ = "case_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    container_number: Mapped[str | None] = mapped_column(String(11), index=True)
    hub: Mapped[str | None] = mapped_column(hub_code())
    # open | investigating | decided (outcome recorded) | closed; see cases.workflow for the transitions
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    assignee: Mapped[str | None] = mapped_column(String(64))
    severity: Mapped[int] = mapped_column(default=2)
    outcome: Mapped[str | None] = mapped_column(String(32))  # found | not_found | no_action
    kg_seized: Mapped[float | None]
    modus_operandi: Mapped[str | None] = mapped_column(String(32))
    notes: Mapped[str] = mapped_column(Text, default="")
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    # The inspection that recorded the outcome: how the result flows back to targeting and monitoring.
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"))

    alerts: Mapped[list[Alert]] = relationship()
