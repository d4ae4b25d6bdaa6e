"""Partners, their keys, agreements, and signed messages out and in. Callers own the transaction.

Sending: the agreement for (partner, category, send) must be in force; the envelope is signed with this
instance's current key and kept in the outbox until `dispatch` delivers it. Receiving: the sender must be
a known partner, the key id one of its unrevoked keys, the signature must verify over the canonical
envelope, the message must be addressed to this instance and issued within `SKEW` of now, its id never
seen from that partner before (replay), and the agreement for (partner, category, receive) in force.
Every refusal is stored with its reason; accepted messages are handled by `federation.inbound`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.database import utcnow
from mainport.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mainport.federation import envelope as env
from mainport.federation import keys
from mainport.federation.keys import Instance
from mainport.federation.models import Agreement, FederationMessage, Partner, PartnerKey
from mainport.federation.transport import FederationTransport, SendFailed
from mainport.identity.principal import Principal

CATEGORIES = (
    "high_risk_notice",
    "hold_request",
    "hold_answer",
    "origin_scan",
    "mo_bulletin",
    "weekly_seizures",
)
# Always allowed between partners: the protocol's own housekeeping (signed with the old key).
KEY_ROTATION = "key_rotation"
SKEW = timedelta(minutes=10)
MAX_ATTEMPTS = 10


# -- partners, keys, agreements ---------------------------------------------------------------------------


def add_partner(
    *, session: Session, actor: Principal, code: str, name: str, base_url: str, ports: list[str] | None = None
) -> Partner:
    actor.require("federation:admin")
    code = code.strip().upper()
    if not code or len(code) > 32:
        raise ValidationFailed("partner code: 1..32 characters")
    if not base_url.startswith(("http://", "https://")):
        raise ValidationFailed(f"base_url: {base_url!r} must start with http:// or https://")
    if session.scalar(select(Partner.id).where(Partner.code == code)) is not None:
        raise Conflict(f"partner {code} exists already")
    partner = Partner(
        code=code,
        name=name.strip() or code,
        base_url=base_url.rstrip("/"),
        ports=[p.upper() for p in ports or []],
        active=True,
        created_by=actor.username,
    )
    session.add(partner)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="federation.partner_add",
        entity_type="federation_partner",
        entity_id=code,
        detail={"base_url": partner.base_url},
    )
    return partner


def partner(session: Session, code: str) -> Partner:
    found = session.scalar(select(Partner).where(Partner.code == code.strip().upper()))
    if found is None:
        raise NotFound(f"federation partner {code!r} not found")
    return found


def list_partners(*, session: Session, actor: Principal) -> list[Partner]:
    actor.require("federation:send")
    return list(session.scalars(select(Partner).order_by(Partner.code)))


def agreements_by_partner(*, session: Session, actor: Principal) -> dict[int, list[Agreement]]:
    """Each partner's agreements (per category and direction), oldest first."""
    actor.require("federation:send")
    out: dict[int, list[Agreement]] = {}
    for a in session.scalars(select(Agreement).order_by(Agreement.partner_id, Agreement.id)):
        out.setdefault(a.partner_id, []).append(a)
    return out


def add_partner_key(
    *, session: Session, actor: Principal, code: str, kid: str, public_key: str, added_by: str | None = None
) -> PartnerKey:
    actor.require("federation:admin")
    p = partner(session, code)
    try:
        raw = env.unb64(public_key)
    except ValueError:
        raise ValidationFailed("public_key: base64url of the 32-byte raw Ed25519 key") from None
    if len(raw) != 32:
        raise ValidationFailed("public_key: base64url of the 32-byte raw Ed25519 key")
    existing = session.scalar(select(PartnerKey).where(PartnerKey.partner_id == p.id, PartnerKey.kid == kid))
    if existing is not None:
        if existing.public_key != public_key:
            raise Conflict(f"key {kid} of {p.code} is registered with another public key")
        return existing
    row = PartnerKey(partner_id=p.id, kid=kid, public_key=public_key, added_by=added_by or actor.username)
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="federation.partner_key_add",
        entity_type="federation_partner",
        entity_id=p.code,
        detail={"kid": kid, "by": row.added_by},
    )
    return row


def revoke_partner_key(*, session: Session, actor: Principal, code: str, kid: str) -> None:
    actor.require("federation:admin")
    p = partner(session, code)
    row = session.scalar(select(PartnerKey).where(PartnerKey.partner_id == p.id, PartnerKey.kid == kid))
    if row is None:
        raise NotFound(f"key {kid} of {p.code} not found")
    row.revoked_at = utcnow()
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="federation.partner_key_revoke",
        entity_type="federation_partner",
        entity_id=p.code,
        detail={"kid": kid},
    )


def agree(
    *,
    session: Session,
    actor: Principal,
    code: str,
    category: str,
    direction: str,
    reference: str,
    valid_to: datetime | None = None,
) -> Agreement:
    actor.require("federation:admin")
    if category not in CATEGORIES:
        raise ValidationFailed(f"category must be one of {', '.join(CATEGORIES)} (got {category!r})")
    if direction not in ("send", "receive"):
        raise ValidationFailed(f"direction must be send or receive (got {direction!r})")
    if not reference.strip():
        raise ValidationFailed("reference: name the signed agreement this implements")
    p = partner(session, code)
    row = Agreement(
        partner_id=p.id,
        category=category,
        direction=direction,
        reference=reference.strip()[:100],
        valid_from=utcnow(),
        valid_to=valid_to,
        created_by=actor.username,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="federation.agree",
        entity_type="federation_agreement",
        entity_id=str(row.id),
        detail={"partner": p.code, "category": category, "direction": direction},
    )
    return row


def revoke_agreement(*, session: Session, actor: Principal, agreement_id: int) -> Agreement:
    actor.require("federation:admin")
    row = session.get(Agreement, agreement_id)
    if row is None:
        raise NotFound(f"agreement {agreement_id} not found")
    row.revoked_at, row.revoked_by = utcnow(), actor.username
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="federation.agreement_revoke",
        entity_type="federation_agreement",
        entity_id=str(row.id),
    )
    return row


def allowed(session: Session, p: Partner, category: str, direction: str, at: datetime | None = None) -> bool:
    """The seam: is (partner, category, direction) agreed and in force now?"""
    at = at or utcnow()
    return (
        session.scalar(
            select(Agreement.id).where(
                Agreement.partner_id == p.id,
                Agreement.category == category,
                Agreement.direction == direction,
                Agreement.revoked_at.is_(None),
                Agreement.valid_from <= at,
                or_(Agreement.valid_to.is_(None), Agreement.valid_to > at),
            )
        )
        is not None
    )


# -- sending ----------------------------------------------------------------------------------------------


def send(
    *, session: Session, actor: Principal, me: Instance, code: str, category: str, body: dict[str, Any]
) -> FederationMessage:
    """Sign and queue a message for a partner (refused without an agreement to send that category)."""
    actor.require("federation:send")
    p = partner(session, code)
    if category not in CATEGORIES:
        raise ValidationFailed(f"category must be one of {', '.join(CATEGORIES)} (got {category!r})")
    if not p.active or not allowed(session, p, category, "send"):
        raise PermissionDenied(f"no agreement in force to send {category} to {p.code}")
    key, private = keys.current(session, me)
    row = _queue(session, me, p, category, body, key.kid, private)
    audit.record(
        session=session,
        actor=actor,
        action="federation.send",
        entity_type="federation_message",
        entity_id=row.message_id,
        detail={"partner": p.code, "category": category},
    )
    return row


def _queue(
    session: Session,
    me: Instance,
    p: Partner,
    category: str,
    body: dict[str, Any],
    kid: str,
    private: Ed25519PrivateKey,
) -> FederationMessage:
    now = utcnow()
    unsigned = {
        "v": 1,
        "id": str(uuid.uuid4()),
        "from": me.code,
        "to": p.code,
        "category": category,
        "issued_at": now.isoformat(),
        "kid": kid,
        "body": body,
    }
    signed = env.sign(unsigned, private)
    row = FederationMessage(
        message_id=signed["id"],
        direction="out",
        partner_id=p.id,
        sender=me.code,
        category=category,
        kid=kid,
        issued_at=now,
        envelope=signed,
        status="pending",
        attempts=0,
    )
    session.add(row)
    session.flush()
    return row


def rotate_key(*, session: Session, actor: Principal, me: Instance) -> tuple[str, list[FederationMessage]]:
    """A new signing key, announced to every active partner in a key_rotation message signed with the key
    they know (the old one, which stays published until retired)."""
    actor.require("federation:admin")
    old, old_private = keys.current(session, me)
    new, _previous = keys.rotate(session, me)
    announced = [
        _queue(
            session,
            me,
            p,
            KEY_ROTATION,
            {"kid": new.kid, "public_key": new.public_key},
            old.kid,
            old_private,
        )
        for p in session.scalars(select(Partner).where(Partner.active.is_(True)).order_by(Partner.id))
    ]
    audit.record(
        session=session,
        actor=actor,
        action="federation.key_rotate",
        entity_type="federation_key",
        entity_id=new.kid,
        detail={"previous": old.kid, "announced": len(announced)},
    )
    return new.kid, announced


def dispatch(
    *, session: Session, actor: Principal, transport: FederationTransport, limit: int = 200
) -> dict[str, int]:
    """Deliver the outbox. A partner's 2xx or 409 (already had it) is delivered; other answers retry."""
    actor.require("federation:send")
    rows = session.scalars(
        select(FederationMessage)
        .where(
            FederationMessage.direction == "out",
            FederationMessage.status.in_(("pending", "failed")),
            FederationMessage.attempts < MAX_ATTEMPTS,
        )
        .order_by(FederationMessage.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    for row in rows:
        p = session.get(Partner, row.partner_id)
        row.attempts += 1
        try:
            status, answer = transport.send(p.base_url if p else "", row.envelope)
        except SendFailed as exc:
            row.status, row.reason = "failed", str(exc)[:300]
            failed += 1
            continue
        if 200 <= status < 300 or (status == 409 and answer.get("reason") == "replay"):
            row.status, row.sent_at, row.reason = "sent", utcnow(), None
            row.result = {"answer": answer}
            sent += 1
        else:
            row.status, row.reason = (
                "failed",
                f"{status}: {answer.get('reason') or answer.get('detail')}"[:300],
            )
            failed += 1
    session.flush()
    return {"sent": sent, "failed": failed}


# -- receiving --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    status: int  # the HTTP status the sender gets
    reason: str


def _refuse(session: Session, msg: FederationMessage, refusal: Refusal) -> Refusal:
    msg.status, msg.reason = "refused", refusal.reason
    session.add(msg)
    session.flush()
    return refusal


def accept(
    *, session: Session, me: Instance, envelope: Any, now: datetime | None = None
) -> FederationMessage | Refusal:
    """Check an inbound envelope; the stored accepted message, or why it was refused (also stored when a
    partner can be named)."""
    now = now or utcnow()
    gaps = env.missing(envelope)
    if gaps:
        return Refusal(400, f"not a federation envelope: missing {', '.join(gaps)}")
    sender = str(envelope["from"])[:32]
    p = session.scalar(select(Partner).where(Partner.code == sender))
    if p is None or not p.active:
        return Refusal(401, f"unknown partner {sender!r}")
    msg = FederationMessage(
        message_id=str(envelope["id"])[:36],
        direction="in",
        partner_id=p.id,
        sender=p.code,
        category=str(envelope["category"])[:32],
        kid=str(envelope["kid"])[:32],
        envelope=envelope,
        status="accepted",
        attempts=0,
    )
    key = session.scalar(
        select(PartnerKey).where(
            PartnerKey.partner_id == p.id, PartnerKey.kid == msg.kid, PartnerKey.revoked_at.is_(None)
        )
    )
    if key is None or not env.verify(envelope, env.unb64(key.public_key)):
        # Not stored under the claimed id: a forger must not be able to block the real message's id.
        return Refusal(401, "signature does not verify with a key of the sender")
    if envelope["to"] != me.code:
        return _refuse(
            session, _renamed(msg), Refusal(403, f"addressed to {envelope['to']!r}, not to {me.code}")
        )
    try:
        issued = datetime.fromisoformat(str(envelope["issued_at"]))
    except ValueError:
        return _refuse(session, _renamed(msg), Refusal(400, "issued_at is not an ISO date-time"))
    if issued.tzinfo is None or abs(now - issued) > SKEW:
        return _refuse(session, _renamed(msg), Refusal(409, "issued_at outside the accepted window (stale)"))
    msg.issued_at = issued
    seen = session.scalar(
        select(FederationMessage.id).where(
            FederationMessage.direction == "in",
            FederationMessage.partner_id == p.id,
            FederationMessage.message_id == msg.message_id,
        )
    )
    if seen is not None:
        return Refusal(409, "replay")
    if msg.category != KEY_ROTATION and not allowed(session, p, msg.category, "receive", now):
        return _refuse(session, msg, Refusal(403, f"no agreement to receive {msg.category} from {p.code}"))
    session.add(msg)
    session.flush()
    return msg


def _renamed(msg: FederationMessage) -> FederationMessage:
    # A refused-before-replay-check message is stored under a fresh id so the sender's id stays usable.
    msg.message_id = str(uuid.uuid4())
    return msg


def messages(
    *, session: Session, actor: Principal, direction: str | None = None, category: str | None = None
) -> list[FederationMessage]:
    actor.require("federation:send")
    query = select(FederationMessage)
    if direction:
        query = query.where(FederationMessage.direction == direction)
    if category:
        query = query.where(FederationMessage.category == category)
    rows = list(session.scalars(query.order_by(FederationMessage.id.desc()).limit(500)))
    audit.record(
        session=session,
        actor=actor,
        action="federation.messages_read",
        entity_type="federation_message",
        entity_id=f"{direction or 'all'}/{category or 'all'}",
        detail={"rows": len(rows)},
    )
    return rows
