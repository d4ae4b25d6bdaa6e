"""Pages: the origin-scan queue (verdicts, hold requests) and the hold requests with their answers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from mainport import flows
from mainport.api.deps import CurrentUser, SessionDep
from mainport.errors import Conflict, NotFound, ValidationFailed
from mainport.origin import holds, service
from mainport.web.templating import add_nav, add_template_dir, render

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")
add_nav("Origin scans", "/origin", "intel:read", "Intelligence")
add_nav("Hold requests", "/origin/holds", "intel:read", "Intelligence")


def _queue_page(
    request: Request,
    session: Any,
    principal: Any,
    *,
    error: str = "",
    saved: str = "",
    status_code: int = 200,
) -> Response:
    rows = service.queue(session=session, actor=principal)
    done = service.queue(session=session, actor=principal, status="reviewed", limit=50)
    ctx = {
        "rows": rows,
        "done": done,
        "kinds": holds.KINDS,
        "error": error,
        "saved": saved,
        "can_write": principal.can("intel:write"),
    }
    return render(request, "origin/queue.html", ctx, principal=principal, status_code=status_code)


@router.get("/origin")
def queue_page(request: Request, session: SessionDep, principal: CurrentUser, saved: str = "") -> Response:
    return _queue_page(request, session, principal, saved=saved[:40])


@router.post("/origin/reviews/{review_id}/verdict")
def verdict(
    request: Request,
    review_id: int,
    session: SessionDep,
    principal: CurrentUser,
    verdict: Annotated[str, Form(max_length=16)],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        service.record_verdict(
            session=session, actor=principal, review_id=review_id, verdict=verdict, note=note
        )
    except (ValidationFailed, Conflict, NotFound) as exc:
        session.rollback()
        return _queue_page(request, session, principal, error=str(exc), status_code=422)
    return RedirectResponse(f"/origin?saved={verdict}", status_code=303)


@router.post("/origin/reviews/{review_id}/hold")
def hold_from_review(
    request: Request,
    review_id: int,
    session: SessionDep,
    principal: CurrentUser,
    reason: Annotated[str, Form(max_length=2000)],
    kind: Annotated[str, Form(max_length=16)] = "inspect",
) -> Response:
    try:
        holds.request_hold(session=session, actor=principal, review_id=review_id, kind=kind, reason=reason)
    except (ValidationFailed, Conflict, NotFound) as exc:
        session.rollback()
        return _queue_page(request, session, principal, error=str(exc), status_code=422)
    return RedirectResponse("/origin/holds?saved=requested", status_code=303)


def _holds_page(
    request: Request,
    session: Any,
    principal: Any,
    *,
    error: str = "",
    saved: str = "",
    status_code: int = 200,
) -> Response:
    ctx = {
        "rows": holds.list_holds(session=session, actor=principal),
        "answers": holds.ANSWERS,
        "error": error,
        "saved": saved,
        "can_write": principal.can("intel:write"),
    }
    return render(request, "origin/holds.html", ctx, principal=principal, status_code=status_code)


@router.get("/origin/holds")
def holds_page(request: Request, session: SessionDep, principal: CurrentUser, saved: str = "") -> Response:
    return _holds_page(request, session, principal, saved=saved[:40])


@router.post("/origin/holds/{hold_id}/answer")
def answer(
    request: Request,
    hold_id: int,
    session: SessionDep,
    principal: CurrentUser,
    answer: Annotated[str, Form(max_length=16)],
    kg: Annotated[str, Form(max_length=16)] = "0",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        try:
            amount = float(kg or 0)
        except ValueError:
            raise ValidationFailed(f"kg: {kg!r} is not a number") from None
        flows.answer_hold(
            session=session, actor=principal, hold_id=hold_id, answer=answer, kg=amount, note=note
        )
    except (ValidationFailed, Conflict, NotFound) as exc:
        session.rollback()
        return _holds_page(request, session, principal, error=str(exc), status_code=422)
    return RedirectResponse(f"/origin/holds?saved={answer}", status_code=303)
