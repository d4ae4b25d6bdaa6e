"""Helpers for the platform tests: write rendered scans to disk, make a declaration for a container."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from mainport.database import utcnow
from mainport.imaging import ScanImage, write_scan
from mainport.shipments.models import Declaration, Party


def write(scan: ScanImage, folder: Path, name: str, fmt: str = "npy") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_scan(scan, folder / f"{name}.{fmt}")


def with_scanner(scan: ScanImage, scanner_id: str) -> ScanImage:
    return ScanImage(scan.pixels, replace(scan.meta, scanner_id=scanner_id), dict(scan.extra))


def declare(session: Session, container_number: str, hs_code: str, reference: str = "MRN-T-1") -> Declaration:
    party = Party(eori=f"NL{reference[-8:]:0>8}", name="Test trader", country="NL", first_seen=utcnow())
    session.add(party)
    session.flush()
    decl = Declaration(
        reference=reference,
        filed_at=utcnow() - timedelta(days=400),  # before any rendered scan time
        bill_of_lading="BL1",
        consignor_id=party.id,
        consignee_id=party.id,
        place_of_loading="ECGYE",
        place_of_discharge="NLRTM",
        countries_of_routing=["EC", "NL"],
        hs_code=hs_code,
        goods_description="test goods",
        packages=10,
        gross_mass_kg=10000.0,
        container_number=container_number,
        seal_numbers=[],
        hub="rotterdam",
        source="test",
    )
    session.add(decl)
    session.flush()
    return decl
