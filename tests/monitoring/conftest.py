"""Seed operational rows (declarations, events, scans, inspections, seizures, alerts) for monitoring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from mainport.cases.models import Alert, Case
from mainport.shipments.models import ContainerEvent, Declaration, Inspection, Party, Scan, Seizure

START = datetime(2026, 7, 6, 10, tzinfo=UTC)  # a Monday in 2026-Q3


def seed_monitoring(session: Session, start: datetime = START, days: int = 28) -> dict[str, int]:
    """A small, known set of rows: counts are asserted in the tests."""
    shipper = Party(eori="NL000000001", name="Fruit BV", country="NL", first_seen=start)
    buyer = Party(eori="NL000000002", name="Buyer BV", country="NL", first_seen=start)
    session.add_all([shipper, buyer])
    session.flush()
    n = 0
    for day in range(days):
        at = start + timedelta(days=day)
        for hub, unlocode in (("rotterdam", "NLRTM"), ("zeeland_west_brabant", "NLVLI")):
            n += 1
            number = f"MSCU{n:06d}0"
            session.add(
                Declaration(
                    reference=f"ENS{n:08d}",
                    filed_at=at,
                    bill_of_lading=f"BL{n}",
                    consignor_id=shipper.id,
                    consignee_id=buyer.id,
                    place_of_loading="ECGYE",
                    place_of_discharge=unlocode,
                    countries_of_routing=["EC", "NL"],
                    hs_code="080390",
                    goods_description="bananas",
                    packages=1,
                    gross_mass_kg=20000.0,
                    seal_numbers=[],
                    hub=hub,
                    source="test",
                    container_number=number,
                )
            )
            session.add(
                ContainerEvent(
                    event_id=f"ev{n}",
                    event_type="EQUIPMENT",
                    event_classifier="ACT",
                    type_code="DISC",
                    event_datetime=at,
                    event_created_datetime=at,
                    equipment_reference=number,
                    unlocode=unlocode,
                    seals=[],
                    hub=hub,
                    source="test",
                    payload={},
                )
            )
            session.add(
                Scan(
                    container_number=number,
                    scanner_id="S1",
                    unlocode=unlocode,
                    phase="arrival",
                    scanned_at=at,
                    image_uri="mem://x",
                    meta={},
                )
            )
            found = day % 7 == 0
            insp = Inspection(
                container_number=number,
                hub=hub,
                kind="physical",
                inspected_at=at,
                result="found" if found else "not_found",
                kg_found=0.0,
                recorded_by="test",
            )
            session.add(insp)
            session.flush()
            if found:
                kg = 1500.0 if hub == "rotterdam" else 40.0
                session.add(
                    Seizure(
                        inspection_id=insp.id,
                        hub=hub,
                        seized_at=at,
                        kg=kg,
                        modus_operandi="reefer_unit" if hub == "rotterdam" else "rip_on",
                        container_number=number,
                    )
                )
    case = Case(title="reefer find", hub="rotterdam", opened_by="test", opened_at=start + timedelta(hours=5))
    session.add(case)
    session.flush()
    session.add_all(
        [
            Alert(
                source="targeting",
                kind="risk",
                hub="rotterdam",
                title="a",
                dedup_key="a",
                status="linked",
                case_id=case.id,
                raised_at=start + timedelta(hours=1),
                updated_at=start + timedelta(hours=5),
            ),
            Alert(
                source="seal",
                kind="seal_broken",
                hub="rotterdam",
                title="b",
                dedup_key="b",
                status="dismissed",
                raised_at=start,
                updated_at=start + timedelta(hours=2),
            ),
            Alert(
                source="custody",
                kind="off_plan",
                hub="zeeland_west_brabant",
                title="c",
                dedup_key="c",
                status="new",
                raised_at=start,
                updated_at=start,
            ),
        ]
    )
    session.flush()
    return {"per_hub_days": days, "finds_per_hub": len(range(0, days, 7))}


@pytest.fixture
def seeded(session: Session) -> dict[str, int]:
    return seed_monitoring(session)
