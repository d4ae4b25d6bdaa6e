"""Pages: overview per hub, declaration and container search, a container's journey timeline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.shipments import service
from mainport.web.templating import add_template_dir, render

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")
PAGE_SIZE = 50


@router.get("/")
def overview_page(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    data = service.overview(session=session, actor=principal)
    return render(request, "shipments/overview.html", data, principal=principal)


@router.get("/declarations")
def declarations_page(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    q: Annotated[str | None, Query(max_length=100)] = None,
    hub: Annotated[str | None, Query(max_length=32)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    rows, total = service.search_declarations(
        session=session, actor=principal, q=q, hub=hub or None, limit=PAGE_SIZE, offset=offset
    )
    ctx = {"rows": rows, "total": total, "q": q or "", "hub": hub or "", "offset": offset, "size": PAGE_SIZE}
    return render(request, "shipments/declarations.html", ctx, principal=principal)


@router.get("/containers")
def containers_page(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    q: Annotated[str | None, Query(max_length=20)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    rows, total = service.search_containers(
        session=session, actor=principal, q=q, limit=PAGE_SIZE, offset=offset
    )
    ctx = {"rows": rows, "total": total, "q": q or "", "offset": offset, "size": PAGE_SIZE}
    return render(request, "shipments/containers.html", ctx, principal=principal)


@router.get("/containers/{number}")
def container_page(request: Request, number: str, session: SessionDep, principal: CurrentUser) -> Response:
    journey = service.container_journey(session=session, actor=principal, number=number)
    return render(request, "shipments/container.html", {"j": journey}, principal=principal)
