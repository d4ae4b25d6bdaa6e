"""Scans in the platform: ingest (store or quarantine), origin/arrival comparison with alerts, and reads.

Services take keyword-only ``session`` and ``actor``, check ``imaging:read``/``imaging:write``, audit every
ingest, comparison and read of a comparison or image, and never commit. The image store and settings
default to ``get_settings()``; the API passes the app's own.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.cases import service as cases
from mainport.cases.models import Alert
from mainport.config import Settings, get_settings
from mainport.errors import NotFound, ValidationFailed
from mainport.identity.principal import Principal
from mainport.imaging import sites
from mainport.imaging.compare import CompareParams, compare
from mainport.imaging.declared import check_declared
from mainport.imaging.errors import ImagingError
from mainport.imaging.io import quarantine_scan, read_scan, sidecar_path
from mainport.imaging.meta import ScanImage
from mainport.imaging.models import DeclaredCheck, ScanComparison
from mainport.imaging.overlay import render_overlay
from mainport.imaging.preview import png_bytes, preview_array
from mainport.imaging.store import ImageStore, image_store
from mainport.ingest import quarantine, runs
from mainport.ingest.records import RAW_LIMIT, Problem, Reconciliation
from mainport.reference.hs import commodity_group
from mainport.shipments.models import Declaration, Scan

SCAN_EXTENSIONS = frozenset({".png", ".tif", ".tiff", ".npy", ".dcs", ".dcm", ".uff"})
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


def _settings_store(settings: Settings | None, store: ImageStore | None) -> tuple[Settings, ImageStore]:
    settings = settings or get_settings()
    return settings, store or image_store(settings)


# --------------------------------------------------------------------------------------------- ingest


@dataclass
class ScanIngest:
    """What one ingest did: the reconciliation plus the rows it made (for the caller to link to)."""

    recon: Reconciliation
    scan_ids: list[int] = field(default_factory=list)
    comparison_ids: list[int] = field(default_factory=list)
    alert_ids: list[int] = field(default_factory=list)

    def add(self, other: ScanIngest) -> None:
        self.recon.add(other.recon)
        self.scan_ids += other.scan_ids
        self.comparison_ids += other.comparison_ids
        self.alert_ids += other.alert_ids

    def summary(self) -> dict[str, Any]:
        return {
            **self.recon.summary(),
            "scan_ids": self.scan_ids,
            "comparison_ids": self.comparison_ids,
            "alert_ids": self.alert_ids,
        }


def scan_files(path: Path) -> list[Path]:
    """The scan files under a folder (sidecars and other files skipped), in name order; a file as itself."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ValidationFailed(f"{path} is neither a file nor a folder")
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SCAN_EXTENSIONS)


def _sidecar_text(path: Path) -> str | None:
    side = sidecar_path(path)
    if side == path or not side.is_file():
        return None
    return side.read_bytes()[:RAW_LIMIT].decode("utf-8", errors="replace")


def _quarantine(
    session: Session, actor: Principal, settings: Settings, path: Path, source: str, reason: str
) -> int:
    sidecar = _sidecar_text(path)
    size = path.stat().st_size if path.exists() else 0
    folder = quarantine_scan(path, reason, settings.data_dir / "quarantine" / "scans")
    raw = json.dumps({"file": path.name, "bytes": size, "quarantined_to": str(folder), "sidecar": sidecar})
    record_id = quarantine.keep_one(
        session=session, kind="scan", source=source, locator=path.name, raw=raw, raw_size=size, reason=reason
    )
    audit.record(
        session=session,
        actor=actor,
        action="scan.quarantine",
        entity_type="quarantined_record",
        entity_id=str(record_id),
        detail={"file": path.name, "reason": reason, "folder": str(folder)},
    )
    return record_id


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)[:64] or "_"


def ingest_scan_file(
    *,
    session: Session,
    actor: Principal,
    path: Path | str,
    phase: str | None = None,
    source: str | None = None,
    settings: Settings | None = None,
    store: ImageStore | None = None,
    params: CompareParams | None = None,
) -> ScanIngest:
    """Read one scan file: a bad one is quarantined (row + file moved), a good one stored + compared.

    Duplicates (same container, scanner and scan time) are counted and left where they are.
    """
    actor.require("imaging:write")
    if phase is not None and phase not in sites.PHASES:
        raise ValidationFailed(f"phase must be origin or arrival, got {phase!r}")
    settings, store = _settings_store(settings, store)
    path = Path(path)
    source = source or str(path)
    result = ScanIngest(Reconciliation(kind="scan", source=source, received=1))
    try:
        scan = read_scan(path)
        sidecar = _sidecar_dict(path)
        unlocode = sites.scan_location(scan.meta.scanner_id, sidecar)
        scan_phase = sites.scan_phase(phase, sidecar, unlocode)
    except (ImagingError, sites.SiteUnknown, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
        qid = _quarantine(session, actor, settings, path, source, reason)
        result.recon.quarantined = 1
        result.recon.problems.append(Problem(path.name, reason, qid))
        return result
    meta = scan.meta
    duplicate = session.scalar(
        select(Scan.id).where(
            Scan.container_number == meta.container_id,
            Scan.scanner_id == meta.scanner_id,
            Scan.scanned_at == meta.scan_time,
        )
    )
    if duplicate is not None:
        result.recon.duplicates = 1
        return result
    stem = f"scans/{meta.container_id}/{meta.scan_time.strftime('%Y%m%dT%H%M%S%fZ')}-{_safe(meta.scanner_id)}"
    image_uri = store.put(path, stem + path.suffix.lower())
    side = sidecar_path(path)
    sidecar_uri = store.put(side, stem + ".json") if side != path and side.is_file() else None
    row = Scan(
        container_number=meta.container_id,
        scanner_id=meta.scanner_id[:64],
        unlocode=unlocode,
        phase=scan_phase,
        scanned_at=meta.scan_time,
        image_uri=image_uri,
        meta={
            **meta.to_json(),
            "shape": list(scan.shape),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "file": path.name,
            "sidecar_uri": sidecar_uri,
            "source": source,
        },
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="scan.ingest",
        entity_type="scan",
        entity_id=str(row.id),
        detail={
            "container": row.container_number,
            "phase": scan_phase,
            "unlocode": unlocode,
            "file": path.name,
        },
    )
    result.recon.stored = 1
    result.scan_ids.append(row.id)
    for origin_id, arrival_id in pending_pairs(session=session, scan_id=row.id):
        cmp = compare_scans(
            session=session,
            actor=actor,
            origin_scan_id=origin_id,
            arrival_scan_id=arrival_id,
            settings=settings,
            store=store,
            params=params,
        )
        result.comparison_ids.append(cmp.id)
        if cmp.alert_id is not None:
            result.alert_ids.append(cmp.alert_id)
    if scan_phase == "arrival":
        check = check_scan_declared(
            session=session, actor=actor, scan_id=row.id, settings=settings, store=store
        )
        if check is not None and check.alert_id is not None:
            result.alert_ids.append(check.alert_id)
    return result


def _sidecar_dict(path: Path) -> dict[str, Any]:
    text = _sidecar_text(path)
    if text is None:
        return {}
    data = json.loads(text)  # read_scan has parsed it already; a broken one never gets here
    return data if isinstance(data, dict) else {}


def record_run(*, session: Session, actor: Principal, result: ScanIngest) -> int:
    """An IngestRun row with the reconciliation (received = stored + duplicates + quarantined)."""
    actor.require("imaging:write")
    recon = result.recon
    recon.check()
    summary = result.summary()
    run_id = runs.record_finished(
        session=session, kind="scan", source=recon.source, actor=actor.username, recon=recon, summary=summary
    )
    recon.run_id = run_id
    audit.record(
        session=session,
        actor=actor,
        action="ingest.scan",
        entity_type="ingest_run",
        entity_id=str(run_id),
        detail={k: summary[k] for k in ("received", "stored", "duplicates", "quarantined")},
    )
    return run_id


# ----------------------------------------------------------------------------------------- comparison


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
    """Compare a pair once per parameter version (a re-run returns the stored result); alert above the
    configured threshold. A pair that cannot be compared is recorded as failed with the reason."""
    actor.require("imaging:write")
    settings, store = _settings_store(settings, store)
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
    else:
        row.score, row.stat, row.flipped = float(result.score), float(result.stat), bool(result.flipped)
        row.regions = [r.to_json() for r in result.regions]
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
        detail={"origin": origin.id, "arrival": arrival.id, "status": row.status, "score": row.score},
    )
    if row.score is not None and row.score >= settings.scan_alert_threshold:
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
    _settings, store = _settings_store(settings, store)
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
    try:
        result = check_declared(load_scan(store, scan), commodity)
    except ImagingError as exc:
        result_score, regions, reasons = 0.0, [], [f"not checked: {exc}"]
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


# ---------------------------------------------------------------------------------------------- reads


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
    _settings, store = _settings_store(settings, store)
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
    _settings, store = _settings_store(settings, store)
    row = session.get(ScanComparison, comparison_id)
    if row is None:
        raise NotFound(f"comparison {comparison_id} not found")
    if row.overlay_uri is None:
        raise NotFound(f"comparison {comparison_id} has no overlay ({row.status}: {row.error})")
    return store.read_bytes(row.overlay_uri)
