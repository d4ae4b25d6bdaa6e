"""Pages: overview per hub, declaration and container lists (filters, sort, text search, CSV), and a
container's journey with everything linked to it (declarations, events, scans, alerts, cases, custody)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from mainport import flows
from mainport.api.deps import CurrentUser, SessionDep
from mainport.cases import search as case_search
from mainport.custody import service as custody
from mainport.database.sorting import parse_sort
from mainport.reference.nodes import NODES
from mainport.shipments import journey_map, lists, service
from mainport.web import today
from mainport.web.listing import CSV_LIMIT, csv_response
from mainport.web.listing import Query as ListQuery
from mainport.web.templating import add_template_dir, render

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")
PAGE_SIZE = 50
UTC_MIDNIGHT = time(0, 0, tzinfo=UTC)
DECLARATION_CSV = (
    "id", "reference", "filed_at", "hub", "mode", "place_of_loading", "place_of_discharge", "routing",
    "hs_code", "goods", "gross_mass_kg", "container", "bill_of_lading", "vessel_imo", "consignor",
    "consignee",
)  # fmt: skip
CONTAINER_CSV = ("number", "size_type", "shipper_owned", "first_seen", "last_seen", "events")


@router.get("/")
def overview_page(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    data = flows.hub_overview(session=session, actor=principal)
    data["work"] = today.work_items(session=session, actor=principal)
    return render(request, "shipments/overview.html", data, principal=principal)


def _day_start(day: date | None) -> datetime | None:
    return datetime.combine(day, UTC_MIDNIGHT) if day else None


@router.get("/declarations")
def declarations_page(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    q: Annotated[str | None, Query(max_length=100)] = None,
    hub: Annotated[str | None, Query(max_length=32)] = None,
    mode: Annotated[str | None, Query(pattern="^(|sea|air|road)$")] = None,
    loading: Annotated[str | None, Query(max_length=5)] = None,
    since: date | None = None,
    until: date | None = None,
    sort: Annotated[str | None, Query(max_length=32)] = None,
    format: Annotated[str, Query(pattern="^(html|csv)$")] = "html",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    end = _day_start(until + timedelta(days=1)) if until else None
    f = lists.DeclarationFilter(
        q=q, hub=hub or None, mode=mode or None, loading=loading or None, since=_day_start(since), until=end
    )
    order = parse_sort(sort, list(lists.DECLARATION_SORTS), "-filed_at")
    if format == "csv":
        rows, _ = lists.search_declarations(
            session=session, actor=principal, f=f, sort=order, limit=CSV_LIMIT
        )
        return csv_response(
            "declarations",
            DECLARATION_CSV,
            (
                (d.id, d.reference, d.filed_at, d.hub, d.mode, d.place_of_loading, d.place_of_discharge,
                 d.countries_of_routing, d.hs_code, d.goods_description, d.gross_mass_kg, d.container_number,
                 d.bill_of_lading, d.vessel_imo, d.consignor.name, d.consignee.name)
                for d in rows
            ),
        )  # fmt: skip
    rows, total = lists.search_declarations(
        session=session, actor=principal, f=f, sort=order, limit=PAGE_SIZE, offset=offset
    )
    params = {"q": q, "hub": hub, "mode": mode, "loading": loading, "since": since, "until": until}
    ctx = {
        "rows": rows,
        "total": total,
        "f": {k: v or "" for k, v in params.items()},
        "hubs": list(NODES),
        "query": ListQuery("/declarations", params, order),
        "offset": offset,
        "size": PAGE_SIZE,
        "intel": principal.can("intel:read"),
    }
    return render(request, "shipments/declarations.html", ctx, principal=principal)


@router.get("/containers")
def containers_page(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    q: Annotated[str | None, Query(max_length=40)] = None,
    hub: Annotated[str | None, Query(max_length=32)] = None,
    sort: Annotated[str | None, Query(max_length=32)] = None,
    format: Annotated[str, Query(pattern="^(html|csv)$")] = "html",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    order = parse_sort(sort, lists.CONTAINER_SORTS, "number")
    common: dict[str, Any] = {
        "session": session,
        "actor": principal,
        "q": q,
        "hub": hub or None,
        "sort": order,
    }
    if format == "csv":
        rows, _ = lists.search_containers(**common, limit=CSV_LIMIT)
        return csv_response(
            "containers",
            CONTAINER_CSV,
            ((c.number, c.size_type, c.shipper_owned, c.first_seen, c.last_seen, c.events) for c in rows),
        )
    rows, total = lists.search_containers(**common, limit=PAGE_SIZE, offset=offset)
    params = {"q": q, "hub": hub}
    ctx = {
        "rows": rows,
        "total": total,
        "f": {k: v or "" for k, v in params.items()},
        "hubs": list(NODES),
        "query": ListQuery("/containers", params, order),
        "offset": offset,
        "size": PAGE_SIZE,
    }
    return render(request, "shipments/containers.html", ctx, principal=principal)


@router.get("/containers/{number}")
def container_page(request: Request, number: str, session: SessionDep, principal: CurrentUser) -> Response:
    journey = service.container_journey(session=session, actor=principal, number=number)
    box = journey.container.number
    related: dict[str, object] = {"alerts": [], "cases": [], "plans": [], "scans": []}
    if principal.can("intel:read"):
        every = parse_sort(None, list(case_search.ALERT_SORTS), "-raised_at")
        related["alerts"], _ = case_search.search_alerts(
            session=session,
            actor=principal,
            f=case_search.AlertFilter(status=None, container=box),
            sort=every,
        )
        related["cases"], _ = case_search.search_cases(
            session=session,
            actor=principal,
            f=case_search.CaseFilter(status=None, container=box),
            sort=parse_sort(None, list(case_search.CASE_SORTS), "-opened_at"),
        )
    if principal.can("custody:read"):
        related["plans"] = custody.plans_for_container(session=session, actor=principal, container_number=box)
    related["scans"] = lists.scans_of(session, principal, box)
    ctx = {
        "j": journey,
        "related": related,
        "map": journey_map.draw(journey.events),
        "intel": principal.can("intel:read"),
        "may_release": principal.can("custody:read"),
        "may_open_plan": principal.can("intel:write") and principal.can("custody:write"),
        "last_facility": next((e.facility_code for e in reversed(journey.events) if e.facility_code), ""),
    }
    return render(request, "shipments/container.html", ctx, principal=principal)
