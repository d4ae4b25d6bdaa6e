"""Reference data over HTTP: read-only, for any authenticated user."""

from __future__ import annotations

from fastapi import APIRouter

from mainport.api.deps import CurrentUser, SessionDep
from mainport.reference import service
from mainport.reference.containers import parse_container_number
from mainport.reference.schemas import ContainerCheck, LocationOut, NodeOut

router = APIRouter(prefix="/reference", tags=["reference"])


@router.get("/nodes", response_model=list[NodeOut])
def get_nodes(session: SessionDep, user: CurrentUser) -> list[NodeOut]:
    return [NodeOut.model_validate(n) for n in service.list_nodes(session=session, actor=user)]


@router.get("/locations", response_model=list[LocationOut])
def get_locations(
    session: SessionDep, user: CurrentUser, role: str | None = None, node: str | None = None
) -> list[LocationOut]:
    rows = service.list_locations(session=session, actor=user, role=role, node_code=node)
    return [LocationOut.model_validate(r) for r in rows]


@router.get("/containers/{number}/validate", response_model=ContainerCheck)
def validate_container(number: str, user: CurrentUser) -> ContainerCheck:
    # An invalid number is an answer, not an error: 200 with the precise reason.
    del user
    try:
        c = parse_container_number(number)
    except ValueError as exc:
        return ContainerCheck(number=number, valid=False, error=str(exc))
    return ContainerCheck(
        number=str(c),
        valid=True,
        owner_code=c.owner_code,
        category=c.category,
        serial=c.serial,
        check_digit=c.check_digit,
    )
