"""The insider list of a police or customs analyst: who looked up which container, when, from where;
filters as the API's (insider.service.list_lookups, which audits every read), CSV export."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.insider import service
from mainport.reference.nodes import NODES
from mainport.web.listing import CSV_LIMIT, csv_response
from mainport.web.templating import add_nav, add_template_dir, render

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")
add_nav("Insider look-ups", "/insider", "insider:read", "Intelligence")
PAGE_SIZE = 50
LOOKUP_CSV = ("at", "username", "org", "hub", "facility", "container", "kind", "object", "device", "place")


def _day(d: date | None, *, end: bool = False) -> datetime | None:
    if d is None:
        return None
    return datetime.combine(d + timedelta(days=1) if end else d, time(0, tzinfo=UTC))


@router.get("/insider")
def lookups_page(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    user: Annotated[str | None, Query(max_length=64)] = None,
    container: Annotated[str | None, Query(max_length=20)] = None,
    org: Annotated[str | None, Query(max_length=32)] = None,
    hub: Annotated[str | None, Query(max_length=32)] = None,
    since: date | None = None,
    until: date | None = None,
    format: Annotated[str, Query(pattern="^(html|csv)$")] = "html",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    common: dict[str, Any] = {
        "session": session,
        "actor": principal,
        "user": user or None,
        "container": container or None,
        "org": org or None,
        "hub": hub or None,
        "since": _day(since),
        "until": _day(until, end=True),
    }
    if format == "csv":
        rows, _ = service.list_lookups(**common, limit=min(CSV_LIMIT, 10_000))
        return csv_response(
            "insider-lookups",
            LOOKUP_CSV,
            ((r.at, r.username, r.org_code, r.hub, r.facility_code, r.container_number, r.kind, r.object,
              r.device, r.place) for r in rows),
        )  # fmt: skip
    rows, total = service.list_lookups(**common, limit=PAGE_SIZE, offset=offset)
    params = {"user": user, "container": container, "org": org, "hub": hub, "since": since, "until": until}
    ctx = {
        "rows": rows,
        "total": total,
        "offset": offset,
        "size": PAGE_SIZE,
        "hubs": list(NODES),
        "f": {k: v or "" for k, v in params.items()},
        "params": {k: v for k, v in params.items() if v},
    }
    return render(request, "insider/lookups.html", ctx, principal=principal)
