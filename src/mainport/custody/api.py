"""Custody plans, release rights, the gate API and telemetry over HTTP (thin handlers)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Query, Request

from mainport import flows
from mainport.api.deps import CurrentUser, SessionDep
from mainport.custody import gate, guarded, instructions, release, seals, service
from mainport.custody.models import CustodyPlan
from mainport.custody.schemas import (
    AckIn,
    BoardRowOut,
    GateCheckIn,
    GateCheckOut,
    InstructionOut,
    LogEntryOut,
    NominatedOut,
    NominateIn,
    PlanIn,
    PlanIntelOut,
    PlanningRunOut,
    PlanOut,
    RevokeIn,
    RightIn,
    RightOut,
    StepIn,
    StepOut,
    TelemetryIn,
    TelemetryOut,
    UnguardedOut,
    VerifyOut,
)
from mainport.database import utcnow
from mainport.identity.principal import Principal

router = APIRouter(tags=["custody"])


def _plan_out(plan: CustodyPlan, principal: Principal) -> PlanOut:
    # Why a box was selected is intelligence: only intelligence users get the reason and its alert.
    model = PlanIntelOut if principal.can("intel:read") else PlanOut
    return model.model_validate(plan)


@router.post("/custody/plans", response_model=PlanIntelOut, status_code=201)
def select_for_control(body: PlanIn, session: SessionDep, principal: CurrentUser) -> PlanIntelOut:
    _alert, plan = flows.select_for_control(session=session, actor=principal, **body.model_dump())
    return PlanIntelOut.model_validate(plan)


@router.get("/custody/containers/{container_number}", response_model=list[PlanIntelOut | PlanOut])
def container_custody(container_number: str, session: SessionDep, principal: CurrentUser) -> list[PlanOut]:
    plans = service.plans_for_container(session=session, actor=principal, container_number=container_number)
    return [_plan_out(p, principal) for p in plans]


@router.get("/custody/plans/{plan_id}", response_model=PlanIntelOut | PlanOut)
def get_plan(plan_id: int, session: SessionDep, principal: CurrentUser) -> PlanOut:
    return _plan_out(service.get_plan(session=session, actor=principal, plan_id=plan_id), principal)


@router.post("/custody/plans/{plan_id}/steps", response_model=StepOut, status_code=201)
def record_step(plan_id: int, body: StepIn, session: SessionDep, principal: CurrentUser) -> StepOut:
    entry, alerts = service.record_step(
        session=session,
        actor=principal,
        plan_id=plan_id,
        step=body.step,
        at=body.at,
        location=body.location,
        seals=body.seals,
        detail={"note": body.note} if body.note else None,
    )
    return StepOut(entry=LogEntryOut.model_validate(entry), state=entry.plan.state, alerts_raised=len(alerts))


@router.post("/custody/plans/{plan_id}/sync", response_model=PlanIntelOut | PlanOut)
def sync_events(plan_id: int, session: SessionDep, principal: CurrentUser) -> PlanOut:
    service.sync_events(session=session, actor=principal, plan_id=plan_id)
    return _plan_out(service.get_plan(session=session, actor=principal, plan_id=plan_id), principal)


@router.get("/custody/plans/{plan_id}/verify", response_model=VerifyOut)
def verify_plan(plan_id: int, session: SessionDep, principal: CurrentUser) -> VerifyOut:
    report = service.verify_plan(session=session, actor=principal, plan_id=plan_id)
    return VerifyOut(plan_id=plan_id, entries=report.entries, ok=report.ok, problems=report.problems)


@router.get("/custody/board/{facility_code}", response_model=list[BoardRowOut])
def board(facility_code: str, session: SessionDep, principal: CurrentUser) -> list[BoardRowOut]:
    rows = service.board(session=session, actor=principal, facility_code=facility_code)
    return [BoardRowOut.model_validate(r) for r in rows]


@router.post("/custody/plan-physical-checks", response_model=PlanningRunOut)
def plan_physical_checks(session: SessionDep, principal: CurrentUser) -> PlanningRunOut:
    """Open the plans the recurring job would open now (customs)."""
    run = flows.plan_physical_checks(session=session, actor=principal)
    return PlanningRunOut(**vars(run))


@router.get("/custody/instructions/{facility_code}", response_model=list[InstructionOut])
def terminal_instructions(
    facility_code: str,
    session: SessionDep,
    principal: CurrentUser,
    status: Annotated[str | None, Query(max_length=16)] = None,
) -> list[InstructionOut]:
    rows = instructions.list_instructions(
        session=session, actor=principal, facility_code=facility_code, status=status
    )
    return [InstructionOut.model_validate(r) for r in rows]


@router.post("/custody/instructions/{reference}/ack", response_model=InstructionOut)
def acknowledge(reference: str, body: AckIn, session: SessionDep, principal: CurrentUser) -> InstructionOut:
    row = instructions.acknowledge(
        session=session, actor=principal, reference=reference, accepted=body.accepted, note=body.note
    )
    return InstructionOut.model_validate(row)


@router.get("/custody/unguarded", response_model=list[UnguardedOut])
def unguarded(
    session: SessionDep, principal: CurrentUser, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> list[UnguardedOut]:
    """Unguarded minutes per selected box, per hub, for plans opened in the last `days` days."""
    now = utcnow()
    rows = guarded.by_hub(
        session=session, actor=principal, start=now - timedelta(days=days), end=now, now=now
    )
    return [UnguardedOut.model_validate(r) for r in rows]


@router.post("/custody/seals/{container_number}/check", response_model=int)
def check_seals(container_number: str, session: SessionDep, principal: CurrentUser) -> int:
    return len(seals.check_seals(session=session, actor=principal, container_number=container_number))


@router.post("/custody/telemetry", response_model=TelemetryOut)
def ingest_telemetry(body: TelemetryIn, session: SessionDep, principal: CurrentUser) -> TelemetryOut:
    readings = body.readings + [seals.reading_from_dcsa_iot(e) for e in body.events]
    stored, dups, alerts = seals.ingest_readings(
        session=session, actor=principal, readings=readings, source=f"api:{principal.username}:{body.source}"
    )
    return TelemetryOut(stored=stored, duplicates=dups, alerts_raised=len(alerts))


@router.post("/release/rights", response_model=RightOut, status_code=201)
def issue_right(body: RightIn, session: SessionDep, principal: CurrentUser) -> RightOut:
    right = release.issue_right(session=session, actor=principal, **body.model_dump())
    return RightOut.model_validate(right)


@router.post("/release/rights/{right_id}/nominate", response_model=NominatedOut)
def nominate(right_id: int, body: NominateIn, session: SessionDep, principal: CurrentUser) -> NominatedOut:
    right, token = release.nominate(session=session, actor=principal, right_id=right_id, nominee=body.nominee)
    return NominatedOut(right=RightOut.model_validate(right), token=token)


@router.post("/release/rights/{right_id}/revoke", response_model=RightOut)
def revoke(right_id: int, body: RevokeIn, session: SessionDep, principal: CurrentUser) -> RightOut:
    right = release.revoke_right(session=session, actor=principal, right_id=right_id, reason=body.reason)
    return RightOut.model_validate(right)


@router.get("/release/containers/{container_number}", response_model=list[RightOut])
def lookup(container_number: str, session: SessionDep, principal: CurrentUser) -> list[RightOut]:
    rights = release.lookup_rights(session=session, actor=principal, container_number=container_number)
    return [RightOut.model_validate(r) for r in rights]


def gate_principal(request: Request) -> Principal:
    """Bearer only, cached briefly (custody.gate); a dependency, so an unknown caller gets 401 before the
    body is even validated."""
    return gate.principal_for_bearer(
        request.app.state.session_factory, request.headers.get("authorization", "")
    )


@router.post("/gate/check", response_model=GateCheckOut)
def gate_check(
    body: GateCheckIn,
    request: Request,
    background: BackgroundTasks,
    principal: Annotated[Principal, Depends(gate_principal)],
    idempotency_key: Annotated[
        str | None, Header(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")
    ] = None,
) -> GateCheckOut:
    """Machine to machine, bearer tokens only; the lean path of ``custody.gate`` (no request session).
    A plain ``def``: database waits run in the thread pool, never on the event loop. A refusal's fraud alert
    is raised right after the answer is sent (the decision is stored before the answer; the alert never
    fails the connection). `Idempotency-Key`: one per presentation; a retry with the same key (after a
    lost answer) gets the stored decision instead of `already_used`."""
    factory = request.app.state.session_factory
    answer, alert = gate.check(
        factory=factory, actor=principal, presentation_key=idempotency_key, **body.model_dump()
    )
    if alert is not None:
        background.add_task(alert)
    return GateCheckOut(allowed=answer.allowed, reason=answer.reason, decision_id=answer.decision_id)
