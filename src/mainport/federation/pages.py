"""The federation page: partners and their agreements, messages in and out, bulletins; send a bulletin."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.errors import NotFound, PermissionDenied, ValidationFailed
from mainport.federation import service
from mainport.federation.keys import Instance
from mainport.web.templating import add_nav, add_template_dir, render

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")
add_nav("Partners & bulletins", "/federation", "federation:send", "Intelligence")


def _page(
    request: Request, session: Any, principal: Any, *, error: str = "", saved: str = "", code: int = 200
) -> Response:
    partners = service.list_partners(session=session, actor=principal)
    held = service.agreements_by_partner(session=session, actor=principal)
    agreements = {p.id: held.get(p.id, []) for p in partners}
    msgs = service.messages(session=session, actor=principal)
    ctx = {
        "me": Instance.from_settings(request.app.state.settings).code,
        "partners": partners,
        "agreements": agreements,
        "messages": msgs,
        "bulletins": [m for m in msgs if m.category == "mo_bulletin"],
        "error": error,
        "saved": saved,
    }
    return render(request, "federation/index.html", ctx, principal=principal, status_code=code)


@router.get("/federation")
def index(request: Request, session: SessionDep, principal: CurrentUser, saved: str = "") -> Response:
    return _page(request, session, principal, saved=saved[:40])


@router.post("/federation/bulletins")
def send_bulletin(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    partner: Annotated[str, Form(max_length=32)],
    title: Annotated[str, Form(min_length=1, max_length=200)],
    route: Annotated[str, Form(max_length=100)] = "",
    concealment: Annotated[str, Form(max_length=200)] = "",
    cover_commodity: Annotated[str, Form(max_length=200)] = "",
    notes: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    body = {"title": title, "route": route, "concealment": concealment, "cover_commodity": cover_commodity}
    body = {k: v for k, v in body.items() if v} | ({"notes": notes} if notes else {})
    try:
        service.send(
            session=session,
            actor=principal,
            me=Instance.from_settings(request.app.state.settings),
            code=partner,
            category="mo_bulletin",
            body=body,
        )
    except (ValidationFailed, PermissionDenied, NotFound) as exc:
        session.rollback()
        return _page(
            request,
            session,
            principal,
            error=str(exc),
            code=422 if isinstance(exc, ValidationFailed) else 403,
        )
    return RedirectResponse("/federation?saved=bulletin", status_code=303)
