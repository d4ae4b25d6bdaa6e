"""Pages: the open quarantine (paginated), one record's raw payload, retry (maybe corrected), discard."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.database.sorting import parse_sort
from mainport.errors import ValidationFailed
from mainport.ingest import lists, service, uploads
from mainport.web.listing import CSV_LIMIT, csv_response
from mainport.web.listing import Query as ListQuery
from mainport.web.templating import add_nav, add_template_dir, render

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")  # the "Quarantine" link is in the base navigation
add_nav("Upload", "/ingest/upload", "overview:read", "Data", when=lambda p: bool(uploads.kinds_for(p)))
PAGE_SIZE = 50
SHOWN_CHARS = 20_000  # the raw payload shown on the page (the record keeps up to 64 KiB)


QUARANTINE_CSV = ("id", "kind", "status", "source", "locator", "reason", "retries", "size", "received_at")


@router.get("/quarantine")
def quarantine_page(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    status: Annotated[str, Query(pattern="^(open|replayed|discarded|all)$")] = "open",
    q: Annotated[str | None, Query(max_length=100)] = None,
    sort: Annotated[str | None, Query(max_length=32)] = None,
    format: Annotated[str, Query(pattern="^(html|csv)$")] = "html",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    order = parse_sort(sort, list(lists.QUARANTINE_SORTS), "id")
    common: dict[str, Any] = {"session": session, "actor": principal, "kind": kind or None, "q": q,
              "status": None if status == "all" else status, "sort": order}  # fmt: skip
    if format == "csv":
        rows, _ = lists.search_quarantine(**common, limit=CSV_LIMIT)
        return csv_response(
            "quarantine",
            QUARANTINE_CSV,
            ((r.id, r.kind, r.status, r.source, r.locator, r.reason, r.retries, r.raw_size, r.received_at)
             for r in rows),
        )  # fmt: skip
    items, total = lists.search_quarantine(**common, limit=PAGE_SIZE, offset=offset)
    params = {"kind": kind, "status": status, "q": q}
    ctx = {
        "items": items,
        "total": total,
        "kind": kind or "",
        "kinds": sorted({service.record_kind(k) for k in service.kinds()}),
        "f": {k: v or "" for k, v in params.items()},
        "query": ListQuery("/quarantine", params, order),
        "offset": offset,
        "size": PAGE_SIZE,
    }
    return render(request, "ingest/quarantine.html", ctx, principal=principal)


@router.get("/quarantine/{record_id}")
def quarantined_page(
    request: Request, record_id: int, session: SessionDep, principal: CurrentUser, retried: str | None = None
) -> Response:
    item = service.get_quarantined(session=session, actor=principal, record_id=record_id)
    ctx = {
        "item": item,
        "shown": item.raw[:SHOWN_CHARS],
        "cut": len(item.raw) > SHOWN_CHARS or item.raw_size > len(item.raw.encode()),
        "retried": retried,
    }
    return render(request, "ingest/quarantined.html", ctx, principal=principal)


@router.post("/quarantine/{record_id}/retry")
def retry(
    record_id: int,
    session: SessionDep,
    principal: CurrentUser,
    fixed_raw: Annotated[str, Form()] = "",
) -> Response:
    recon = service.retry_quarantined(
        session=session, actor=principal, ids=[record_id], fixed_raw=fixed_raw.strip() or None
    )
    if recon.quarantined:  # still failing: back to the record, which shows the new reason
        return RedirectResponse(f"/quarantine/{record_id}?retried=failed", status_code=303)
    return RedirectResponse("/quarantine", status_code=303)


@router.post("/quarantine/{record_id}/discard")
def discard(
    record_id: int,
    session: SessionDep,
    principal: CurrentUser,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    service.discard_quarantined(session=session, actor=principal, record_id=record_id, note=note)
    return RedirectResponse("/quarantine", status_code=303)


@router.get("/ingest/upload")
def upload_form(request: Request, principal: CurrentUser) -> Response:
    kinds = uploads.kinds_for(principal)
    if not kinds:
        principal.require("declarations:write")  # nothing to upload: refused like the service would
    return render(request, "ingest/upload.html", {"kinds": kinds}, principal=principal)


def _save(upload: UploadFile, dest: Path) -> None:
    size = 0
    with dest.open("wb") as out:
        while chunk := upload.file.read(1024 * 1024):
            size += len(chunk)
            if size > uploads.MAX_UPLOAD_BYTES:
                raise ValidationFailed(
                    f"file: larger than {uploads.MAX_UPLOAD_BYTES // 2**20} MiB; use `mainport ingest` for it"
                )
            out.write(chunk)


@router.post("/ingest/upload")
def upload(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    kind: Annotated[str, Form(max_length=32)],
    file: Annotated[UploadFile, File()],
) -> Response:
    service.require(actor=principal, kind=kind)  # before anything is written
    incoming = request.app.state.settings.data_dir / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=incoming))
    # only the base name, in safe characters: the client's name must not choose a path here
    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(file.filename or "upload").name).lstrip(".")[:100] or "upload"
    try:
        path = folder / name
        _save(file, path)
        run_id, _recon = uploads.ingest_upload(
            session=session, actor=principal, kind=kind, path=path, name=name
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return RedirectResponse(f"/ingest/runs/{run_id}", status_code=303)


@router.get("/ingest/runs/{run_id}")
def run_page(run_id: int, request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    run = uploads.get_run(session=session, actor=principal, run_id=run_id)
    ctx = {
        "run": run,
        "problems": (run.summary or {}).get("problems", []),
        "may_quarantine": principal.can("quarantine:read"),
    }
    return render(request, "ingest/run.html", ctx, principal=principal)
