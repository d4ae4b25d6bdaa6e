"""Insider API: staff look-ups of container data (needs insider:read; every read is audited)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from mainport.api.deps import CurrentUser, SessionDep
from mainport.api.pagination import Page, PageDep
from mainport.insider import service
from mainport.insider.schemas import StaffLookupOut

router = APIRouter(tags=["insider"])


@router.get("/insider/lookups", response_model=Page[StaffLookupOut])
def lookups(
    session: SessionDep,
    principal: CurrentUser,
    page: PageDep,
    user: str | None = None,
    container: str | None = None,
    org: str | None = None,
    hub: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[StaffLookupOut]:
    items, total = service.list_lookups(
        session=session,
        actor=principal,
        user=user,
        container=container,
        org=org,
        hub=hub,
        kind=kind,
        since=since,
        until=until,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[StaffLookupOut.model_validate(i) for i in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
