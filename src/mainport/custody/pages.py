"""The guarded-area board of a terminal: containers under control, where they stand and for how long."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.custody import forms, service
from mainport.identity.models import OrgKind
from mainport.web.templating import add_nav, add_template_dir, render

router = APIRouter(include_in_schema=False)
router.include_router(forms.router)  # custody plans and release rights, with their forms
add_template_dir(Path(__file__).parent / "templates")
# A terminal opens its own board; government analysts and officers the national list (service.board rules).
add_nav(
    "Guarded area",
    "/custody/board",
    "custody:read",
    "Control",
    when=lambda p: p.can("intel:read") or (p.org_kind == OrgKind.terminal and bool(p.facility_code)),
)
add_nav("Release rights", "/release", "custody:read", "Control")


@router.get("/custody/board")
def my_board(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    # A terminal goes to its own board; government users pick a terminal.
    if principal.facility_code:
        return RedirectResponse(f"/custody/board/{principal.facility_code}", status_code=303)
    facilities = service.facilities_under_control(session=session, actor=principal)
    return render(request, "custody/facilities.html", {"facilities": facilities}, principal=principal)


@router.get("/custody/board/{facility_code}")
def board_page(facility_code: str, request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    rows = service.board(session=session, actor=principal, facility_code=facility_code)
    return render(
        request, "custody/board.html", {"rows": rows, "facility": facility_code}, principal=principal
    )
