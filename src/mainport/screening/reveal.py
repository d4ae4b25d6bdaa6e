"""De-pseudonymisation by four eyes: a police user asks, with a reason, to see one person's name; a police
administrator of the same organisation (another account) approves or refuses; the requester then sees the
name, once approved and for a short while only. Each step, and each reveal, is audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.database import utcnow
from mainport.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mainport.identity.principal import Principal
from mainport.screening.models import Person, PersonIdentity, RevealRequest
from mainport.screening.service import get_person, require

APPROVAL_VALID = timedelta(hours=24)
MIN_REASON = 10  # characters: a reason a reviewer can judge, not "x"


def request_reveal(*, session: Session, actor: Principal, alias: str, reason: str) -> RevealRequest:
    require(actor, "screening:reveal")
    person = get_person(session=session, actor=actor, alias=alias)
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise ValidationFailed(f"reason: at least {MIN_REASON} characters saying why the name is needed")
    req = RevealRequest(
        person_id=person.id, requested_by=actor.username, requester_org=actor.org_code, reason=reason[:500]
    )
    session.add(req)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="screening.reveal.request",
        entity_type="screening_reveal",
        entity_id=str(req.id),
        detail={"person": person.alias, "reason": req.reason},
    )
    return req


def _load(session: Session, actor: Principal, request_id: int) -> RevealRequest:
    req = session.get(RevealRequest, request_id)
    if req is None or req.requester_org != actor.org_code:
        raise NotFound(f"no reveal request {request_id}")
    return req


def decide_reveal(
    *, session: Session, actor: Principal, request_id: int, approve: bool, note: str = ""
) -> RevealRequest:
    """The second pair of eyes: never the requester."""
    require(actor, "screening:approve")
    req = _load(session, actor, request_id)
    if req.requested_by == actor.username:
        raise PermissionDenied("four eyes: a reveal request is decided by someone other than its requester")
    if req.status != "pending":
        raise Conflict(f"reveal request {request_id} is already {req.status}")
    now = utcnow()
    req.status, req.decided_by, req.decided_at = ("approved" if approve else "refused"), actor.username, now
    req.expires_at = now + APPROVAL_VALID if approve else None
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="screening.reveal.approve" if approve else "screening.reveal.refuse",
        entity_type="screening_reveal",
        entity_id=str(req.id),
        detail={"note": note[:300]},
    )
    return req


def reveal(*, session: Session, actor: Principal, request_id: int) -> tuple[str, str]:
    """(alias, name) for the requester of an approved, unexpired request; audited every time."""
    require(actor, "screening:reveal")
    req = _load(session, actor, request_id)
    if req.requested_by != actor.username:
        raise PermissionDenied("only the requester sees the name of an approved reveal request")
    if req.status != "approved":
        raise PermissionDenied(
            f"reveal request {request_id} is {req.status}, not approved by a second person"
        )
    if req.expires_at is None or req.expires_at <= utcnow():
        raise PermissionDenied(f"the approval of reveal request {request_id} has expired; ask again")
    ident = session.scalar(select(PersonIdentity).where(PersonIdentity.person_id == req.person_id))
    person = session.get(Person, req.person_id)
    assert person is not None
    audit.record(
        session=session,
        actor=actor,
        action="screening.reveal.read",
        entity_type="screening_person",
        entity_id=person.alias,
        detail={"request": req.id, "reason": req.reason, "approved_by": req.decided_by},
    )
    if ident is None:
        raise NotFound(f"no name is held for {person.alias}")
    return person.alias, ident.full_name


def list_requests(*, session: Session, actor: Principal, status: str | None = None) -> list[RevealRequest]:
    require(actor, "screening:reveal")
    q = select(RevealRequest).where(RevealRequest.requester_org == actor.org_code)
    if status:
        q = q.where(RevealRequest.status == status)
    return list(session.scalars(q.order_by(RevealRequest.id.desc()).limit(200)))
