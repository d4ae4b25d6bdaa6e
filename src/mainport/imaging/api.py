"""Scans over HTTP: a container's scans and comparisons, display images, upload of a scan file."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.config import Settings
from mainport.errors import ValidationFailed
from mainport.imaging import calibration, service
from mainport.imaging.schemas import (
    CalibrationOut,
    ComparisonOut,
    ContainerScansOut,
    DeclaredCheckOut,
    OutcomeIn,
    OutcomeOut,
    ScanOut,
)
from mainport.imaging.store import ImageStore, image_store

router = APIRouter(prefix="/scans", tags=["imaging"])
MAX_UPLOAD_BYTES = 512 * 1024 * 1024  # a 40 ft 16-bit scan is ~10-50 MB; DICOS with extras stays well below
_PNG_HEADERS = {"Cache-Control": "private, no-store"}


def _platform(request: Request) -> tuple[Settings, ImageStore]:
    settings: Settings = request.app.state.settings
    return settings, image_store(settings)


def _png(data: bytes) -> Response:
    return Response(data, media_type="image/png", headers=_PNG_HEADERS)


@router.get("/calibration", response_model=list[CalibrationOut])
def list_calibration(session: SessionDep, principal: CurrentUser) -> list[CalibrationOut]:
    """Self-calibrated alert threshold of every scanner pairing (and how many clean pairs it rests on)."""
    rows = calibration.list_calibrations(session=session, actor=principal)
    return [CalibrationOut.model_validate(r) for r in rows]


@router.post("/comparisons/{comparison_id}/outcome", response_model=OutcomeOut, status_code=201)
def post_outcome(
    comparison_id: int, body: OutcomeIn, request: Request, session: SessionDep, principal: CurrentUser
) -> OutcomeOut:
    """What the inspection of this pair found: ``clean`` re-estimates the pairing's alert threshold."""
    settings: Settings = request.app.state.settings
    rec = calibration.record_outcome(
        session=session,
        actor=principal,
        comparison_id=comparison_id,
        outcome=body.outcome,
        inspection_id=body.inspection_id,
        note=body.note,
        default_threshold=settings.scan_alert_threshold,
    )
    return OutcomeOut.model_validate(rec)


@router.get("/comparisons/{comparison_id}", response_model=ComparisonOut)
def get_comparison(comparison_id: int, session: SessionDep, principal: CurrentUser) -> ComparisonOut:
    row = service.get_comparison(session=session, actor=principal, comparison_id=comparison_id)
    return ComparisonOut.model_validate(row)


@router.get("/comparisons/{comparison_id}/overlay.png", response_class=Response)
def get_overlay(
    comparison_id: int, request: Request, session: SessionDep, principal: CurrentUser
) -> Response:
    settings, store = _platform(request)
    return _png(
        service.overlay_png(
            session=session, actor=principal, comparison_id=comparison_id, settings=settings, store=store
        )
    )


@router.get("/container/{container_number}", response_model=ContainerScansOut)
def list_container_scans(
    container_number: str, session: SessionDep, principal: CurrentUser
) -> ContainerScansOut:
    found = service.container_scans(session=session, actor=principal, container_number=container_number)
    return ContainerScansOut(
        container_number=found.container_number,
        scans=[ScanOut.model_validate(s) for s in found.scans],
        comparisons=[ComparisonOut.model_validate(c) for c in found.comparisons],
        declared_checks=[DeclaredCheckOut.model_validate(c) for c in found.checks],
    )


@router.get("/{scan_id}", response_model=ScanOut)
def get_scan(scan_id: int, session: SessionDep, principal: CurrentUser) -> ScanOut:
    return ScanOut.model_validate(service.get_scan(session=session, actor=principal, scan_id=scan_id))


@router.get("/{scan_id}/preview.png", response_class=Response)
def get_preview(scan_id: int, request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    settings, store = _platform(request)
    return _png(
        service.scan_preview_png(
            session=session, actor=principal, scan_id=scan_id, settings=settings, store=store
        )
    )


def _save(upload: UploadFile, dest: Path) -> None:
    size = 0
    with dest.open("wb") as out:
        while chunk := upload.file.read(1024 * 1024):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise ValidationFailed(f"file larger than {MAX_UPLOAD_BYTES // 2**20} MiB")
            out.write(chunk)


def _file_name(upload: UploadFile) -> str:
    # only the base name, in safe characters: the client's name must not choose a path here
    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(upload.filename or "scan").name).lstrip(".")
    return name[:100] or "scan"


@router.post("", status_code=201)
def upload_scan(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    file: Annotated[UploadFile, File(description="the scan (DICOS, 16-bit PNG, TIFF or .npy)")],
    sidecar: Annotated[UploadFile | None, File(description="JSON sidecar (not for DICOS)")] = None,
    phase: Annotated[
        str | None, Form(description="origin|arrival (default: sidecar, else by location)")
    ] = None,
) -> dict[str, Any]:
    """Ingest one scan file: 201 with the reconciliation (stored, duplicate, or quarantined and why)."""
    principal.require("imaging:write")  # before reading a large body into a temporary folder
    settings, store = _platform(request)
    incoming = settings.data_dir / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="scan-", dir=incoming))
    try:
        path = folder / _file_name(file)
        _save(file, path)
        if sidecar is not None:
            _save(sidecar, path.with_suffix(".json"))
        result = service.ingest_scan_file(
            session=session,
            actor=principal,
            path=path,
            phase=phase or None,
            source=f"api:{principal.username}:{path.name}",
            settings=settings,
            store=store,
        )
        service.record_run(session=session, actor=principal, result=result)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return result.summary()
