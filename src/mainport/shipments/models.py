from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mainport.database import Base, utcnow
from mainport.database.columns import hub_code

# BigInteger ids on PostgreSQL for the high-volume tables, plain INTEGER (rowid) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Party(Base):
    """A consignor, consignee, notify party, declarant or forwarder, keyed by its EORI-like id."""

    __tablename__ = "party"

    id: Mapped[int] = mapped_column(primary_key=True)
    eori: Mapped[str] = mapped_column(String(17), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    first_seen: Mapped[datetime]


class Vessel(Base):
    __tablename__ = "vessel"

    id: Mapped[int] = mapped_column(primary_key=True)
    imo: Mapped[str] = mapped_column(String(7), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    flag: Mapped[str | None] = mapped_column(String(2))


class Voyage(Base):
    __tablename__ = "voyage"
    __table_args__ = (UniqueConstraint("vessel_id", "voyage_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessel.id"), index=True)
    voyage_number: Mapped[str] = mapped_column(String(50))
    carrier: Mapped[str | None] = mapped_column(String(4))  # SCAC

    vessel: Mapped[Vessel] = relationship()
    calls: Mapped[list[TransportCall]] = relationship(
        back_populates="voyage", order_by="TransportCall.sequence"
    )


class TransportCall(Base):
    """A voyage's call at a port (UN/LOCODE) and terminal; arrival/departure as seen in events."""

    __tablename__ = "transport_call"
    __table_args__ = (UniqueConstraint("voyage_id", "unlocode", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    voyage_id: Mapped[int] = mapped_column(ForeignKey("voyage.id"), index=True)
    unlocode: Mapped[str] = mapped_column(String(5))
    facility_code: Mapped[str | None] = mapped_column(String(16))
    sequence: Mapped[int] = mapped_column(default=1)
    arrived_at: Mapped[datetime | None]
    departed_at: Mapped[datetime | None]

    voyage: Mapped[Voyage] = relationship(back_populates="calls")


class Container(Base):
    __tablename__ = "container"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(11), unique=True)  # ISO 6346, check digit verified
    size_type: Mapped[str | None] = mapped_column(String(4))  # ISO 6346 size-type code, e.g. 45R1
    shipper_owned: Mapped[bool] = mapped_column(default=False)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)


class Declaration(Base):
    """An ICS2-style entry summary declaration (one goods item, one container: see docs/data-model.md)."""

    __tablename__ = "declaration"
    __table_args__ = (
        Index("ix_declaration_hub_filed", "hub", "filed_at"),
        Index("ix_declaration_container_number", "container_number"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)  # ENS MRN / house-level reference
    filed_at: Mapped[datetime] = mapped_column(index=True)
    amended_at: Mapped[datetime | None]
    amendments: Mapped[int] = mapped_column(default=0)
    bill_of_lading: Mapped[str] = mapped_column(String(40))
    consignor_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    consignee_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    notify_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))
    declarant_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))
    carrier: Mapped[str | None] = mapped_column(String(4))
    vessel_imo: Mapped[str | None] = mapped_column(String(7))
    voyage_number: Mapped[str | None] = mapped_column(String(50))
    mode: Mapped[str] = mapped_column(String(8), default="sea")  # sea | air | road
    place_of_loading: Mapped[str] = mapped_column(String(5))
    place_of_discharge: Mapped[str] = mapped_column(String(5))
    place_of_delivery: Mapped[str | None] = mapped_column(String(5))
    countries_of_routing: Mapped[list[str]]
    hs_code: Mapped[str] = mapped_column(String(6), index=True)
    goods_description: Mapped[str] = mapped_column(Text)
    packages: Mapped[int]
    package_type: Mapped[str | None] = mapped_column(String(4))
    gross_mass_kg: Mapped[float] = mapped_column(Float)
    container_number: Mapped[str | None] = mapped_column(String(11))
    size_type: Mapped[str | None] = mapped_column(String(4))
    seal_numbers: Mapped[list[str]]
    # The Dutch hub (node code) the declaration is lodged for, derived from the place of discharge.
    hub: Mapped[str | None] = mapped_column(hub_code())
    source: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    consignor: Mapped[Party] = relationship(foreign_keys=[consignor_id])
    consignee: Mapped[Party] = relationship(foreign_keys=[consignee_id])
    notify: Mapped[Party | None] = relationship(foreign_keys=[notify_id])
    declarant: Mapped[Party | None] = relationship(foreign_keys=[declarant_id])


class ContainerEvent(Base):
    """A DCSA Track & Trace event (equipment, transport, shipment or IoT), as received."""

    __tablename__ = "container_event"
    __table_args__ = (
        Index("ix_container_event_equipment_time", "equipment_reference", "event_datetime"),
        Index("ix_container_event_hub_time", "hub", "event_datetime"),
        Index("ix_container_event_vessel_voyage", "vessel_imo", "voyage_number"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), unique=True)  # DCSA eventID
    event_type: Mapped[str] = mapped_column(String(16))  # EQUIPMENT | TRANSPORT | SHIPMENT | IOT
    event_classifier: Mapped[str] = mapped_column(String(3))  # ACT | PLN | EST | REQ
    type_code: Mapped[str] = mapped_column(String(4))  # LOAD, DISC, GTIN, ARRI, DRO, ...
    event_datetime: Mapped[datetime]
    event_created_datetime: Mapped[datetime]
    equipment_reference: Mapped[str | None] = mapped_column(String(11))
    empty_indicator: Mapped[str | None] = mapped_column(String(7))
    unlocode: Mapped[str | None] = mapped_column(String(5))
    facility_code: Mapped[str | None] = mapped_column(String(16))
    vessel_imo: Mapped[str | None] = mapped_column(String(7))
    voyage_number: Mapped[str | None] = mapped_column(String(50))
    seals: Mapped[list[str]]
    hub: Mapped[str | None] = mapped_column(hub_code())
    source: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Scan(Base):
    """An X-ray scan of a container: at the origin port or on arrival; the image lives in the image store."""

    __tablename__ = "scan"

    id: Mapped[int] = mapped_column(primary_key=True)
    container_number: Mapped[str] = mapped_column(String(11), index=True)
    scanner_id: Mapped[str] = mapped_column(String(64))
    unlocode: Mapped[str] = mapped_column(String(5))
    phase: Mapped[str] = mapped_column(String(8))  # origin | arrival
    scanned_at: Mapped[datetime]
    image_uri: Mapped[str] = mapped_column(String(500))
    meta: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Inspection(Base):
    """A scan or physical inspection by customs and its outcome."""

    __tablename__ = "inspection"

    id: Mapped[int] = mapped_column(primary_key=True)
    container_number: Mapped[str | None] = mapped_column(String(11), index=True)
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declaration.id"), index=True)
    hub: Mapped[str | None] = mapped_column(hub_code())
    kind: Mapped[str] = mapped_column(String(16))  # scan | physical
    inspected_at: Mapped[datetime]
    result: Mapped[str] = mapped_column(String(16))  # found | not_found | pending
    kg_found: Mapped[float] = mapped_column(Float, default=0.0)
    recorded_by: Mapped[str] = mapped_column(String(64))
    notes: Mapped[str] = mapped_column(Text, default="")


class Seizure(Base):
    __tablename__ = "seizure"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"))
    hub: Mapped[str] = mapped_column(hub_code(), index=True)
    seized_at: Mapped[datetime] = mapped_column(index=True)
    drug: Mapped[str] = mapped_column(String(32), default="cocaine")
    kg: Mapped[float] = mapped_column(Float)
    modus_operandi: Mapped[str | None] = mapped_column(String(32))  # rip_on, cargo, reefer_unit, ...
    container_number: Mapped[str | None] = mapped_column(String(11))
