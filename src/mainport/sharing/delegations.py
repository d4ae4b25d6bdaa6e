"""Delegation evidence in the manner of iSHARE: a forwarder or shipper lets a haulier or forwarder act for it
on its containers (one, or all), for a period; identity.policy honours it in the container conditions only
while the delegator itself holds a release right for the container."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.database import utcnow
from mainport.errors import NotFound, PermissionDenied, ValidationFailed
from mainport.identity.principal import Principal
from mainport.sharing.models import Delegation
from mainport.sharing.service import organisation


def add_delegation(
    *,
    session: Session,
    actor: Principal,
    delegate_org: str,
    evidence: str,
    not_on_or_after: datetime,
    container_number: str | None = None,
    not_before: datetime | None = None,
    delegator_org: str | None = None,
) -> Delegation:
    """The actor's organisation (the delegator) lets another act for it on its containers' events."""
    actor.require("sharing:admin")
    delegator = (delegator_org or actor.org_code).strip()
    if delegator != actor.org_code and not actor.is_system:
        raise PermissionDenied(f"{actor.username} ({actor.org_code}) delegates for its own organisation only")
    delegate = organisation(session, delegate_org).code
    if delegate == delegator:
        raise ValidationFailed("delegate_org: an organisation does not delegate to itself")
    if not evidence.strip():
        raise ValidationFailed("evidence: name the signed delegation evidence (its id or reference)")
    start = not_before or utcnow()
    if not_on_or_after <= start:
        raise ValidationFailed("not_on_or_after: the delegation must end after it starts")
    if not_on_or_after - start > timedelta(days=366):
        raise ValidationFailed("not_on_or_after: a delegation lasts one year at most; renew it")
    number = container_number.strip().upper().replace(" ", "") if container_number else None
    if number is not None and not (len(number) == 11 and number[:4].isalpha() and number[4:].isdigit()):
        raise ValidationFailed(f"container_number: {container_number!r} is not an ISO 6346 number")
    row = Delegation(
        delegator_org=delegator,
        delegate_org=delegate,
        category="events",
        actions=["read"],
        container_number=number,
        evidence=evidence.strip()[:200],
        not_before=start,
        not_on_or_after=not_on_or_after,
        created_by=actor.username,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="sharing.delegation.add",
        entity_type="sharing_delegation",
        entity_id=str(row.id),
        detail={"delegator": delegator, "delegate": delegate, "container": number, "evidence": row.evidence},
    )
    return row


def _delegations_visible(actor: Principal) -> ColumnElement[bool]:
    if actor.is_system or actor.is_government:
        return true()
    return or_(Delegation.delegator_org == actor.org_code, Delegation.delegate_org == actor.org_code)


def list_delegations(*, session: Session, actor: Principal) -> list[Delegation]:
    actor.require("sharing:read")
    rows = list(
        session.scalars(select(Delegation).where(_delegations_visible(actor)).order_by(Delegation.id.desc()))
    )
    audit.record(
        session=session,
        actor=actor,
        action="sharing.delegation.list",
        entity_type="sharing_delegation",
        entity_id="*",
        detail={"returned": len(rows)},
    )
    return rows


def revoke_delegation(*, session: Session, actor: Principal, delegation_id: int) -> Delegation:
    actor.require("sharing:admin")
    row = session.scalar(
        select(Delegation).where(Delegation.id == delegation_id, _delegations_visible(actor))
    )
    if row is None:
        raise NotFound(f"no delegation {delegation_id}")
    if not actor.is_system and actor.org_code != row.delegator_org:
        raise PermissionDenied(f"{actor.username} ({actor.org_code}) is not the delegator")
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by = utcnow(), actor.username
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action="sharing.delegation.revoke",
            entity_type="sharing_delegation",
            entity_id=str(row.id),
        )
    return row


def delegation_evidence(row: Delegation) -> dict[str, Any]:
    """The delegation in the shape of iSHARE's delegationEvidence (policyIssuer, target, policySets)."""
    return {
        "delegationEvidence": {
            "notBefore": int(row.not_before.timestamp()),
            "notOnOrAfter": int(row.not_on_or_after.timestamp()),
            "policyIssuer": row.delegator_org,
            "target": {"accessSubject": row.delegate_org},
            "policySets": [
                {
                    "maxDelegationDepth": 0,
                    "target": {"environment": {"licenses": [row.evidence]}},
                    "policies": [
                        {
                            "target": {
                                "resource": {
                                    "type": row.category,
                                    "identifiers": [row.container_number or "*"],
                                    "attributes": ["*"],
                                },
                                "actions": [a.upper() for a in row.actions],
                            },
                            "rules": [{"effect": "Deny" if row.revoked_at else "Permit"}],
                        }
                    ],
                }
            ],
        }
    }
