from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
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
