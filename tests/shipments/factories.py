"""Small builders for journey rows used across tests (direct inserts: tests of ingest go through ingest)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from mainport.shipments.models import Container, ContainerEvent, Declaration, Party

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def party(session: Session, eori: str, name: str = "Frutas SA", country: str = "EC") -> Party:
    p = Party(eori=eori, name=name, country=country, first_seen=T0)
    session.add(p)
    session.flush()
    return p


def journey(
    session: Session,
    number: str = "CSQU3054383",
    facility: str = "ECTDE",
    hub: str = "rotterdam",
    reference: str = "26NL0000000000001",
) -> Declaration:
    """A banana reefer from Guayaquil to Rotterdam: declaration, container and five events."""
    consignor = party(session, f"EC{reference[-6:]}1", "Exportadora Banano SA", "EC")
    consignee = party(session, f"NL{reference[-6:]}2", "Fruit Import BV", "NL")
    session.add(Container(number=number, size_type="45R1", first_seen=T0))
    decl = Declaration(
        reference=reference,
        filed_at=T0,
        bill_of_lading="MAEU123456789",
        consignor=consignor,
        consignee=consignee,
        carrier="MAEU",
        vessel_imo="9321483",
        voyage_number="2103N",
        place_of_loading="ECGYE",
        place_of_discharge="NLRTM",
        countries_of_routing=["EC", "PA", "NL"],
        hs_code="080390",
        goods_description="Fresh bananas",
        packages=1080,
        gross_mass_kg=23500.0,
        container_number=number,
        size_type="45R1",
        seal_numbers=["ML-1234567"],
        hub=hub,
        source="test",
    )
    session.add(decl)
    steps = [
        ("GTIN", "ECGYE", "CGSA"),
        ("LOAD", "ECGYE", "CGSA"),
        ("DISC", "NLRTM", facility),
        ("GTOT", "NLRTM", facility),
        ("DROP", "NLRTM", None),
    ]
    for i, (code, loc, fac) in enumerate(steps):
        at = T0 + timedelta(days=i * 4)
        session.add(
            ContainerEvent(
                event_id=str(uuid.uuid4()),
                event_type="EQUIPMENT",
                event_classifier="ACT",
                type_code=code,
                event_datetime=at,
                event_created_datetime=at,
                equipment_reference=number,
                unlocode=loc,
                facility_code=fac,
                seals=["ML-1234567"],
                hub=hub if loc == "NLRTM" else None,
                source="test",
                payload={},
            )
        )
    session.flush()
    return decl


def carried_by(session: Session, number: str, carrier: str, reference: str | None = None) -> Declaration:
    """A declaration naming `carrier` (SCAC) for container `number`: what ties a shipping line to a box."""
    reference = reference or f"26NL{carrier}{number}"[:40]
    consignor = party(session, f"EC{abs(hash(reference)) % 10**12:012d}", "Exportadora SA", "EC")
    consignee = party(session, f"NL{abs(hash(reference)) % 10**12:012d}", "Import BV", "NL")
    decl = Declaration(
        reference=reference,
        filed_at=T0,
        bill_of_lading=f"BL{number}",
        consignor=consignor,
        consignee=consignee,
        carrier=carrier,
        place_of_loading="ECGYE",
        place_of_discharge="NLRTM",
        countries_of_routing=["EC", "NL"],
        hs_code="080390",
        goods_description="Fresh bananas",
        packages=1000,
        gross_mass_kg=20000.0,
        container_number=number,
        seal_numbers=[],
        hub="rotterdam",
        source="test",
    )
    session.add(decl)
    session.flush()
    return decl
