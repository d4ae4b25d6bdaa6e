"""Web pages of sharing: agreements (grant, revoke), partners (register), requests (ask, approve, refuse)
and delegation evidence (add, revoke), with the month's figures. Every form goes through the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.database import utcnow
from mainport.errors import ValidationFailed
from mainport.identity.models import OrgKind
from mainport.sharing import delegations, figures, requests, service
from mainport.sharing.pdp import ACTIONS, CONDITIONS
from mainport.web.templating import add_nav, add_template_dir, render

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")
add_nav("Sharing", "/sharing", "sharing:read", "Admin")
add_nav("Sharing requests", "/sharing/requests", "sharing:read", "Admin")

Text = Annotated[str, Form(max_length=2000)]
Short = Annotated[str, Form(max_length=64)]


def _day(value: str, what: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        t = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(f"{what}: {value!r} is not a date") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _register(session: Any, principal: Any) -> dict[str, Any]:
    return {
        "categories": service.categories(session=session, actor=principal),
        "purposes": service.purposes(session=session, actor=principal),
        "bases": service.legal_bases(session=session, actor=principal),
        "kinds": [k.value for k in OrgKind],
        "actions": ACTIONS,
        "conditions": sorted(CONDITIONS),
        "can_admin": principal.can("sharing:admin"),
    }


def _page(
    request: Request,
    session: Any,
    principal: Any,
    name: str,
    build: Callable[[], dict[str, Any]],
    **extra: Any,
) -> Response:
    ctx = (
        _register(session, principal)
        | build()
        | {"error": extra.get("error", ""), "saved": extra.get("saved", "")}
    )
    return render(request, name, ctx, principal=principal, status_code=extra.get("status_code", 200))


def _act(
    request: Request,
    session: Any,
    principal: Any,
    name: str,
    build: Callable[[], dict[str, Any]],
    done: str,
    action: Callable[[], Any],
) -> Response:
    """Run a form's action; a user mistake shows the page again with one line saying what to fix."""
    try:
        action()
    except ValidationFailed as exc:
        session.rollback()
        return _page(request, session, principal, name, build, error=exc.message, status_code=422)
    return RedirectResponse(done, status_code=303)


def _agreements(session: Any, principal: Any) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        month = utcnow().strftime("%Y-%m")
        rows = figures.figures(session=session, actor=principal, month=month)
        return {
            "agreements": service.list_agreements(session=session, actor=principal),
            "figures": rows,
            "month": month,
        }

    return build


@router.get("/sharing")
def agreements_page(
    request: Request, session: SessionDep, principal: CurrentUser, saved: str = ""
) -> Response:
    return _page(
        request, session, principal, "sharing/agreements.html", _agreements(session, principal), saved=saved
    )


@router.post("/sharing/agreements")
def grant(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    category: Short,
    purpose: Short,
    legal_basis: Short,
    actions: Annotated[list[str], Form()],
    partner: Short = "",
    partner_kind: Short = "",
    conditions: Annotated[list[str] | None, Form()] = None,
    valid_to: Short = "",
    note: Text = "",
) -> Response:
    return _act(
        request,
        session,
        principal,
        "sharing/agreements.html",
        _agreements(session, principal),
        "/sharing?saved=agreement",
        lambda: service.create_agreement(
            session=session,
            actor=principal,
            category_code=category,
            actions=actions,
            purpose_code=purpose,
            legal_basis_code=legal_basis,
            partner_org=partner or None,
            partner_kind=None if partner else (partner_kind or None),
            conditions=conditions or [],
            valid_to=_day(valid_to, "valid until"),
            note=note,
        ),
    )


@router.post("/sharing/agreements/{agreement_id}/revoke")
def revoke(
    agreement_id: int, request: Request, session: SessionDep, principal: CurrentUser, reason: Text
) -> Response:
    return _act(
        request,
        session,
        principal,
        "sharing/agreements.html",
        _agreements(session, principal),
        "/sharing?saved=revoked",
        lambda: service.revoke_agreement(
            session=session, actor=principal, agreement_id=agreement_id, reason=reason
        ),
    )


def _partners(session: Any, principal: Any) -> Callable[[], dict[str, Any]]:
    return lambda: {"partners": service.partners(session=session, actor=principal)}


@router.get("/sharing/partners")
def partners_page(request: Request, session: SessionDep, principal: CurrentUser, saved: str = "") -> Response:
    return _page(
        request, session, principal, "sharing/partners.html", _partners(session, principal), saved=saved
    )


@router.post("/sharing/partners")
def register_partner(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    org_code: Short,
    party_id: Short = "",
    contact: Text = "",
) -> Response:
    return _act(
        request,
        session,
        principal,
        "sharing/partners.html",
        _partners(session, principal),
        "/sharing/partners?saved=partner",
        lambda: service.register_partner(
            session=session, actor=principal, org_code=org_code, party_id=party_id, contact=contact
        ),
    )


def _requests(session: Any, principal: Any) -> Callable[[], dict[str, Any]]:
    return lambda: {
        "requests": requests.list_requests(session=session, actor=principal),
        "owner_of": lambda r: service.owns(principal, r.owner_org),
    }


@router.get("/sharing/requests")
def requests_page(request: Request, session: SessionDep, principal: CurrentUser, saved: str = "") -> Response:
    return _page(
        request, session, principal, "sharing/requests.html", _requests(session, principal), saved=saved
    )


@router.post("/sharing/requests")
def ask(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    owner_org: Short,
    category: Short,
    purpose: Short,
    legal_basis: Short,
    justification: Text,
    conditions: Annotated[list[str] | None, Form()] = None,
    open_days: Annotated[int, Form(ge=1, le=90)] = 14,
    wanted_until: Short = "",
) -> Response:
    return _act(
        request,
        session,
        principal,
        "sharing/requests.html",
        _requests(session, principal),
        "/sharing/requests?saved=asked",
        lambda: requests.ask(
            session=session,
            actor=principal,
            owner_org=owner_org,
            category_code=category,
            purpose_code=purpose,
            legal_basis_code=legal_basis,
            justification=justification,
            conditions=conditions or [],
            open_days=open_days,
            wanted_until=_day(wanted_until, "wanted until"),
        ),
    )


@router.post("/sharing/requests/{request_id}/decide")
def decide(
    request_id: int,
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    decision: Short,
    reason: Text = "",
) -> Response:
    def run() -> Any:
        if decision == "approve":
            return requests.approve(session=session, actor=principal, request_id=request_id, reason=reason)
        if decision == "refuse":
            return requests.refuse(session=session, actor=principal, request_id=request_id, reason=reason)
        raise ValidationFailed(f"decision: {decision!r} is neither approve nor refuse")

    return _act(
        request,
        session,
        principal,
        "sharing/requests.html",
        _requests(session, principal),
        f"/sharing/requests?saved={decision}",
        run,
    )


def _delegations(session: Any, principal: Any) -> Callable[[], dict[str, Any]]:
    return lambda: {"delegations": delegations.list_delegations(session=session, actor=principal)}


@router.get("/sharing/delegations")
def delegations_page(
    request: Request, session: SessionDep, principal: CurrentUser, saved: str = ""
) -> Response:
    return _page(
        request, session, principal, "sharing/delegations.html", _delegations(session, principal), saved=saved
    )


@router.post("/sharing/delegations")
def delegate(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    delegate_org: Short,
    evidence: Text,
    not_on_or_after: Short,
    container_number: Short = "",
) -> Response:
    def run() -> Any:
        until = _day(not_on_or_after, "valid until")
        if until is None:
            raise ValidationFailed("valid until: give the last day of the delegation")
        return delegations.add_delegation(
            session=session,
            actor=principal,
            delegate_org=delegate_org,
            evidence=evidence,
            not_on_or_after=until,
            container_number=container_number or None,
        )

    return _act(
        request,
        session,
        principal,
        "sharing/delegations.html",
        _delegations(session, principal),
        "/sharing/delegations?saved=delegation",
        run,
    )


@router.post("/sharing/delegations/{delegation_id}/revoke")
def revoke_delegation(
    delegation_id: int, request: Request, session: SessionDep, principal: CurrentUser
) -> Response:
    return _act(
        request,
        session,
        principal,
        "sharing/delegations.html",
        _delegations(session, principal),
        "/sharing/delegations?saved=revoked",
        lambda: delegations.revoke_delegation(session=session, actor=principal, delegation_id=delegation_id),
    )
