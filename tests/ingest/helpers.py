"""Builders of good records for the ingest tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mainport.reference.containers import make_container_number

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def event(i: int, **over: Any) -> dict[str, Any]:
    at = T0 + timedelta(hours=i)
    ev: dict[str, Any] = {
        "eventID": f"ev-{i}",
        "eventCreatedDateTime": (at + timedelta(minutes=5)).isoformat(),
        "eventType": "EQUIPMENT",
        "eventClassifierCode": "ACT",
        "eventDateTime": at.isoformat(),
        "equipmentEventTypeCode": "DISC",
        "equipmentReference": make_container_number("MSC", 1000 + i),
        "emptyIndicatorCode": "LADEN",
        "eventLocation": {"UNLocationCode": "NLRTM", "facilityCode": "ECTDE"},
        "transportCall": {
            "transportCallID": "tc-1",
            "modeOfTransport": "VESSEL",
            "UNLocationCode": "NLRTM",
            "importVoyageNumber": "101N",
            "vessel": {"vesselIMONumber": "9321483"},
        },
        "seals": [{"sealNumber": f"SL{i}", "sealType": "BLT"}],
    }
    ev.update(over)
    return ev


def declaration(i: int, **over: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "reference": f"24NL{i:014d}",
        "filed_at": "2024-03-01T08:00:00+00:00",
        "amended_at": "",
        "amendments": 0,
        "bill_of_lading": f"BL{i}",
        "consignor_eori": "EC1234567",
        "consignor_name": "Frutas SA",
        "consignor_country": "EC",
        "consignee_eori": "NL123456789",
        "consignee_name": "Import BV",
        "consignee_country": "NL",
        "carrier": "MSCU",
        "vessel_imo": "9321483",
        "voyage_number": "101N",
        "mode": "sea",
        "place_of_loading": "ECGYE",
        "place_of_discharge": "NLRTM",
        "place_of_delivery": "",
        "countries_of_routing": ["EC", "PA", "NL"],
        "hs_code": "080390",
        "goods_description": "bananas",
        "packages": 1080,
        "package_type": "CT",
        "gross_mass_kg": 21000,
        "container_number": make_container_number("MSC", 5000 + i),
        "size_type": "45R1",
        "seal_numbers": ["S1"],
    }
    d.update(over)
    return d
