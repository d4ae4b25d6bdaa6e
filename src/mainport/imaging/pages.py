"""Pages: a container's origin and arrival scans side by side, the overlay, the score and the regions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.imaging import service
from mainport.web.templating import add_template_dir, render

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")


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
    if chosen is not None:
        service.get_comparison(session=session, actor=principal, comparison_id=chosen.id)  # audited read
    ctx = {
        "number": found.container_number,
        "scans": found.scans,
        "comparisons": found.comparisons,
        "checks": {c.scan_id: c for c in found.checks},
        "chosen": chosen,
        "origin": origin,
        "arrival": arrival,
    }
    return render(request, "imaging/pair.html", ctx, principal=principal)
