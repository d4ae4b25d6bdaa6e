"""Comparison of stored origin/arrival pairs (alert above the pairing's threshold) and the single-scan
check of an arrival scan against its declaration.

Services take keyword-only ``session`` and ``actor``, check ``imaging:write``, audit every comparison and
check, and never commit. The image store and settings default to ``get_settings()``; the API passes the
app's own. The alert threshold of a pair is its scanner pairing's self-calibrated one
(:mod:`calibration`), the configured ``scan_alert_threshold`` until inspections confirm clean pairs.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.cases import service as cases
from mainport.cases.models import Alert
from mainport.config import Settings
from mainport.errors import NotFound, ValidationFailed
from mainport.identity.principal import Principal
from mainport.imaging import calibration, sites
from mainport.imaging.compare import CompareParams, compare
from mainport.imaging.declared import check_declared
from mainport.imaging.errors import ImagingError
from mainport.imaging.io import read_scan
from mainport.imaging.meta import ScanImage
from mainport.imaging.models import DeclaredCheck, ScanComparison
from mainport.imaging.overlay import render_overlay
from mainport.imaging.preview import png_bytes
from mainport.imaging.store import ImageStore, settings_and_store
from mainport.reference.hs import commodity_group
from mainport.shipments.models import Declaration, Scan

log = logging.getLogger(__name__)
# A scan the reader accepted can still break the numerics (an image of nothing but noise, a degenerate
# crop): such a pair is stored as failed with the reason, like a scan without a container, instead of
# failing the ingest that brought it (the traceback goes to the log).
NUMERIC_FAILURES = (ValueError, IndexError, ArithmeticError, np.linalg.LinAlgError)

# Comparison score from which the alert is critical (4) rather than high (3).
CRITICAL_SCORE = 0.9
# check_declared is an uncalibrated triage heuristic: alert only on a clear mismatch, at low severity.
DECLARED_ALERT_THRESHOLD = 0.7
DECLARED_SEVERITY = 2
# Declaration commodity group (reference.hs) -> the renderer's/check_declared's cargo classes; groups not
# listed are passed as they are and get check_declared's permissive default.
_CARGO_CLASS = {
    "fresh_fruit": "bananas",
    "frozen_food": "bananas",
    "cocoa": "cocoa",
    "coffee": "coffee",
    "tiles": "tiles",
    "machinery": "machinery",
}


def cargo_class(group: str) -> str:
    """The declaration's commodity group as the image analysis knows it (unknown groups pass through)."""
    return _CARGO_CLASS.get(group, group)


def params_version(params: CompareParams) -> str:
    """Short hash of the comparison parameters: a new calibration gives new comparisons, a re-run does not."""
    blob = json.dumps(asdict(params), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def pending_pairs(*, session: Session, scan_id: int) -> list[tuple[int, int]]:
    """(origin, arrival) pairs a new scan completes: an arrival pairs with the latest origin scan of the
    same container before it; an origin scan pairs with later arrivals whose latest earlier origin it is."""
    scan = session.get(Scan, scan_id)
    if scan is None:
        raise NotFound(f"scan {scan_id} not found")
    if scan.phase == "arrival":
        origin = _latest_origin(session, scan)
        return [] if origin is None else [(origin.id, scan.id)]
    later = session.scalars(
        select(Scan).where(
            Scan.container_number == scan.container_number,
            Scan.phase == "arrival",
            Scan.scanned_at > scan.scanned_at,
        )
    )
    pairs = []
    for arrival in later:
        origin = _latest_origin(session, arrival)
        if origin is not None and origin.id == scan.id:
            pairs.append((scan.id, arrival.id))
    return pairs


def _latest_origin(session: Session, arrival: Scan) -> Scan | None:
    return session.scalar(
        select(Scan)
        .where(
            Scan.container_number == arrival.container_number,
            Scan.phase == "origin",
            Scan.scanned_at < arrival.scanned_at,
        )
        .order_by(Scan.scanned_at.desc(), Scan.id.desc())
        .limit(1)
    )


def load_scan(store: ImageStore, scan: Scan) -> ScanImage:
    sidecar_uri = scan.meta.get("sidecar_uri")
    if sidecar_uri:
        store.open(sidecar_uri)  # a remote store fetches it next to the image (see store.py)
    return read_scan(store.open(scan.image_uri))


def _declaration(session: Session, container_number: str, before: Any) -> Declaration | None:
    query = select(Declaration).where(Declaration.container_number == container_number)
    found = session.scalar(
        query.where(Declaration.filed_at <= before).order_by(Declaration.filed_at.desc()).limit(1)
    )
    return found or session.scalar(query.order_by(Declaration.filed_at.desc()).limit(1))


def compare_scans(
    *,
    session: Session,
    actor: Principal,
    origin_scan_id: int,
    arrival_scan_id: int,
    settings: Settings | None = None,
    store: ImageStore | None = None,
    params: CompareParams | None = None,
) -> ScanComparison:
    """Compare a pair once per parameter version (a re-run returns the stored result); alert at or above
    the scanner pairing's threshold (:func:`calibration.alert_threshold`). A pair that cannot be compared
    is recorded as failed with the reason."""
    actor.require("imaging:write")
    settings, store = settings_and_store(settings, store)
    params = params or CompareParams()
    version = params_version(params)
    existing = session.scalar(
        select(ScanComparison).where(
            ScanComparison.origin_scan_id == origin_scan_id,
            ScanComparison.arrival_scan_id == arrival_scan_id,
            ScanComparison.params_version == version,
        )
    )
    if existing is not None:
        return existing
    origin, arrival = session.get(Scan, origin_scan_id), session.get(Scan, arrival_scan_id)
    if origin is None or arrival is None:
        raise NotFound(f"scan {origin_scan_id if origin is None else arrival_scan_id} not found")
    if origin.container_number != arrival.container_number:
        raise ValidationFailed("origin and arrival scans are of different containers")
    if (origin.phase, arrival.phase) != ("origin", "arrival"):
        raise ValidationFailed(f"need an origin and an arrival scan, got {origin.phase} and {arrival.phase}")
    row = ScanComparison(
        origin_scan_id=origin.id,
        arrival_scan_id=arrival.id,
        container_number=arrival.container_number,
        params_version=version,
    )
    try:
        result = compare(load_scan(store, origin), load_scan(store, arrival), params)
    except ImagingError as exc:
        row.status, row.error = "failed", str(exc)
    except NUMERIC_FAILURES as exc:
        log.exception("comparison of scans %s and %s failed", origin.id, arrival.id)
        reason = f"the comparison could not be computed ({type(exc).__name__}: {exc})"
        row.status, row.error = "failed", reason
    else:
        row.score, row.stat, row.flipped = float(result.score), float(result.stat), bool(result.flipped)
        row.regions = [r.to_json() for r in result.regions]
    if row.score is not None:  # judged against its scanner pairing's threshold (self-calibrated)
        row.alert_threshold, _n_clean = calibration.alert_threshold(
            session=session,
            origin_scanner=origin.scanner_id,
            arrival_scanner=arrival.scanner_id,
            params_version=version,
            default=settings.scan_alert_threshold,
        )
    session.add(row)
    session.flush()
    if row.status == "done":
        row.overlay_uri = store.put(
            png_bytes(render_overlay(result)),
            f"overlays/{row.container_number}/comparison-{row.id}-{version}.png",
        )
    audit.record(
        session=session,
        actor=actor,
        action="scan.compare",
        entity_type="scan_comparison",
        entity_id=str(row.id),
        detail={
            "origin": origin.id,
            "arrival": arrival.id,
            "status": row.status,
            "score": row.score,
            "alert_threshold": row.alert_threshold,
        },
    )
    if row.score is not None and row.alert_threshold is not None and row.score >= row.alert_threshold:
        row.alert_id = _raise_difference_alert(session, actor, row, arrival).id
    session.flush()
    return row


def _raise_difference_alert(session: Session, actor: Principal, row: ScanComparison, arrival: Scan) -> Alert:
    score = float(row.score or 0.0)
    top = row.regions[0] if row.regions else None
    what = f"; strongest {top['sign']} ~{top['mass_kg']:.0f} kg" if top else ""
    declaration = _declaration(session, row.container_number, arrival.scanned_at)
    return cases.raise_alert(
        session=session,
        actor=actor,
        source="imaging",
        kind="scan_difference",
        container_number=row.container_number,
        declaration_id=declaration.id if declaration else None,
        hub=sites.hub_of(arrival.unlocode),
        severity=4 if score >= CRITICAL_SCORE else 3,
        title=f"Origin and arrival scans of {row.container_number} differ (score {score:.2f}{what})",
        detail={
            "score": round(score, 4),
            "alert_threshold": round(float(row.alert_threshold or 0.0), 4),
            "regions": row.regions,
            "comparison_id": row.id,
            "url": f"/scans/{row.container_number}?comparison={row.id}",
        },
        dedup_key=f"comparison:{row.origin_scan_id}-{row.arrival_scan_id}",
    )


def check_scan_declared(
    *,
    session: Session,
    actor: Principal,
    scan_id: int,
    settings: Settings | None = None,
    store: ImageStore | None = None,
) -> DeclaredCheck | None:
    """check_declared of an arrival scan against its declaration's commodity; None while no declaration
    names the container (safe to re-run later). A clear mismatch raises a low-severity alert."""
    actor.require("imaging:write")
    _settings, store = settings_and_store(settings, store)
    existing = session.scalar(select(DeclaredCheck).where(DeclaredCheck.scan_id == scan_id))
    if existing is not None:
        return existing
    scan = session.get(Scan, scan_id)
    if scan is None:
        raise NotFound(f"scan {scan_id} not found")
    declaration = _declaration(session, scan.container_number, scan.scanned_at)
    if scan.phase != "arrival" or declaration is None:
        return None
    group = commodity_group(declaration.hs_code)
    commodity = cargo_class(group)
    regions: list[list[int]]
    try:
        result = check_declared(load_scan(store, scan), commodity)
    except ImagingError as exc:
        result_score, regions, reasons = 0.0, [], [f"not checked: {exc}"]
    except NUMERIC_FAILURES as exc:
        log.exception("declared check of scan %s failed", scan.id)
        result_score, regions, reasons = 0.0, [], [f"not checked: {type(exc).__name__}: {exc}"]
    else:
        result_score, regions, reasons = (
            float(result.score),
            [list(b) for b in result.regions],
            result.reasons,
        )
    row = DeclaredCheck(
        scan_id=scan.id,
        declaration_id=declaration.id,
        hs_code=declaration.hs_code,
        commodity=commodity[:32],
        score=result_score,
        regions=regions,
        reasons=list(reasons),
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="scan.check_declared",
        entity_type="scan_declared_check",
        entity_id=str(row.id),
        detail={"scan": scan.id, "commodity": commodity, "score": round(result_score, 4)},
    )
    if result_score >= DECLARED_ALERT_THRESHOLD:
        alert = cases.raise_alert(
            session=session,
            actor=actor,
            source="imaging",
            kind="scan_declared_mismatch",
            container_number=scan.container_number,
            declaration_id=declaration.id,
            hub=sites.hub_of(scan.unlocode),
            severity=DECLARED_SEVERITY,
            title=f"Arrival scan of {scan.container_number} does not look like declared {commodity}",
            detail={
                "score": round(result_score, 4),
                "reasons": row.reasons,
                "scan_id": scan.id,
                "url": f"/scans/{scan.container_number}",
            },
            dedup_key=f"declared:{scan.id}",
        )
        row.alert_id = alert.id
        session.flush()
    return row
