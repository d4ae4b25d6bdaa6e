"""Hold / inspect-at-origin requests to the origin port's control unit and their answers.

In the spirit of ICS2's do-not-load (the box must not be loaded) and request-for-information / inspection:
the request names the box and what is asked, never the intelligence behind it. The answer is one of
inspected (nothing found), found (with kg), cleared (released without inspection), or no_answer when the
loading time passes first. The consequences (outcome for targeting, case) are wired in `mainport.flows`."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.cases import service as cases
from mainport.cases.models import Alert
from mainport.database import utcnow
from mainport.errors import Conflict, NotFound, ValidationFailed
from mainport.identity.principal import Principal
from mainport.origin import service as reviews
from mainport.origin.models import HoldRequest
from mainport.shipments.models import Declaration

KINDS = ("do_not_load", "inspect", "information")
ANSWERS = ("inspected", "found", "cleared")
OPEN = "open"


def control_unit_of(unlocode: str) -> str:
    """The default partner code of a port's control unit (federation partners use the same codes)."""
    return f"CU-{unlocode.upper()}"


def request_hold(
    *,
    session: Session,
    actor: Principal,
    review_id: int | None = None,
    declaration_id: int | None = None,
    kind: str = "inspect",
    reason: str,
    control_unit: str | None = None,
) -> HoldRequest:
    """Ask the origin port to hold or inspect a box (from a queued origin scan, or a declaration)."""
    actor.require("intel:write")
    if kind not in KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
    if not reason.strip():
        raise ValidationFailed("reason: say what the control unit should look for")
    review = (
        reviews.get_review(session=session, actor=actor, review_id=review_id, lock=True)
        if review_id
        else None
    )
    declaration_id = declaration_id or (review.declaration_id if review else None)
    decl = session.get(Declaration, declaration_id) if declaration_id else None
    if declaration_id and decl is None:
        raise NotFound(f"declaration {declaration_id} not found")
    if review is None and decl is None:
        raise ValidationFailed("a hold request is about an origin scan or a declaration: give one")
    container = review.container_number if review else decl.container_number if decl else None
    if not container:
        raise ValidationFailed(f"declaration {declaration_id} names no container")
    port = review.origin_unlocode if review else decl.place_of_loading if decl else ""
    open_one = session.scalar(
        select(HoldRequest.id).where(HoldRequest.container_number == container, HoldRequest.status == OPEN)
    )
    if open_one is not None:
        raise Conflict(f"container {container} has an open hold request already (#{open_one})")
    row = HoldRequest(
        reference=secrets.token_hex(16),
        review_id=review.id if review else None,
        declaration_id=declaration_id,
        container_number=container,
        origin_unlocode=port,
        control_unit=(control_unit or control_unit_of(port)).strip()[:32],
        kind=kind,
        reason=reason.strip(),
        hub=decl.hub if decl else None,
        load_by=review.load_by if review else None,
        status=OPEN,
        delivery="pending",
        requested_by=actor.username,
        requested_org=actor.org_code,
        requested_at=utcnow(),
        answer_kg=0.0,
    )
    session.add(row)
    if review is not None:
        reviews.mark_hold(session, review, actor)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="origin.hold_request",
        entity_type="origin_hold_request",
        entity_id=str(row.id),
        detail={"container": container, "kind": kind, "control_unit": row.control_unit},
    )
    return row


def get_hold(*, session: Session, actor: Principal, hold_id: int, lock: bool = False) -> HoldRequest:
    actor.require("intel:read")
    row = session.get(HoldRequest, hold_id, with_for_update=lock or None)
    if row is None:
        raise NotFound(f"hold request {hold_id} not found")
    return row


def by_reference(*, session: Session, actor: Principal, reference: str) -> HoldRequest:
    actor.require("intel:read")
    row = session.scalar(select(HoldRequest).where(HoldRequest.reference == reference))
    if row is None:
        raise NotFound(f"hold request {reference!r} not found")
    return row


def list_holds(*, session: Session, actor: Principal, status: str | None = None) -> list[HoldRequest]:
    actor.require("intel:read")
    query = select(HoldRequest)
    if status:
        query = query.where(HoldRequest.status == status)
    rows = list(session.scalars(query.order_by(HoldRequest.id.desc()).limit(500)))
    audit.record(
        session=session,
        actor=actor,
        action="origin.hold_list",
        entity_type="origin_hold_request",
        entity_id=status or "all",
        detail={"rows": len(rows)},
    )
    return rows


def record_answer(
    *,
    session: Session,
    actor: Principal,
    hold_id: int,
    answer: str,
    kg: float = 0.0,
    note: str = "",
    answered_by: str | None = None,
    at: datetime | None = None,
) -> HoldRequest:
    """The control unit's answer (recorded by customs, or arriving from the partner's instance)."""
    actor.require("intel:write")
    if answer not in ANSWERS:
        raise ValidationFailed(f"answer must be one of {', '.join(ANSWERS)} (got {answer!r})")
    if not kg >= 0 or (answer == "found") != (kg > 0):
        raise ValidationFailed("kg: more than 0 when found, 0 otherwise")
    row = get_hold(session=session, actor=actor, hold_id=hold_id, lock=True)
    if row.status != OPEN:
        if row.status == "answered" and row.answer == answer:
            return row  # the same answer again (a retried message)
        raise Conflict(f"hold request {hold_id} is {row.status} ({row.answer}) already")
    row.status, row.answer, row.answer_kg = "answered", answer, float(kg)
    row.answer_note = note.strip() or None
    row.answered_by = (answered_by or f"{actor.username}@{actor.org_code}")[:64]
    row.answered_at = at or utcnow()
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="origin.hold_answer",
        entity_type="origin_hold_request",
        entity_id=str(row.id),
        detail={"answer": answer, "kg": kg, "by": row.answered_by},
    )
    return row


def expire_unanswered(*, session: Session, actor: Principal, now: datetime | None = None) -> list[Alert]:
    """Open requests whose box is past its loading time: no answer, and an alert that asks for the box to
    be checked on arrival (a physical-check alert, so custody plans it)."""
    actor.require("intel:write")
    now = now or utcnow()
    rows = session.scalars(
        select(HoldRequest).where(HoldRequest.status == OPEN, HoldRequest.load_by.is_not(None))
    ).all()
    alerts = []
    for row in rows:
        if row.load_by is None or row.load_by > now:
            continue
        row.status, row.answer, row.answered_at = "no_answer", "no_answer", now
        alert = cases.raise_alert(
            session=session,
            actor=actor,
            source="origin",
            kind="origin.hold_unanswered",
            container_number=row.container_number,
            declaration_id=row.declaration_id,
            hub=row.hub,
            severity=3,
            title=f"{row.container_number}: {row.control_unit} gave no answer before loading at "
            f"{row.origin_unlocode}; check it on arrival",
            detail={"hold": row.id, "kind": row.kind},
        )
        row.alert_id = alert.id
        alerts.append(alert)
        audit.record(
            session=session,
            actor=actor,
            action="origin.hold_no_answer",
            entity_type="origin_hold_request",
            entity_id=str(row.id),
        )
    session.flush()
    return alerts
