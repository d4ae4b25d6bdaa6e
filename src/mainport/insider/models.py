from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mainport.database import Base, utcnow
from mainport.database.columns import hub_code
from mainport.shipments.models import BigId


class StaffLookup(Base):
    """One look-up of container data by a member of staff (terminal, handler, haulier): an access-log line.

    `key` identifies the look-up (time, user, organisation, hub, kind, container, object): the same line
    received twice is stored once.
    """

    __tablename__ = "staff_lookup"
    __table_args__ = (
        Index("ix_staff_lookup_username_at", "username", "at"),
        Index("ix_staff_lookup_container_at", "container_number", "at"),
        Index("ix_staff_lookup_hub_at", "hub", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)  # SHA-1 of the identifying fields
    at: Mapped[datetime]
    username: Mapped[str] = mapped_column(String(64))
    org_code: Mapped[str] = mapped_column(String(32))  # the user's employer (terminal, handler, haulier)
    hub: Mapped[str] = mapped_column(hub_code())  # node code
    unlocode: Mapped[str | None] = mapped_column(String(5))
    facility_code: Mapped[str | None] = mapped_column(String(16))
    container_number: Mapped[str | None] = mapped_column(String(11))
    kind: Mapped[str] = mapped_column(String(16))  # status | position | release_code | gate_entry | ...
    object: Mapped[str | None] = mapped_column(String(100))  # e.g. the flight of a baggage look-up
    # Where the look-up came from, when the system logs it: the workstation or phone, and the site or network.
    device: Mapped[str | None] = mapped_column(String(64))
    place: Mapped[str | None] = mapped_column(String(64))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_run.id"))
    source: Mapped[str] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class InsiderScore(Base):
    """One person's insider-risk score from the last ranking run (`insider.ranking.run_ranking`): the ranked
    list, its evidence (signals in words) and the flag targeting reads ("looked up by a flagged insider").
    Replaced by every run; a person no longer in the look-ups drops out."""

    __tablename__ = "insider_score"
    __table_args__ = (Index("ix_insider_score_flagged", "flagged", "username"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    org_code: Mapped[str] = mapped_column(String(32))
    hub: Mapped[str] = mapped_column(hub_code())
    lookups: Mapped[int]
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int]
    flagged: Mapped[bool] = mapped_column(default=False)  # score over the alert threshold
    evidence: Mapped[list[Any]] = mapped_column(default=list)  # [{signal, observed, expected, text}]
    window_from: Mapped[datetime]
    window_to: Mapped[datetime]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
