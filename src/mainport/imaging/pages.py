"""Pages: a container's origin and arrival scans side by side, the overlay, the score and the regions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.imaging import calibration, lists, service
from mainport.web.listing import CSV_LIMIT, csv_response, parse_sort
from mainport.web.listing import Query as ListQuery
from mainport.web.templating import add_nav, add_template_dir, render

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")
add_nav("Scans", "/scans", "imaging:read", "Today")
SCAN_CSV = (
    "id",
    "container",
    "phase",
    "place",
    "scanner",
    "scanned_at",
    "comparison",
    "score",
    "alert",
    "reviewed",
)


@router.get("/scans")
def scans_page(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    q: Annotated[str | None, Query(max_length=64)] = None,
    phase: Annotated[str | None, Query(pattern="^(|origin|arrival)$")] = None,
    place: Annotated[str | None, Query(max_length=5)] = None,
    awaiting: bool = False,
    sort: Annotated[str | None, Query(max_length=32)] = None,
    format: Annotated[str, Query(pattern="^(html|csv)$")] = "html",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    order = parse_sort(sort, lists.SCAN_SORTS, "-scanned_at")
    common: dict[str, Any] = {
        "session": session,
        "actor": principal,
        "q": q,
        "phase": phase or None,
        "place": place or None,
        "awaiting_review": awaiting,
        "sort": order,
    }
    if format == "csv":
        rows, _ = lists.search_scans(**common, limit=CSV_LIMIT)
        return csv_response(
            "scans",
            SCAN_CSV,
            ((r.id, r.container_number, r.phase, r.unlocode, r.scanner_id, r.scanned_at, r.comparison_id,
              r.score, r.alert_id, r.reviewed) for r in rows),
        )  # fmt: skip
    rows, total = lists.search_scans(**common, limit=50, offset=offset)
    params = {"q": q, "phase": phase, "place": place, "awaiting": "true" if awaiting else None}
    ctx = {
        "rows": rows,
        "total": total,
        "offset": offset,
        "size": 50,
        "f": {k: v or "" for k, v in params.items()},
        "query": ListQuery("/scans", params, order),
    }
    return render(request, "imaging/scans.html", ctx, principal=principal)


@router.get("/scans/{container_number}")
def pair_page(
    container_number: str,
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    comparison: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    found = service.container_scans(session=session, actor=principal, container_number=container_number)
    chosen = next((c for c in found.comparisons if c.id == comparison), None) if comparison else None
    chosen = chosen or (found.comparisons[0] if found.comparisons else None)
    by_id = {s.id: s for s in found.scans}
    origin = by_id.get(chosen.origin_scan_id) if chosen else None
    arrival = by_id.get(chosen.arrival_scan_id) if chosen else None
    if chosen is None:  # no pair yet: show the latest scan of each phase
        origin = next((s for s in reversed(found.scans) if s.phase == "origin"), None)
        arrival = next((s for s in reversed(found.scans) if s.phase == "arrival"), None)
    cal = None
    if chosen is not None:
        service.get_comparison(session=session, actor=principal, comparison_id=chosen.id)  # audited read
        if origin is not None and arrival is not None:
            cal = calibration.calibration_for(
                session, origin.scanner_id, arrival.scanner_id, chosen.params_version
            )
    ctx = {
        "number": found.container_number,
        "scans": found.scans,
        "comparisons": found.comparisons,
        "checks": {c.scan_id: c for c in found.checks},
        "chosen": chosen,
        "origin": origin,
        "arrival": arrival,
        "calibration": cal,
    }
    return render(request, "imaging/pair.html", ctx, principal=principal)
