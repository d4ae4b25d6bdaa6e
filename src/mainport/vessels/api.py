"""Vessel scores, dive plans and outcomes over HTTP (thin handlers)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from mainport.api.deps import CurrentUser, SessionDep
from mainport.errors import ValidationFailed
from mainport.vessels import service
from mainport.vessels.schemas import CallScoreOut, DiveOut, OutcomeIn, ReasonOut, SelectIn

router = APIRouter(tags=["vessels"])


def _window(day: date, days: int) -> tuple[datetime, datetime]:
    if not date(2000, 1, 1) <= day <= date(2999, 12, 1):
        raise ValidationFailed(f"day: between 2000-01-01 and 2999-12-01 (got {day.isoformat()})")
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=days)


def _score_out(s: service.ScoredCall) -> CallScoreOut:
    return CallScoreOut(
        call_id=s.call.id,
        vessel_imo=s.call.vessel_imo,
        vessel_name=s.call.vessel_name,
        voyage_number=s.call.voyage_number,
        hub=s.call.hub,
        arrived_at=s.call.arrived_at,
        ports=[p["unlocode"] for p in s.call.port_calls],
        p=s.scored.p,
        score=s.scored.score,
        reasons=[ReasonOut(code=r.code, text=r.text, weight=r.weight) for r in s.scored.reasons],
        risk_boxes=s.risk_boxes,
        dive_id=s.dive.id if s.dive else None,
        dive_result=s.dive.result if s.dive else None,
    )


@router.get("/vessels/scores", response_model=list[CallScoreOut])
def scores(
    session: SessionDep,
    principal: CurrentUser,
    day: date,
    days: Annotated[int, Query(ge=1, le=31)] = 7,
    hub: Annotated[str | None, Query(max_length=40)] = None,
) -> list[CallScoreOut]:
    """Calls from source/transit countries arriving in the window, highest vessel risk first, with reasons."""
    start, end = _window(day, days)
    rows = service.score_window(session=session, actor=principal, start=start, end=end, hub=hub)
    return [_score_out(s) for s in rows]


@router.post("/vessels/dives/select", response_model=list[DiveOut], status_code=201)
def select_dives(body: SelectIn, session: SessionDep, principal: CurrentUser) -> list[DiveOut]:
    """Plan the window's diver inspections within capacity (with an exploration share)."""
    start, end = _window(body.day, body.days)
    dives = service.select_dives(
        session=session,
        actor=principal,
        start=start,
        end=end,
        capacity=body.capacity,
        hub=body.hub,
        exploration_share=body.exploration_share,
    )
    return [DiveOut.model_validate(d) for d in dives]


@router.post("/vessels/dives/{dive_id}/outcome", response_model=DiveOut)
def record_outcome(dive_id: int, body: OutcomeIn, session: SessionDep, principal: CurrentUser) -> DiveOut:
    dive = service.record_dive(
        session=session,
        actor=principal,
        dive_id=dive_id,
        result=body.result,
        kg_found=body.kg_found,
        notes=body.notes,
    )
    return DiveOut.model_validate(dive)


@router.get("/vessels/dives", response_model=list[DiveOut])
def dives(
    session: SessionDep,
    principal: CurrentUser,
    hub: Annotated[str | None, Query(max_length=40)] = None,
    result: Annotated[str | None, Query(max_length=16)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[DiveOut]:
    rows = service.list_dives(session=session, actor=principal, hub=hub, result=result, limit=limit)
    return [DiveOut.model_validate(d) for d in rows]
