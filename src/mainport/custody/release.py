"""Secure release instead of PIN codes: rights issued by the line, passed down a chain of nominations,
single-use, time-bound, bound to the final carrier and driver, revocable, blocked under customs hold.

The gate asks ``gate_check``; every answer is recorded, and fraud patterns go to the alert queue."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, lazyload

from mainport.audit import service as audit
from mainport.cases import service as cases
from mainport.custody import keys, suspensions, tokens
from mainport.custody.models import CustodyPlan, GateDecision, Nomination, ReleaseRight, RightLookup
from mainport.custody.steps import HOLD_STATES
from mainport.database import utcnow
from mainport.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mainport.identity import policy
from mainport.identity.models import Organisation, OrgKind
from mainport.identity.principal import Principal

DEFAULT_VALIDITY = timedelta(hours=72)
# Nomination chain: who the current holder may nominate, and which organisation kinds qualify.
NEXT_KIND = {"release_party": "haulier", "haulier": "driver"}
KINDS_FOR = {
    "release_party": frozenset({OrgKind.forwarder, OrgKind.haulier}),
    "haulier": frozenset({OrgKind.haulier}),
}
LOOKUP_WINDOW = timedelta(minutes=10)
LOOKUP_LIMIT = 20  # distinct containers looked up by one party in the window before it is an alert

# gate reason -> (alert kind, severity) for the reasons that are a fraud pattern
FRAUD = {
    "already_used": ("release.reused", 4),
    "revoked": ("release.revoked_presented", 3),
    "carrier_mismatch": ("release.wrong_carrier", 3),
    "driver_mismatch": ("release.wrong_carrier", 3),
    "customs_hold": ("release.customs_hold", 4),
    "bad_signature": ("release.forged_token", 3),
    "unknown_right": ("release.forged_token", 3),
    "malformed_token": ("release.forged_token", 3),  # a token no signer made (or one mangled on purpose)
    "unknown_key": ("release.forged_token", 3),
    "wrong_terminal": ("release.wrong_terminal", 2),
    # The driver is suspended by the screening register (custody.suspensions): a banned person at the gate.
    "port_ban": ("screening.banned_seen", 4),
    "screening_lapsed": ("screening.lapsed_presented", 2),
}


def _organisation(session: Session, code: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        raise ValidationFailed(f"unknown organisation {code!r}")
    return org


def _load(session: Session, right_id: int, *, lock: bool = False) -> ReleaseRight:
    right = session.get(ReleaseRight, right_id, with_for_update=lock or None)
    if right is None:
        raise NotFound(f"release right {right_id} not found")
    return right


def issue_right(
    *,
    session: Session,
    actor: Principal,
    container_number: str,
    facility_code: str,
    release_party: str,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> ReleaseRight:
    """The shipping line issues the right for one container to the first release party."""
    actor.require("custody:write")
    if actor.org_kind != OrgKind.shipping_line:
        raise PermissionDenied("only a shipping line issues release rights")
    if not policy.may_issue_release(session, actor, container_number):
        # Need-to-know: issuing must not open another carrier's container (same answer as unknown).
        raise NotFound(f"no container {container_number} carried by {actor.org_code}")
    party = _organisation(session, release_party)
    if party.kind not in KINDS_FOR["release_party"]:
        raise ValidationFailed(f"{release_party} ({party.kind.value}) cannot be a release party")
    nbf = not_before or utcnow()
    exp = expires_at or nbf + DEFAULT_VALIDITY
    if exp <= nbf:
        raise ValidationFailed("expires_at must be after not_before")
    right = ReleaseRight(
        token_id=secrets.token_hex(16),
        container_number=container_number,
        facility_code=facility_code,
        issuer_org=actor.org_code,
        holder_org=release_party,
        holder_kind="release_party",
        not_before=nbf,
        expires_at=exp,
        status="active",
        issued_by=actor.username,
        issued_at=utcnow(),
    )
    right.nominations.append(
        Nomination(
            seq=1, from_org=actor.org_code, to_party=release_party, to_kind="release_party", by=actor.username
        )
    )
    session.add(right)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="release.issue",
        entity_type="release_right",
        entity_id=str(right.id),
        detail={"container": container_number, "to": release_party},
    )
    return right


def nominate(
    *, session: Session, actor: Principal, right_id: int, nominee: str
) -> tuple[ReleaseRight, str | None]:
    """The current holder nominates the next party. Naming the driver binds the right to carrier and driver
    and returns the signed token (once; it is not stored)."""
    actor.require("custody:write")
    right = _load(session, right_id, lock=True)
    if right.status != "active":
        raise Conflict(f"release right {right_id} is {right.status}")
    if actor.org_code != right.holder_org or right.holder_kind not in NEXT_KIND:
        raise PermissionDenied(f"{actor.org_code} does not hold release right {right_id} or may not nominate")
    next_kind = NEXT_KIND[right.holder_kind]
    nominee = nominee.strip()
    if not nominee or len(nominee) > 64:
        raise ValidationFailed("nominee must be 1..64 characters")
    if next_kind == "haulier":
        org = _organisation(session, nominee)
        if org.kind not in KINDS_FOR["haulier"]:
            raise ValidationFailed(f"{nominee} is not a haulier")
        right.carrier_id = nominee
        right.holder_org = nominee
    else:
        suspended = suspensions.active_reason(session, nominee)
        if suspended is not None:
            raise Conflict(f"driver {nominee} is suspended ({suspended}); nominate another driver")
        right.driver_id = nominee
    right.holder_kind = next_kind
    right.nominations.append(
        Nomination(
            seq=len(right.nominations) + 1,
            from_org=actor.org_code,
            to_party=nominee,
            to_kind=next_kind,
            by=actor.username,
        )
    )
    token = None
    if next_kind == "driver":
        kid, key = keys.signing_key(session)
        right.kid = kid
        token = tokens.sign(
            tokens.Claims(
                kid=kid,
                jti=right.token_id,
                container=right.container_number,
                facility=right.facility_code,
                carrier=right.carrier_id or "",
                driver=nominee,
                nbf=int(right.not_before.timestamp()),
                exp=int(right.expires_at.timestamp()),
            ),
            key,
        )
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="release.nominate",
        entity_type="release_right",
        entity_id=str(right.id),
        detail={"to": nominee, "kind": next_kind},
    )
    return right, token


def revoke_right(*, session: Session, actor: Principal, right_id: int, reason: str) -> ReleaseRight:
    """The issuing line (or customs) withdraws the right; presenting it later is a fraud signal."""
    actor.require("custody:write")
    right = _load(session, right_id, lock=True)
    if not (actor.is_government or actor.org_code == right.issuer_org):
        raise PermissionDenied("only the issuing line or customs may revoke a release right")
    if right.status != "active":
        raise Conflict(f"release right {right_id} is {right.status}")
    right.status, right.revoked_at, right.revoked_by = "revoked", utcnow(), actor.username
    right.revoke_reason = reason[:200]
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="release.revoke",
        entity_type="release_right",
        entity_id=str(right.id),
        detail={"reason": reason},
    )
    return right


def _visible(actor: Principal, right: ReleaseRight) -> bool:
    return policy.release_right(actor, right)


def lookup_rights(*, session: Session, actor: Principal, container_number: str) -> list[ReleaseRight]:
    """The rights for a container that this party takes part in. Every look-up is counted: a party that looks
    up many containers is scouting, and raises an alert."""
    actor.require("custody:read")
    now = utcnow()
    session.add(
        RightLookup(
            org_code=actor.org_code, username=actor.username, container_number=container_number, at=now
        )
    )
    session.flush()
    distinct = (
        session.scalar(
            select(func.count(func.distinct(RightLookup.container_number))).where(
                RightLookup.org_code == actor.org_code, RightLookup.at >= now - LOOKUP_WINDOW
            )
        )
        or 0
    )
    if distinct > LOOKUP_LIMIT:
        cases.raise_alert(
            session=session,
            actor=actor,
            source="release",
            kind="release.lookup_burst",
            hub=actor.node_code,
            severity=3,
            title=f"{actor.org_code} looked up release rights of {distinct} containers in "
            f"{int(LOOKUP_WINDOW.total_seconds() // 60)} min",
            detail={"org": actor.org_code, "user": actor.username, "containers": distinct},
            dedup_key=actor.org_code,
        )
    rights = session.scalars(
        select(ReleaseRight)
        .where(ReleaseRight.container_number == container_number)
        .order_by(ReleaseRight.id)
    ).all()
    return [r for r in rights if _visible(actor, r)]


@dataclass
class GateAnswer:
    allowed: bool
    reason: str
    decision_id: int


def _judge(
    session: Session, actor: Principal, container_number: str, carrier_id: str, driver_id: str, token: str
) -> tuple[str, ReleaseRight | None]:
    try:
        kid = tokens.peek_kid(token)
    except tokens.TokenError as exc:
        return exc.reason, None
    key = keys.public_key(session, kid)
    if key is None:
        return "unknown_key", None
    try:
        claims = tokens.verify(token, key)
    except tokens.TokenError as exc:
        return exc.reason, None
    # One round trip: the right (locked, so that it is used once) and whether customs holds the box.
    held = exists().where(
        CustodyPlan.container_number == container_number, CustodyPlan.state.in_(HOLD_STATES)
    )
    row = session.execute(
        select(ReleaseRight, held.label("held"))
        .where(ReleaseRight.token_id == claims.jti)
        .options(lazyload(ReleaseRight.nominations))  # not needed at the gate: one round trip less
        .with_for_update(of=ReleaseRight)
    ).first()
    if row is None:
        return "unknown_right", None
    right, under_hold = row[0], bool(row[1])
    if claims.container != container_number or right.container_number != container_number:
        return "container_mismatch", right
    if actor.org_kind == OrgKind.terminal and actor.facility_code != right.facility_code:
        return "wrong_terminal", right
    if right.status == "revoked":
        return "revoked", right
    if right.status == "used":
        return "already_used", right
    now = utcnow()
    if now < right.not_before:
        return "not_yet_valid", right
    if now > right.expires_at:
        return "expired", right
    if carrier_id != right.carrier_id or carrier_id != claims.carrier:
        return "carrier_mismatch", right
    if driver_id != right.driver_id or driver_id != claims.driver:
        return "driver_mismatch", right
    suspended = suspensions.active_reason(session, driver_id, now)
    if suspended is not None:
        return suspended, right
    if under_hold:
        return "customs_hold", right
    return "ok", right


def gate_check(
    *,
    session: Session,
    actor: Principal,
    container_number: str,
    carrier_id: str,
    driver_id: str,
    token: str,
    presentation_key: str | None = None,
) -> GateAnswer:
    """May carrier C with driver D take container X now? Yes uses the right up; every answer is recorded.
    A retry of a presentation (the same asker and `presentation_key`) gets the stored decision."""
    actor.require("custody:write")
    if not (actor.is_government or (actor.org_kind == OrgKind.terminal and actor.facility_code)):
        raise PermissionDenied("only a terminal (or customs) asks the gate question")
    if presentation_key is not None:
        prior = session.scalar(
            select(GateDecision).where(
                GateDecision.asked_by == actor.username, GateDecision.presentation_key == presentation_key
            )
        )
        if prior is not None:
            if (prior.container_number, prior.carrier_id, prior.driver_id) != (
                container_number,
                carrier_id[:32],
                driver_id[:64],
            ):
                raise Conflict(
                    f"Idempotency-Key {presentation_key!r} was already used for another presentation "
                    f"(decision {prior.id}); send a new key for a new presentation"
                )
            return GateAnswer(allowed=prior.allowed, reason=prior.reason, decision_id=prior.id)
    reason, right = _judge(session, actor, container_number, carrier_id, driver_id, token)
    allowed = reason == "ok"
    now = utcnow()
    if allowed and right is not None:
        right.status, right.used_at = "used", now
    decision = GateDecision(
        at=now,
        facility_code=actor.facility_code,
        asked_by=actor.username,
        container_number=container_number,
        carrier_id=carrier_id[:32],
        driver_id=driver_id[:64],
        right_id=right.id if right else None,
        allowed=allowed,
        reason=reason,
        presentation_key=presentation_key,
    )
    session.add(decision)
    session.flush()
    if reason in FRAUD:
        kind, severity = FRAUD[reason]
        decision.alert_id = cases.raise_alert(
            session=session,
            actor=actor,
            source="release",
            kind=kind,
            container_number=container_number,
            hub=actor.node_code,
            severity=severity,
            title=f"{container_number}: gate refused ({reason}) for carrier {carrier_id}",
            detail={
                "decision_id": decision.id,
                "carrier": carrier_id,
                "driver": driver_id,
                "facility": actor.facility_code,
                "right_id": right.id if right else None,
            },
            dedup_key=str(right.id) if right else None,
        ).id
    # No per-decision audit entry: the audit chain's global lock (held to commit) would serialise every gate
    # in the port. Decisions are append-only rows, anchored into the audit chain in batches (custody.anchor).
    return GateAnswer(allowed=allowed, reason=reason, decision_id=decision.id)
