"""The ISPS facility register and the gate evidence over HTTP (thin handlers)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from mainport.api.deps import CurrentUser, SessionDep
from mainport.barriers import service
from mainport.barriers.schemas import BadgeEventOut, DetectionOut, FacilityIn, FacilityOut, NearOut

router = APIRouter(tags=["barriers"])


@router.put("/barriers/facilities", response_model=FacilityOut)
def register_facility(body: FacilityIn, session: SessionDep, principal: CurrentUser) -> FacilityOut:
    """Add a port facility to the ISPS register or change its entry (security level, status, measures)."""
    data = body.model_dump()
    facility = service.register_facility(session=session, actor=principal, **data)
    return FacilityOut.model_validate(facility)


@router.get("/barriers/facilities", response_model=list[FacilityOut])
def facilities(
    session: SessionDep,
    principal: CurrentUser,
    hub: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
) -> list[FacilityOut]:
    rows = service.list_facilities(session=session, actor=principal, hub=hub, status=status)
    return [FacilityOut.model_validate(f) for f in rows]


@router.get("/barriers/facilities/{code}", response_model=FacilityOut)
def facility(code: str, session: SessionDep, principal: CurrentUser) -> FacilityOut:
    return FacilityOut.model_validate(service.get_facility(session=session, actor=principal, code=code))


@router.get("/barriers/badge-events", response_model=list[BadgeEventOut])
def badge_events(
    session: SessionDep,
    principal: CurrentUser,
    facility: Annotated[str | None, Query(max_length=16)] = None,
    badge: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> list[BadgeEventOut]:
    rows = service.badge_events(session=session, actor=principal, facility=facility, badge=badge, limit=limit)
    return [BadgeEventOut.model_validate(r) for r in rows]


@router.get("/barriers/detections", response_model=list[DetectionOut])
def detections(
    session: SessionDep,
    principal: CurrentUser,
    facility: Annotated[str | None, Query(max_length=16)] = None,
    plate: Annotated[str | None, Query(max_length=16)] = None,
    container: Annotated[str | None, Query(max_length=11)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> list[DetectionOut]:
    rows = service.detections(
        session=session, actor=principal, facility=facility, plate=plate, container=container, limit=limit
    )
    return [DetectionOut.model_validate(r) for r in rows]


@router.get("/barriers/near", response_model=NearOut)
def near_container(
    session: SessionDep,
    principal: CurrentUser,
    container: Annotated[str, Query(min_length=4, max_length=11)],
    at: datetime,
    hours: Annotated[float, Query(gt=0, le=72)] = 6.0,
) -> NearOut:
    """Camera reads of a box around a moment, and the badges at the same gates then (custody evidence)."""
    near = service.near_container(
        session=session, actor=principal, container_number=container, at=at, hours=hours
    )
    return NearOut(
        detections=[DetectionOut.model_validate(d) for d in near.detections],
        badges=[BadgeEventOut.model_validate(b) for b in near.badges],
    )
