"""Targeting API: selections per hub and day, declaration detail, outcomes, rule profiles, models."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, status

from mainport import flows
from mainport.api.deps import CurrentUser, SessionDep
from mainport.errors import NotFound
from mainport.targeting import intelligence, service
from mainport.targeting.schemas import (
    CloseIn,
    InspectionOut,
    ModelOut,
    OutcomeIn,
    RevokeIn,
    RuleOut,
    RuleProfileIn,
    RuleProfileOut,
    SelectionOut,
    SelectionRequest,
    TipIn,
    TipOut,
    TrainRequest,
    WatchEntryIn,
    WatchEntryOut,
)
from mainport.targeting.selection import Capacity

router = APIRouter(prefix="/targeting", tags=["targeting"])


@router.get("/selections/{hub}", response_model=SelectionOut)
def get_selection(hub: str, session: SessionDep, user: CurrentUser, day: date | None = None) -> Any:
    day = day or datetime.now(UTC).date()
    sel = service.get_selection(session=session, actor=user, hub=hub, day=day)
    if sel is None:
        raise NotFound(f"no selection for {hub} on {day}")
    return sel


@router.post("/selections/{hub}", response_model=SelectionOut, status_code=status.HTTP_201_CREATED)
def create_selection(hub: str, body: SelectionRequest, session: SessionDep, user: CurrentUser) -> Any:
    cap = None
    if body.capacity_scan is not None:
        cap = Capacity(scan=body.capacity_scan, physical=body.capacity_physical or 0)
    return service.run_selection(
        session=session,
        actor=user,
        hub=hub,
        day=body.day,
        capacity=cap,
        exploration_share=body.exploration_share,
        strategy=body.strategy,
        seed=body.seed,
    )


@router.get("/declarations/{declaration_id}")
def declaration_detail(declaration_id: int, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    d = service.declaration_detail(session=session, actor=user, declaration_id=declaration_id)
    decl = d["declaration"]
    return {
        "declaration": {
            c: getattr(decl, c)
            for c in (
                "id",
                "reference",
                "filed_at",
                "hub",
                "place_of_loading",
                "hs_code",
                "goods_description",
                "container_number",
            )
        },
        "selections": [
            {
                "selection_id": i.selection_id,
                "rank": i.rank,
                "score": i.score,
                "strategy": i.strategy,
                "propensity": i.propensity,
                "reasons": i.reasons,
            }
            for i in d["items"]
        ],
        "journey": [
            {"at": e.event_datetime, "type": e.type_code, "place": e.unlocode, "seals": e.seals}
            for e in d["events"]
        ],
        "inspections": [InspectionOut.model_validate(i).model_dump() for i in d["inspections"]],
    }


@router.post(
    "/declarations/{declaration_id}/outcome",
    response_model=InspectionOut,
    status_code=status.HTTP_201_CREATED,
)
def record_outcome(declaration_id: int, body: OutcomeIn, session: SessionDep, user: CurrentUser) -> Any:
    return flows.record_outcome(
        session=session,
        actor=user,
        declaration_id=declaration_id,
        result=body.result,
        kg=body.kg_found,
        kind=body.kind,
        notes=body.notes,
    ).inspection


@router.get("/rules", response_model=list[RuleOut])
def list_rules(session: SessionDep, user: CurrentUser) -> Any:
    return [
        {k: v for k, v in asdict(r).items() if k != "condition"}
        for r in service.list_rules(session=session, actor=user)
    ]


@router.post("/rules", response_model=RuleProfileOut, status_code=status.HTTP_201_CREATED)
def add_rules(body: RuleProfileIn, session: SessionDep, user: CurrentUser) -> Any:
    return service.add_rule_profile(session=session, actor=user, yaml_text=body.yaml_text)


@router.post("/models", response_model=ModelOut, status_code=status.HTTP_201_CREATED)
def train_model(body: TrainRequest, session: SessionDep, user: CurrentUser) -> Any:
    return service.train_model(session=session, actor=user, until=body.until, rounds=body.rounds)


@router.get("/hit-rates")
def hit_rates(session: SessionDep, user: CurrentUser, hub: str | None = None) -> dict[str, Any]:
    return service.hit_rates(session=session, actor=user, hub=hub)


@router.get("/watch-list", response_model=list[WatchEntryOut])
def list_watch_list(
    session: SessionDep, user: CurrentUser, include_ended: bool = False, hub: str | None = None
) -> Any:
    return intelligence.list_watch_entries(session=session, actor=user, include_ended=include_ended, hub=hub)


@router.post("/watch-list", response_model=WatchEntryOut, status_code=status.HTTP_201_CREATED)
def add_watch_entry(body: WatchEntryIn, session: SessionDep, user: CurrentUser) -> Any:
    return intelligence.add_watch_entry(session=session, actor=user, **body.model_dump())


@router.post("/watch-list/{entry_id}/revoke", response_model=WatchEntryOut)
def revoke_watch_entry(entry_id: int, body: RevokeIn, session: SessionDep, user: CurrentUser) -> Any:
    return intelligence.revoke_watch_entry(session=session, actor=user, entry_id=entry_id, reason=body.reason)


@router.get("/tips", response_model=list[TipOut])
def list_tips(
    session: SessionDep, user: CurrentUser, status: str | None = "open", hub: str | None = None
) -> Any:
    return intelligence.list_tips(session=session, actor=user, status=status or None, hub=hub)


@router.post("/tips", response_model=TipOut, status_code=status.HTTP_201_CREATED)
def add_tip(body: TipIn, session: SessionDep, user: CurrentUser) -> Any:
    return intelligence.add_tip(session=session, actor=user, **body.model_dump())


@router.post("/tips/{tip_id}/close", response_model=TipOut)
def close_tip(tip_id: int, body: CloseIn, session: SessionDep, user: CurrentUser) -> Any:
    return intelligence.close_tip(session=session, actor=user, tip_id=tip_id, note=body.note)
