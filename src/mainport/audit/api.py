from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from mainport.api.deps import CurrentUser, SessionDep
from mainport.api.pagination import PageDep
from mainport.audit import service

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    seq: int
    at: datetime
    actor: str
    actor_org: str
    action: str
    entity_type: str
    entity_id: str
    detail: dict[str, Any]
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    problems: list[str]


@router.get("/entries", response_model=list[AuditEntryOut])
def entries(session: SessionDep, principal: CurrentUser, page: PageDep) -> list[AuditEntryOut]:
    rows = service.list_entries(session=session, actor=principal, limit=page.limit, offset=page.offset)
    return [AuditEntryOut.model_validate(r) for r in rows]


@router.get("/verify", response_model=VerifyOut)
def verify(session: SessionDep, principal: CurrentUser) -> VerifyOut:
    r = service.verify_for(session=session, actor=principal)
    return VerifyOut(
        ok=r.ok, entries=r.entries, head_seq=r.head_seq, head_hash=r.head_hash, problems=r.problems
    )
