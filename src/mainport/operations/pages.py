"""The operations page: every recurring job with its last and next run, failures, and "run now"."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.operations import service
from mainport.recurring import discover
from mainport.web.templating import add_nav, add_template_dir, render

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")
add_nav("Operations", "/operations", "operations:read", "Admin")


@router.get("/operations")
def operations_page(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    jobs = discover()
    ctx = {
        "jobs": service.overview(session=session, actor=principal, jobs=jobs),
        "scheduler": service.scheduler_state(session=session, actor=principal),
        "runs": service.list_runs(session=session, actor=principal, limit=30),
        "may_run": principal.can("operations:run"),
    }
    return render(request, "operations/jobs.html", ctx, principal=principal)


@router.post("/operations/{name}/run")
def run_now(
    name: str,
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    csrf_token: Annotated[str, Form()],
) -> Response:
    service.request_run(session=session, actor=principal, jobs=discover(), name=name)
    return RedirectResponse("/operations", status_code=303)
