"""The origin-scan queue and hold requests over HTTP (thin handlers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from mainport import flows
from mainport.api.deps import CurrentUser, SessionDep
from mainport.origin import holds, service
from mainport.origin.schemas import AnswerIn, EnqueuedOut, HoldIn, HoldOut, ReviewOut, VerdictIn

router = APIRouter(tags=["origin"])


@router.post("/origin/queue/refresh", response_model=EnqueuedOut)
def refresh(request: Request, session: SessionDep, principal: CurrentUser) -> EnqueuedOut:
    """Queue the origin scans that have no review yet (the recurring job does the same)."""
    added = service.enqueue(session=session, actor=principal, settings=request.app.state.settings)
    return EnqueuedOut(added=len(added))


@router.get("/origin/queue", response_model=list[ReviewOut])
def queue(
    session: SessionDep,
    principal: CurrentUser,
    status: Annotated[str, Query(max_length=16)] = "queued",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ReviewOut]:
    rows = service.queue(session=session, actor=principal, status=status, limit=limit)
    return [ReviewOut.model_validate(r) for r in rows]


@router.get("/origin/reviews/{review_id}", response_model=ReviewOut)
def get_review(review_id: int, session: SessionDep, principal: CurrentUser) -> ReviewOut:
    return ReviewOut.model_validate(service.get_review(session=session, actor=principal, review_id=review_id))


@router.post("/origin/reviews/{review_id}/verdict", response_model=ReviewOut)
def verdict(review_id: int, body: VerdictIn, session: SessionDep, principal: CurrentUser) -> ReviewOut:
    row = service.record_verdict(
        session=session, actor=principal, review_id=review_id, verdict=body.verdict, note=body.note
    )
    return ReviewOut.model_validate(row)


@router.post("/origin/holds", response_model=HoldOut, status_code=201)
def request_hold(body: HoldIn, session: SessionDep, principal: CurrentUser) -> HoldOut:
    return HoldOut.model_validate(holds.request_hold(session=session, actor=principal, **body.model_dump()))


@router.get("/origin/holds", response_model=list[HoldOut])
def list_holds(
    session: SessionDep, principal: CurrentUser, status: Annotated[str | None, Query(max_length=16)] = None
) -> list[HoldOut]:
    return [
        HoldOut.model_validate(r) for r in holds.list_holds(session=session, actor=principal, status=status)
    ]


@router.post("/origin/holds/{hold_id}/answer", response_model=HoldOut)
def answer(hold_id: int, body: AnswerIn, session: SessionDep, principal: CurrentUser) -> HoldOut:
    row = flows.answer_hold(
        session=session, actor=principal, hold_id=hold_id, answer=body.answer, kg=body.kg, note=body.note
    )
    return HoldOut.model_validate(row)
