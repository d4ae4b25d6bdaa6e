"""Sharing requests: a partner asks an owner for a category for a purpose; the owner approves (an agreement
follows, valid as long as asked) or refuses with a reason; undecided requests expire. Every step is audited
with the pair and the category, so that the monthly figures count requests and refusals from the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, true, update
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.database import utcnow
from mainport.errors import NotFound, PermissionDenied, ValidationFailed
from mainport.identity.principal import Principal
from mainport.sharing import service
from mainport.sharing.models import LegalBasis, Purpose, SharingRequest
from mainport.sharing.pdp import ACTIONS, CONDITIONS

STATUSES = ("open", "approved", "refused", "expired", "withdrawn")
MAX_OPEN_DAYS = 90


def _audit(session: Session, actor: Principal, verb: str, req: SharingRequest, **extra: object) -> None:
    audit.record(
        session=session,
        actor=actor,
        action=f"sharing.request.{verb}",
        entity_type="sharing_request",
        entity_id=str(req.id),
        detail={"owner": req.owner_org, "partner": req.requester_org, "category": req.category, **extra},
    )


def ask(
    *,
    session: Session,
    actor: Principal,
    owner_org: str,
    category_code: str,
    purpose_code: str,
    legal_basis_code: str,
    justification: str,
    actions: Sequence[str] = ("read",),
    conditions: Sequence[str] = (),
    open_days: int = 14,
    wanted_until: datetime | None = None,
) -> SharingRequest:
    """The actor's organisation asks `owner_org` for a category; what no agreement may say is refused now."""
    actor.require("sharing:admin")
    owner = service.organisation(session, owner_org).code
    if owner == actor.org_code:
        raise ValidationFailed("owner_org: an organisation does not ask itself")
    try:
        service.check_owner(session, owner)
    except PermissionDenied as exc:
        raise ValidationFailed(exc.message) from None
    if not justification.strip():
        raise ValidationFailed("justification: say why the data is needed")
    if not 1 <= open_days <= MAX_OPEN_DAYS:
        raise ValidationFailed(f"open_days: {open_days} is out of range (1..{MAX_OPEN_DAYS})")
    acts = service._clean_list(actions, ACTIONS, "actions") or ["read"]
    conds = service._clean_list(conditions, CONDITIONS, "conditions")
    service.check_grant(
        session,
        partner_kind=actor.org_kind.value,
        category_code=category_code,
        actions=acts,
        conditions=conds,
    )
    purpose = service._by_code(session, Purpose, purpose_code, "purpose")
    basis = service._by_code(session, LegalBasis, legal_basis_code, "legal_basis")
    now = utcnow()
    if wanted_until is not None and wanted_until <= now:
        raise ValidationFailed("wanted_until: ask for a period that ends in the future")
    req = SharingRequest(
        requester_org=actor.org_code,
        owner_org=owner,
        category=category_code,
        actions=acts,
        conditions=conds,
        purpose_id=purpose.id,
        legal_basis_id=basis.id,
        justification=justification.strip(),
        asked_by=actor.username,
        asked_at=now,
        expires_at=now + timedelta(days=open_days),
        wanted_until=wanted_until,
    )
    session.add(req)
    session.flush()
    _audit(session, actor, "ask", req, purpose=purpose.code)
    return req


def _visible(actor: Principal) -> ColumnElement[bool]:
    if service.sees_register(actor):
        return true()
    return or_(SharingRequest.owner_org == actor.org_code, SharingRequest.requester_org == actor.org_code)


def get_request(*, session: Session, actor: Principal, request_id: int) -> SharingRequest:
    actor.require("sharing:read")
    req = session.scalar(select(SharingRequest).where(SharingRequest.id == request_id, _visible(actor)))
    if req is None:
        raise NotFound(f"no sharing request {request_id}")
    return req


def _open(req: SharingRequest, now: datetime) -> None:
    if req.status == "open" and req.expires_at <= now:
        raise ValidationFailed(f"request {req.id} expired on {req.expires_at:%Y-%m-%d}; ask again")
    if req.status != "open":
        raise ValidationFailed(f"request {req.id} is {req.status} already")


def approve(*, session: Session, actor: Principal, request_id: int, reason: str = "") -> SharingRequest:
    req = get_request(session=session, actor=actor, request_id=request_id)
    service._require_owner(actor, req.owner_org)
    now = utcnow()
    _open(req, now)
    agreement = service.create_agreement(
        session=session,
        actor=actor,
        category_code=req.category,
        actions=req.actions,
        purpose_code=req.purpose.code,
        legal_basis_code=session.get(LegalBasis, req.legal_basis_id).code,  # type: ignore[union-attr]
        partner_org=req.requester_org,
        conditions=req.conditions,
        owner_org=req.owner_org,
        valid_from=now,
        valid_to=req.wanted_until,
        note=f"approved request {req.id}: {reason.strip()}"[:2000],
        reference=f"REQ-{req.id}",
        request_id=req.id,
    )
    req.status, req.decided_by, req.decided_at = "approved", actor.username, now
    req.decision_reason, req.agreement_id = reason.strip() or None, agreement.id
    session.flush()
    _audit(session, actor, "approve", req, agreement=agreement.reference)
    return req


def refuse(*, session: Session, actor: Principal, request_id: int, reason: str) -> SharingRequest:
    req = get_request(session=session, actor=actor, request_id=request_id)
    service._require_owner(actor, req.owner_org)
    if not reason.strip():
        raise ValidationFailed("reason: say why the request is refused")
    now = utcnow()
    _open(req, now)
    req.status, req.decided_by, req.decided_at, req.decision_reason = (
        "refused",
        actor.username,
        now,
        reason.strip(),
    )
    session.flush()
    _audit(session, actor, "refuse", req, reason=req.decision_reason)
    return req


def withdraw(*, session: Session, actor: Principal, request_id: int) -> SharingRequest:
    req = get_request(session=session, actor=actor, request_id=request_id)
    actor.require("sharing:admin")
    if req.requester_org != actor.org_code:
        raise PermissionDenied(f"{actor.username} ({actor.org_code}) did not ask request {req.id}")
    _open(req, utcnow())
    req.status, req.decided_by, req.decided_at = "withdrawn", actor.username, utcnow()
    session.flush()
    _audit(session, actor, "withdraw", req)
    return req


def list_requests(*, session: Session, actor: Principal, status: str | None = None) -> list[SharingRequest]:
    actor.require("sharing:read")
    if status is not None and status not in STATUSES:
        raise ValidationFailed(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    stmt = select(SharingRequest).where(_visible(actor))
    if status:
        stmt = stmt.where(SharingRequest.status == status)
    rows = list(session.scalars(stmt.order_by(SharingRequest.id.desc())))
    audit.record(
        session=session,
        actor=actor,
        action="sharing.request.list",
        entity_type="sharing_request",
        entity_id="*",
        detail={"returned": len(rows), "status": status},
    )
    return rows


def expire(*, session: Session, actor: Principal, now: datetime | None = None) -> int:
    """Open requests past their expiry become expired (re-running changes nothing more)."""
    now = now or utcnow()
    ids = list(
        session.scalars(
            select(SharingRequest.id).where(SharingRequest.status == "open", SharingRequest.expires_at <= now)
        )
    )
    if ids:
        session.execute(
            update(SharingRequest)
            .where(SharingRequest.id.in_(ids))
            .values(status="expired", decided_at=now, decision_reason="nobody decided in time")
        )
        audit.record(
            session=session,
            actor=actor,
            action="sharing.request.expire",
            entity_type="sharing_request",
            entity_id="*",
            detail={"expired": len(ids), "ids": ids[:100]},
        )
    return len(ids)
