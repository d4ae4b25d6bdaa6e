"""Reads of scans, comparisons and their images (``imaging:read``; reads of a container's scans and of a
comparison are audited, image fetches are not: see :func:`scan_preview_png`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.config import Settings
from mainport.errors import NotFound, ValidationFailed
from mainport.identity.principal import Principal
from mainport.imaging.comparisons import load_scan
from mainport.imaging.errors import ImagingError
from mainport.imaging.models import DeclaredCheck, ScanComparison
from mainport.imaging.preview import png_bytes, preview_array
from mainport.imaging.store import ImageStore, settings_and_store
from mainport.shipments.models import Scan


def get_scan(*, session: Session, actor: Principal, scan_id: int) -> Scan:
    actor.require("imaging:read")
    scan = session.get(Scan, scan_id)
    if scan is None:
        raise NotFound(f"scan {scan_id} not found")
    return scan


@dataclass
class ContainerScans:
    container_number: str
    scans: list[Scan]
    comparisons: list[ScanComparison]
    checks: list[DeclaredCheck]


def container_scans(*, session: Session, actor: Principal, container_number: str) -> ContainerScans:
    """Every scan of a container (oldest first), its comparisons (newest first) and declared checks."""
    actor.require("imaging:read")
    number = container_number.strip().upper()
    scans = list(
        session.scalars(
            select(Scan).where(Scan.container_number == number).order_by(Scan.scanned_at, Scan.id)
        )
    )
    comparisons = list(
        session.scalars(
            select(ScanComparison)
            .where(ScanComparison.container_number == number)
            .order_by(ScanComparison.created_at.desc(), ScanComparison.id.desc())
        )
    )
    ids = [s.id for s in scans]
    checks = list(session.scalars(select(DeclaredCheck).where(DeclaredCheck.scan_id.in_(ids)))) if ids else []
    audit.record(
        session=session,
        actor=actor,
        action="scan.list",
        entity_type="container",
        entity_id=number,
        detail={"scans": len(scans), "comparisons": len(comparisons)},
    )
    return ContainerScans(number, scans, comparisons, checks)


def get_comparison(*, session: Session, actor: Principal, comparison_id: int) -> ScanComparison:
    actor.require("imaging:read")
    row = session.get(ScanComparison, comparison_id)
    if row is None:
        raise NotFound(f"comparison {comparison_id} not found")
    audit.record(
        session=session,
        actor=actor,
        action="scan.comparison.read",
        entity_type="scan_comparison",
        entity_id=str(row.id),
        detail={"container": row.container_number},
    )
    return row


def scan_preview_png(
    *,
    session: Session,
    actor: Principal,
    scan_id: int,
    settings: Settings | None = None,
    store: ImageStore | None = None,
) -> bytes:
    """8-bit display PNG of a stored scan (made once, kept in the store).

    Image fetches are not audited one by one: the page and API reads of the container's scans and of the
    comparison are, and a browser fetches three images at once (three audit writers would contend on SQLite).
    """
    actor.require("imaging:read")
    _settings, store = settings_and_store(settings, store)
    scan = get_scan(session=session, actor=actor, scan_id=scan_id)
    uri = f"{store.scheme}://previews/{scan.container_number}/scan-{scan.id}.png"
    if not store.exists(uri):
        try:
            img = preview_array(load_scan(store, scan))
        except ImagingError as exc:
            raise ValidationFailed(f"scan {scan.id} cannot be rendered: {exc}") from None
        uri = store.put(png_bytes(img), uri.split("://", 1)[1])
    return store.read_bytes(uri)


def overlay_png(
    *,
    session: Session,
    actor: Principal,
    comparison_id: int,
    settings: Settings | None = None,
    store: ImageStore | None = None,
) -> bytes:
    actor.require("imaging:read")
    _settings, store = settings_and_store(settings, store)
    row = session.get(ScanComparison, comparison_id)
    if row is None:
        raise NotFound(f"comparison {comparison_id} not found")
    if row.overlay_uri is None:
        raise NotFound(f"comparison {comparison_id} has no overlay ({row.status}: {row.error})")
    return store.read_bytes(row.overlay_uri)
