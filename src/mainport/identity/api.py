from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from mainport.api.deps import CurrentUser

router = APIRouter(tags=["identity"])


class MeOut(BaseModel):
    username: str
    role: str
    organisation: str
    organisation_kind: str
    node: str | None


@router.get("/me", response_model=MeOut)
def me(principal: CurrentUser) -> MeOut:
    return MeOut(
        username=principal.username,
        role=principal.role.value,
        organisation=principal.org_code,
        organisation_kind=principal.org_kind.value,
        node=principal.node_code,
    )
