"""`/api/v1/operations`: the recurring jobs, their runs, and "run now"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from mainport.api.deps import CurrentUser, SessionDep
from mainport.operations import service
from mainport.operations.schemas import JobOut, JobRunOut, OperationsOut, SchedulerOut
from mainport.recurring import discover

router = APIRouter(prefix="/operations", tags=["operations"])


@router.get("/jobs", response_model=OperationsOut)
def jobs(session: SessionDep, principal: CurrentUser) -> OperationsOut:
    rows = service.overview(session=session, actor=principal, jobs=discover())
    return OperationsOut(
        scheduler=SchedulerOut(**service.scheduler_state(session=session, actor=principal)),
        jobs=[
            JobOut(
                name=r.name,
                description=r.description,
                schedule=r.schedule,
                last_run=JobRunOut.model_validate(r.last) if r.last else None,
                last_ok_at=r.last_ok_at,
                next_run_at=r.next_run_at,
                failures_7d=r.failures_7d,
                queued=r.queued,
            )
            for r in rows
        ],
    )


@router.get("/runs", response_model=list[JobRunOut])
def runs(
    session: SessionDep,
    principal: CurrentUser,
    job: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[JobRunOut]:
    return [
        JobRunOut.model_validate(r)
        for r in service.list_runs(session=session, actor=principal, job=job, limit=limit)
    ]


@router.post("/jobs/{name}/run", response_model=JobRunOut, status_code=202)
def run_now(
    session: SessionDep, principal: CurrentUser, name: Annotated[str, Path(max_length=64)]
) -> JobRunOut:
    run = service.request_run(session=session, actor=principal, jobs=discover(), name=name)
    return JobRunOut.model_validate(run)
