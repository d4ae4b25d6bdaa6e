"""Put a small synthetic flow into the database (parties, containers, declarations, events)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from mainport.reference.containers import make_container_number
from mainport.shipments.models import Container, ContainerEvent, Declaration, Party
from mainport.targeting.synthetic import generate


def seed_flow(session: Session, *, n: int = 120, day: datetime | None = None, seed: int = 3) -> list[int]:
    """``n`` declarations for rotterdam filed on ``day`` (default today); returns their database ids."""
    day = day or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    flow = generate(n, days=1, seed=seed, start=day)
    parties = {}
    for row in flow.parties.itertuples():
        p = Party(
            eori=f"NL{seed:03d}{row.party_id:09d}",
            name=f"Party {row.party_id}",
            country=row.country,
            first_seen=row.first_seen.floor("s").to_pydatetime(),
        )
        session.add(p)
        parties[row.party_id] = p
    session.flush()
    ids = []
    for i, row in enumerate(flow.declarations.itertuples()):
        number = make_container_number("MSK", seed * 10_000 + i)
        session.add(Container(number=number, size_type=row.size_type, shipper_owned=bool(row.shipper_owned)))
        filed = min(row.filed_at.floor("s").to_pydatetime(), day + timedelta(hours=23))
        d = Declaration(
            reference=f"ENS{seed:02d}{i:06d}",
            filed_at=filed,
            bill_of_lading=f"BL{i}",
            consignor_id=parties[row.consignor_id].id,
            consignee_id=parties[row.consignee_id].id,
            notify_id=parties[row.notify_id].id,
            carrier=row.carrier,
            vessel_imo=row.vessel_imo,
            voyage_number="123W",
            place_of_loading=row.place_of_loading,
            place_of_discharge="NLRTM",
            place_of_delivery="NLRTM",
            countries_of_routing=list(row.countries_of_routing),
            hs_code=row.hs_code,
            goods_description=row.goods_description,
            packages=int(row.packages),
            gross_mass_kg=float(row.gross_mass_kg),
            container_number=number,
            size_type=row.size_type,
            seal_numbers=["S1"],
            hub="rotterdam",
            amendments=int(row.amendments),
            source="test",
        )
        session.add(d)
        session.flush()
        ids.append(d.id)
        load_at = filed - timedelta(days=10) if i % 5 == 0 else filed + timedelta(days=1)  # some filed late
        for k, (code, at, seals) in enumerate(
            [
                ("GTIN", filed - timedelta(days=12), ["S1"]),
                ("LOAD", load_at, ["S2"] if i % 7 == 0 else ["S1"]),
            ]
        ):
            session.add(
                ContainerEvent(
                    event_id=f"ev-{seed}-{i}-{k}",
                    event_type="EQUIPMENT",
                    event_classifier="ACT",
                    type_code=code,
                    event_datetime=at,
                    event_created_datetime=at,
                    equipment_reference=number,
                    unlocode=row.place_of_loading,
                    seals=seals,
                    source="test",
                    payload={},
                )
            )
    session.flush()
    return ids
