"""Web pages: today's selection per hub, and a declaration with its journey and an outcome form."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.targeting import service
from mainport.web.templating import add_nav, add_template_dir, render

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")
add_nav("Targeting", "/targeting/rotterdam", "intel:read")


@router.get("/targeting/declarations/{declaration_id}")
def declaration_page(
    request: Request, declaration_id: int, session: SessionDep, principal: CurrentUser, saved: int = 0
) -> Response:
    detail = service.declaration_detail(session=session, actor=principal, declaration_id=declaration_id)
    return render(
        request, "targeting/declaration.html", {**detail, "saved": bool(saved)}, principal=principal
    )


@router.post("/targeting/declarations/{declaration_id}/outcome")
def record_outcome(
    declaration_id: int,
    session: SessionDep,
    principal: CurrentUser,
    result: Annotated[str, Form()],
    kg_found: Annotated[float, Form()] = 0.0,
    notes: Annotated[str, Form()] = "",
) -> Response:
    service.record_outcome(
        session=session,
        actor=principal,
        declaration_id=declaration_id,
        result=result,
        kg_found=kg_found,
        notes=notes,
    )
    return RedirectResponse(f"/targeting/declarations/{declaration_id}?saved=1", status_code=303)


@router.get("/targeting/{hub}")
def hub_page(
    request: Request, hub: str, session: SessionDep, principal: CurrentUser, day: date | None = None
) -> Response:
    day = day or datetime.now(UTC).date()
    sel = service.get_selection(session=session, actor=principal, hub=hub, day=day)
    return render(
        request, "targeting/hub.html", {"hub": hub, "day": day, "selection": sel}, principal=principal
    )
