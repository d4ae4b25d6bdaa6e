"""Thin handlers over the shipment journey services."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from mainport import flows
from mainport.api.deps import CurrentUser, SessionDep
from mainport.api.pagination import Page, PageDep
from mainport.identity import policy
from mainport.shipments import service
from mainport.shipments.schemas import (
    ContainerOut,
    DeclarationOut,
    EventOut,
    HubCountsOut,
    JourneyOut,
    OverviewOut,
)

router = APIRouter(tags=["shipments"])


@router.get("/overview", response_model=OverviewOut)
def overview(session: SessionDep, principal: CurrentUser) -> OverviewOut:
    data = flows.hub_overview(session=session, actor=principal)
    return OverviewOut(
        hubs=[HubCountsOut(**asdict(h)) for h in data["hubs"]],
        quarantined=data["quarantined"],
        shows_declarations=data["shows_declarations"],
    )


@router.get("/declarations", response_model=Page[DeclarationOut])
def list_declarations(
    session: SessionDep,
    principal: CurrentUser,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    hub: Annotated[str | None, Query(max_length=32)] = None,
) -> Page[DeclarationOut]:
    rows, total = service.search_declarations(
        session=session, actor=principal, q=q, hub=hub, limit=page.limit, offset=page.offset
    )
    return Page(
        items=[policy.redact(principal, "declarations", DeclarationOut.model_validate(r)) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/declarations/{declaration_id}", response_model=DeclarationOut)
def get_declaration(declaration_id: int, session: SessionDep, principal: CurrentUser) -> DeclarationOut:
    decl = service.get_declaration(session=session, actor=principal, declaration_id=declaration_id)
    # Field-level pseudonymisation where the caller's agreement for declarations says so.
    return policy.redact(principal, "declarations", DeclarationOut.model_validate(decl))


@router.get("/containers", response_model=Page[ContainerOut])
def list_containers(
    session: SessionDep,
    principal: CurrentUser,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=20)] = None,
) -> Page[ContainerOut]:
    rows, total = service.search_containers(
        session=session, actor=principal, q=q, limit=page.limit, offset=page.offset
    )
    return Page(
        items=[ContainerOut.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/containers/{number}/journey", response_model=JourneyOut)
def container_journey(number: str, session: SessionDep, principal: CurrentUser) -> JourneyOut:
    j = service.container_journey(session=session, actor=principal, number=number)
    return JourneyOut(
        container=ContainerOut.model_validate(j.container),
        events=[EventOut.model_validate(e) for e in j.events],
        declarations=[
            policy.redact(principal, "declarations", DeclarationOut.model_validate(d)) for d in j.declarations
        ],
    )
