"""Targeting tables: rule profile versions, model versions, risk scores, selections and their outcomes, and
the intelligence that steers selection (watch-list entries, tips)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mainport.database import Base, utcnow
from mainport.database.columns import hub_code
from mainport.shipments.models import BigId


class RuleProfileVersion(Base):
    """A rule profile (YAML) added by an analyst; a new upload of the same profile is a new version."""

    __tablename__ = "targeting_rule_profile"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    owner: Mapped[str] = mapped_column(String(100))
    yaml_text: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelVersion(Base):
    """A trained LightGBM booster with its calibrator and metadata (serialised by RiskModel.to_bytes)."""

    __tablename__ = "targeting_model_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    trained_until: Mapped[datetime | None]
    rows: Mapped[int] = mapped_column(default=0)
    positives: Mapped[int] = mapped_column(default=0)
    weighting: Mapped[str] = mapped_column(String(32), default="ipw")
    active: Mapped[bool] = mapped_column(default=True)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RiskScore(Base):
    """The risk of one declaration as scored on one day (model probability, rule score and reasons)."""

    __tablename__ = "targeting_risk_score"
    __table_args__ = (Index("ix_targeting_risk_score_hub_day", "hub", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"), index=True)
    hub: Mapped[str | None] = mapped_column(hub_code())
    day: Mapped[date] = mapped_column(Date)
    model_version_id: Mapped[int | None] = mapped_column(ForeignKey("targeting_model_version.id"))
    model_p: Mapped[float | None] = mapped_column(Float)
    rule_score: Mapped[float] = mapped_column(Float, default=0.0)
    score: Mapped[float] = mapped_column(Float)
    rule_hits: Mapped[list[str]] = mapped_column(default=list)
    reasons: Mapped[list[str]] = mapped_column(default=list)
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)


class Selection(Base):
    """The inspection list of one hub for one day."""

    __tablename__ = "targeting_selection"
    __table_args__ = (UniqueConstraint("hub", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub: Mapped[str] = mapped_column(hub_code())
    day: Mapped[date] = mapped_column(Date)
    capacity_scan: Mapped[int]
    capacity_physical: Mapped[int] = mapped_column(default=0)
    exploration_share: Mapped[float] = mapped_column(Float)
    strategy: Mapped[str] = mapped_column(String(16))
    candidates: Mapped[int]
    model_version_id: Mapped[int | None] = mapped_column(ForeignKey("targeting_model_version.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[SelectionItem]] = relationship(
        back_populates="selection", order_by="SelectionItem.rank", cascade="all, delete-orphan"
    )


class SelectionItem(Base):
    """One selected declaration: why (reasons), by which strategy and with which propensity."""

    __tablename__ = "targeting_selection_item"
    __table_args__ = (UniqueConstraint("selection_id", "declaration_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    selection_id: Mapped[int] = mapped_column(ForeignKey("targeting_selection.id"), index=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"), index=True)
    rank: Mapped[int]
    score: Mapped[float] = mapped_column(Float)
    model_p: Mapped[float | None] = mapped_column(Float)
    rule_score: Mapped[float] = mapped_column(Float, default=0.0)
    strategy: Mapped[str] = mapped_column(String(16))  # risk | random_audit | uncertainty | thompson | tip
    propensity: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(16))  # scan | physical
    reasons: Mapped[list[str]] = mapped_column(default=list)
    rule_hits: Mapped[list[str]] = mapped_column(default=list)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id"))
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"))

    selection: Mapped[Selection] = relationship(back_populates="items")


class WatchEntry(Base):
    """A watch-list entry: a party, container, vessel or route that intelligence wants looked at, with who
    owns it, why, where the information came from and for how long. Revoked, never deleted (audit)."""

    __tablename__ = "targeting_watch_entry"
    __table_args__ = (Index("ix_targeting_watch_entry_kind_value", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # party | container | vessel | route
    value: Mapped[str] = mapped_column(String(64))  # EORI | ISO 6346 number | IMO | FROM>[VIA>]TO
    owner: Mapped[str] = mapped_column(String(100))  # team or officer responsible for the entry
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(100))  # police, liaison officer, FIOD, customs intelligence...
    weight: Mapped[float] = mapped_column(Float, default=0.5)  # raises the risk score (noisy-or)
    hub: Mapped[str | None] = mapped_column(hub_code())  # only this hub; None: every hub
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    org_code: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(Text)


class Tip(Base):
    """A tip-off from police, KMar, FIOD or a liaison officer: declarations matching all its criteria and
    filed within its window are selected for inspection whatever their score."""

    __tablename__ = "targeting_tip"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64))  # the tip's own reference (case, SIENA message)
    source: Mapped[str] = mapped_column(String(100))  # who gave it
    summary: Mapped[str] = mapped_column(Text)
    hub: Mapped[str | None] = mapped_column(hub_code())
    container_number: Mapped[str | None] = mapped_column(String(11))
    vessel_imo: Mapped[str | None] = mapped_column(String(7))
    party_eori: Mapped[str | None] = mapped_column(String(17))
    place_of_loading: Mapped[str | None] = mapped_column(String(5))
    hs_prefix: Mapped[str | None] = mapped_column(String(10))
    window_from: Mapped[datetime]
    window_to: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    org_code: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None]
    close_note: Mapped[str | None] = mapped_column(Text)
