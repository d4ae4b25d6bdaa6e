"""Pages: the register, a person's (alias) timeline, the certificate expiry board, the insider ranking."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mainport import flows
from mainport.api.deps import CurrentUser, SessionDep
from mainport.insider import ranking
from mainport.screening import views
from mainport.web.templating import add_nav, add_template_dir, render

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")
add_nav("Screening register", "/screening/people", "screening:read", "Intelligence")
add_nav("Certificate expiry", "/screening/expiry", "screening:read", "Intelligence")
add_nav("Insider ranking", "/insider/ranking", "screening:read", "Intelligence")


@router.get("/screening/people")
def register_page(
    request: Request, session: SessionDep, principal: CurrentUser, status: str | None = None
) -> Response:
    people, total = views.list_people(session=session, actor=principal, status=status, limit=500)
    ctx = {"people": people, "total": total, "status": status}
    return render(request, "screening/people.html", ctx, principal=principal)


@router.get("/screening/people/{alias}")
def person_page(alias: str, request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    t = flows.person_timeline(session=session, actor=principal, alias=alias)
    return render(request, "screening/person.html", {"t": t}, principal=principal)


@router.get("/screening/expiry")
def expiry_page(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    rows = views.expiry_board(session=session, actor=principal, within_days=90)
    return render(request, "screening/expiry.html", {"rows": rows}, principal=principal)


@router.get("/insider/ranking")
def ranking_page(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    rows = ranking.ranked_list(session=session, actor=principal, limit=100)
    return render(
        request, "screening/ranking.html", {"rows": rows, "threshold": ranking.THRESHOLD}, principal=principal
    )


@router.get("/insider/ranking/{user}")
def drill_page(user: str, request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    d = ranking.drill_down(session=session, actor=principal, user=user)
    return render(request, "screening/drill.html", {"d": d}, principal=principal)
