"""Scans in the platform: ingest (store or quarantine), then compare and check what a new scan completes.

Services take keyword-only ``session`` and ``actor``, check ``imaging:read``/``imaging:write``, audit every
ingest, and never commit. The image store and settings default to ``get_settings()``; the API passes the
app's own. Comparison and the single-scan check live in :mod:`comparisons`, reads in :mod:`reads`; their
services are importable from here too (one entry point for the API, CLI, jobs and the demo).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.config import Settings
from mainport.errors import ValidationFailed
from mainport.identity.principal import Principal
from mainport.imaging import sites
from mainport.imaging.compare import CompareParams
from mainport.imaging.comparisons import (
    CRITICAL_SCORE,
    DECLARED_ALERT_THRESHOLD,
    DECLARED_SEVERITY,
    cargo_class,
    check_scan_declared,
    compare_scans,
    load_scan,
    params_version,
    pending_pairs,
)
from mainport.imaging.errors import ImagingError
from mainport.imaging.io import quarantine_scan, read_scan, sidecar_path
from mainport.imaging.reads import (
    ContainerScans,
    container_scans,
    get_comparison,
    get_scan,
    overlay_png,
    scan_preview_png,
)
from mainport.imaging.store import ImageStore, settings_and_store
from mainport.ingest import quarantine, runs
from mainport.ingest.records import RAW_LIMIT, Problem, Reconciliation
from mainport.shipments.models import Scan

__all__ = [
    "CRITICAL_SCORE",
    "DECLARED_ALERT_THRESHOLD",
    "DECLARED_SEVERITY",
    "SCAN_EXTENSIONS",
    "ContainerScans",
    "ScanIngest",
    "cargo_class",
    "check_scan_declared",
    "compare_scans",
    "container_scans",
    "get_comparison",
    "get_scan",
    "ingest_scan_file",
    "load_scan",
    "overlay_png",
    "params_version",
    "pending_pairs",
    "record_run",
    "scan_files",
    "scan_preview_png",
]

SCAN_EXTENSIONS = frozenset({".png", ".tif", ".tiff", ".npy", ".dcs", ".dcm", ".uff"})


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
    settings, store = settings_and_store(settings, store)
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
