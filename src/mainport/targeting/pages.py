"""Web pages: today's selection per hub (with the intelligence in force), a declaration with its journey and
an outcome form, and the intelligence page (watch list and tips, with forms to add, revoke and close)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from mainport import flows
from mainport.api.deps import CurrentUser, SessionDep
from mainport.database.sorting import parse_sort
from mainport.errors import Conflict, ValidationFailed
from mainport.reference.nodes import NODES
from mainport.targeting import intelligence, lists, rules_page, service
from mainport.targeting.selection import Capacity
from mainport.targeting.watchlist import KINDS
from mainport.web.listing import CSV_LIMIT, csv_response
from mainport.web.listing import Query as ListQuery
from mainport.web.templating import add_nav, add_template_dir, render

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")
add_nav("Selection", "/targeting", "intel:read", "Today")
add_nav("Intelligence", "/targeting/intel", "intel:read", "Intelligence")
add_nav("Rules and models", "/targeting/rules", "targeting:admin", "Admin")
router.include_router(rules_page.router)  # before /targeting/{hub}, which would take /targeting/rules


def _moment(value: str, what: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        t = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(f"{what}: {value!r} is not a date or time") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _intel_page(
    request: Request,
    session: Any,
    principal: Any,
    *,
    error: str = "",
    saved: str = "",
    status_code: int = 200,
) -> Response:
    entries = intelligence.list_watch_entries(session=session, actor=principal)
    tips = intelligence.list_tips(session=session, actor=principal)
    return render(
        request,
        "targeting/intel.html",
        {
            "entries": entries,
            "tips": tips,
            "kinds": KINDS,
            "hubs": list(NODES),
            "error": error,
            "saved": saved,
            "can_write": principal.can("intel:write"),
        },
        principal=principal,
        status_code=status_code,
    )


@router.get("/targeting/intel")
def intel_page(request: Request, session: SessionDep, principal: CurrentUser, saved: str = "") -> Response:
    return _intel_page(request, session, principal, saved=saved)


@router.post("/targeting/intel/watch")
def add_watch_entry(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    kind: Annotated[str, Form(max_length=16)],
    value: Annotated[str, Form(max_length=64)],
    reason: Annotated[str, Form(max_length=2000)],
    source: Annotated[str, Form(max_length=100)],
    owner: Annotated[str, Form(max_length=100)],
    weight: Annotated[float, Form()] = 0.5,
    hub: Annotated[str, Form(max_length=32)] = "",
    valid_to: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    try:
        intelligence.add_watch_entry(
            session=session,
            actor=principal,
            kind=kind,
            value=value,
            owner=owner,
            reason=reason,
            source=source,
            weight=weight,
            hub=hub or None,
            valid_to=_moment(valid_to, "valid until"),
        )
    except ValidationFailed as exc:
        return _intel_page(request, session, principal, error=exc.message, status_code=422)
    return RedirectResponse("/targeting/intel?saved=watch", status_code=303)


@router.post("/targeting/intel/watch/{entry_id}/revoke")
def revoke_watch_entry(
    entry_id: int, session: SessionDep, principal: CurrentUser, reason: Annotated[str, Form(max_length=2000)]
) -> Response:
    intelligence.revoke_watch_entry(session=session, actor=principal, entry_id=entry_id, reason=reason)
    return RedirectResponse("/targeting/intel?saved=revoked", status_code=303)


@router.post("/targeting/intel/tips")
def add_tip(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    reference: Annotated[str, Form(max_length=64)],
    source: Annotated[str, Form(max_length=100)],
    summary: Annotated[str, Form(max_length=2000)],
    window_from: Annotated[str, Form(max_length=32)],
    window_to: Annotated[str, Form(max_length=32)],
    hub: Annotated[str, Form(max_length=32)] = "",
    container_number: Annotated[str, Form(max_length=20)] = "",
    vessel_imo: Annotated[str, Form(max_length=12)] = "",
    party_eori: Annotated[str, Form(max_length=17)] = "",
    place_of_loading: Annotated[str, Form(max_length=5)] = "",
    hs_prefix: Annotated[str, Form(max_length=13)] = "",
) -> Response:
    try:
        start, end = _moment(window_from, "window from"), _moment(window_to, "window to")
        if start is None or end is None:
            raise ValidationFailed("window: give both ends")
        intelligence.add_tip(
            session=session,
            actor=principal,
            reference=reference,
            source=source,
            summary=summary,
            window_from=start,
            window_to=end,
            hub=hub or None,
            container_number=container_number or None,
            vessel_imo=vessel_imo or None,
            party_eori=party_eori or None,
            place_of_loading=place_of_loading or None,
            hs_prefix=hs_prefix or None,
        )
    except ValidationFailed as exc:
        return _intel_page(request, session, principal, error=exc.message, status_code=422)
    return RedirectResponse("/targeting/intel?saved=tip", status_code=303)


@router.post("/targeting/intel/tips/{tip_id}/close")
def close_tip(
    tip_id: int, session: SessionDep, principal: CurrentUser, note: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    intelligence.close_tip(session=session, actor=principal, tip_id=tip_id, note=note)
    return RedirectResponse("/targeting/intel?saved=closed", status_code=303)


@router.get("/targeting/declarations/{declaration_id}")
def declaration_page(
    request: Request, declaration_id: int, session: SessionDep, principal: CurrentUser, saved: int = 0
) -> Response:
    detail = service.declaration_detail(session=session, actor=principal, declaration_id=declaration_id)
    return render(
        request, "targeting/declaration.html", {**detail, "saved": bool(saved)}, principal=principal
    )


@router.post("/targeting/declarations/{declaration_id}/outcome")
def record_outcome(
    declaration_id: int,
    session: SessionDep,
    principal: CurrentUser,
    result: Annotated[str, Form()],
    kg_found: Annotated[float, Form()] = 0.0,
    notes: Annotated[str, Form()] = "",
) -> Response:
    flows.record_outcome(
        session=session,
        actor=principal,
        declaration_id=declaration_id,
        result=result,
        kg=kg_found,
        notes=notes,
    )
    return RedirectResponse(f"/targeting/declarations/{declaration_id}?saved=1", status_code=303)


@router.get("/targeting")
def my_hub(principal: CurrentUser) -> Response:
    # The analyst's own hub first; the hub page switches hubs and days.
    principal.require("intel:read")
    hub = principal.node_code if principal.node_code in NODES else next(iter(NODES))
    return RedirectResponse(f"/targeting/{hub}", status_code=303)


SELECTION_CSV = ("id", "hub", "day", "strategy", "candidates", "selected", "recorded", "found", "created_by")


@router.get("/targeting/selections")
def selections_page(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    hub: Annotated[str | None, Query(max_length=32)] = None,
    since: date | None = None,
    until: date | None = None,
    sort: Annotated[str | None, Query(max_length=32)] = None,
    format: Annotated[str, Query(pattern="^(html|csv)$")] = "html",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    order = parse_sort(sort, lists.SELECTION_SORTS, "-day")
    common: dict[str, Any] = {
        "session": session,
        "actor": principal,
        "hub": hub or None,
        "since": since,
        "until": until,
    }
    if format == "csv":
        rows, _ = lists.search_selections(**common, sort=order, limit=CSV_LIMIT)
        return csv_response(
            "selections",
            SELECTION_CSV,
            ((r.id, r.hub, r.day, r.strategy, r.candidates, r.selected, r.recorded, r.found, r.created_by)
             for r in rows),
        )  # fmt: skip
    rows, total = lists.search_selections(**common, sort=order, limit=50, offset=offset)
    params = {"hub": hub, "since": since, "until": until}
    ctx = {"rows": rows, "total": total, "offset": offset, "size": 50, "hubs": list(NODES),
           "f": {k: v or "" for k, v in params.items()},
           "query": ListQuery("/targeting/selections", params, order)}  # fmt: skip
    return render(request, "targeting/selections.html", ctx, principal=principal)


def _hub_page(
    request: Request,
    session: Any,
    principal: Any,
    hub: str,
    day: date,
    *,
    error: str = "",
    status_code: int = 200,
) -> Response:
    sel = service.get_selection(session=session, actor=principal, hub=hub, day=day)
    intel = intelligence.summary(session, actor=principal, hub=hub, day=day)
    ctx = {"hub": hub, "day": day, "selection": sel, "intel": intel, "hubs": list(NODES), "error": error,
           "may_run": principal.can("targeting:admin")}  # fmt: skip
    return render(request, "targeting/hub.html", ctx, principal=principal, status_code=status_code)


@router.post("/targeting/{hub}/run")
def run_selection(
    request: Request,
    hub: str,
    session: SessionDep,
    principal: CurrentUser,
    day: Annotated[date, Form()],
    capacity_scan: Annotated[int | None, Form(ge=0, le=10_000)] = None,
    capacity_physical: Annotated[int, Form(ge=0, le=10_000)] = 0,
    exploration_share: Annotated[float, Form(ge=0.0, le=1.0)] = 0.10,
) -> Response:
    """Run the day's selection from the page: the same service (and rights) as POST /api/v1/targeting/..."""
    cap = Capacity(scan=capacity_scan, physical=capacity_physical) if capacity_scan is not None else None
    try:
        service.run_selection(
            session=session,
            actor=principal,
            hub=hub,
            day=day,
            capacity=cap,
            exploration_share=exploration_share,
        )
    except (ValidationFailed, Conflict) as exc:
        return _hub_page(
            request, session, principal, hub, day, error=exc.message, status_code=exc.status_code
        )
    return RedirectResponse(f"/targeting/{hub}?day={day}", status_code=303)


@router.get("/targeting/{hub}")
def hub_page(
    request: Request,
    hub: str,
    session: SessionDep,
    principal: CurrentUser,
    day: date | None = None,
    switch: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    day = day or datetime.now(UTC).date()
    if switch and switch != hub and switch in NODES:  # the hub picker of the page (works without script)
        return RedirectResponse(f"/targeting/{switch}?day={day}", status_code=303)
    return _hub_page(request, session, principal, hub, day)
