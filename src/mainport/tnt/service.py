"""DCSA Track & Trace event subscriptions and their callbacks. Callers own the transaction.

A subscription is created here with a fresh shared secret and registered at the publisher (`publisher`);
the publisher then POSTs events to ``/api/v1/tnt/callbacks/<subscription id>`` with the headers DCSA
defines: ``Notification-Signature: sha256=<hex HMAC-SHA256 of the whole body with the secret>`` and
``Subscription-ID``. A callback whose signature does not verify is refused before anything is read; a
verified one goes through ingest's own validation, quarantine and reconciliation, exactly as a file does.
Bodies: DCSA 2.2 (a JSON array of events) or 3.0 (``{"events": [...]}``, PostEventsRequest)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.config import get_settings
from mainport.database import utcnow
from mainport.errors import NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from mainport.identity import service as identity
from mainport.identity.principal import Principal
from mainport.ingest.readers import records_from_objects
from mainport.ingest.records import Reconciliation
from mainport.tnt.models import TntSubscription
from mainport.tnt.publisher import RegistrationFailed, TntPublisher, subscription_body

try:  # ingest's event writer (moving from ingest.service to ingest.event_store in the ingest lane)
    from mainport.ingest.event_store import ingest_events
except ImportError:  # pragma: no cover - before that move is committed
    from mainport.ingest.service import ingest_events  # type: ignore[attr-defined,no-redef]

FILTER_KEYS = frozenset(
    {"eventType", "equipmentReference", "transportCallID", "vesselIMONumber", "carrierBookingReference"}
)
MAX_EVENTS = 10_000


def _fernet() -> Fernet:
    key = hashlib.sha256(b"mainport-tnt-secret:" + get_settings().secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def callback_path(subscription_id: str) -> str:
    return f"/api/v1/tnt/callbacks/{subscription_id}"


def signature(secret: bytes, body: bytes) -> str:
    """DCSA's Notification-Signature value for a body."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def create_subscription(
    *,
    session: Session,
    actor: Principal,
    publisher: str,
    publisher_url: str | None = None,
    filters: dict[str, Any] | None = None,
) -> tuple[TntSubscription, bytes]:
    """A new subscription and its secret (returned once, never stored in the clear)."""
    actor.require("events:write")
    actor.require("quarantine:write")  # an organisation's admins and analysts set up feeds
    if actor.is_system:
        raise PermissionDenied("a subscription belongs to a user whose rights store its events")
    filters = dict(filters or {})
    unknown = sorted(set(filters) - FILTER_KEYS)
    if unknown:
        raise ValidationFailed(f"unknown filter {unknown[0]!r}; known: {', '.join(sorted(FILTER_KEYS))}")
    if not publisher.strip():
        raise ValidationFailed("publisher: name who sends the events")
    secret = secrets.token_bytes(32)
    sub = TntSubscription(
        subscription_id=str(uuid.uuid4()),
        publisher=publisher.strip()[:64],
        publisher_url=publisher_url or None,
        secret_enc=_fernet().encrypt(secret).decode(),
        filters=filters,
        status="active",
        registered="pending" if publisher_url else "done",
        user_id=actor.user_id,
        created_by=actor.username,
        created_at=utcnow(),
        deliveries=0,
    )
    session.add(sub)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="tnt.subscribe",
        entity_type="tnt_subscription",
        entity_id=sub.subscription_id,
        detail={"publisher": sub.publisher, "filters": filters},
    )
    return sub, secret


def register(
    *, session: Session, actor: Principal, sub: TntSubscription, secret: bytes, gateway: TntPublisher
) -> TntSubscription:
    """Create the subscription at the publisher (DCSA POST /event-subscriptions)."""
    actor.require("events:write")
    if not sub.publisher_url:
        return sub
    body = subscription_body(
        get_settings().public_url.rstrip("/") + callback_path(sub.subscription_id), secret, sub.filters
    )
    try:
        gateway.register(sub.publisher_url, body)
    except RegistrationFailed as exc:
        sub.registered, sub.register_error = "failed", str(exc)[:300]
    else:
        sub.registered, sub.register_error = "done", None
    session.flush()
    return sub


def list_subscriptions(*, session: Session, actor: Principal) -> list[TntSubscription]:
    """The subscriptions of the actor's own organisation (government: all)."""
    actor.require("events:write")
    rows = session.scalars(select(TntSubscription).order_by(TntSubscription.id)).all()
    if actor.is_government:
        return list(rows)
    own = []
    for sub in rows:
        owner = identity.get_user(session=session, user_id=sub.user_id)
        if owner.organisation_id == actor.org_id:
            own.append(sub)
    return own


def end_subscription(*, session: Session, actor: Principal, subscription_id: str) -> TntSubscription:
    actor.require("events:write")
    sub = session.scalar(select(TntSubscription).where(TntSubscription.subscription_id == subscription_id))
    if sub is None or sub not in list_subscriptions(session=session, actor=actor):
        raise NotFound(f"subscription {subscription_id} not found")
    sub.status = "ended"
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="tnt.unsubscribe",
        entity_type="tnt_subscription",
        entity_id=subscription_id,
    )
    return sub


def verify(sub: TntSubscription, body: bytes, header: str | None) -> bool:
    """Constant-time check of `Notification-Signature: sha256=<hex>` (the only type DCSA defines)."""
    if not header:
        return False
    kind, _, value = header.strip().partition("=")
    if kind.strip().lower() != "sha256" or not value:
        return False
    try:
        secret = _fernet().decrypt(sub.secret_enc.encode())
    except InvalidToken:  # the application secret changed: the subscription must be made again
        return False
    return hmac.compare_digest(signature(secret, body), "sha256=" + value.strip().lower())


def _events(body: bytes) -> list[Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed(f"callback body is not JSON: {exc}") from None
    events = data.get("events") if isinstance(data, dict) else data
    if not isinstance(events, list):
        raise ValidationFailed("callback body: a JSON array of events (2.2) or {'events': [...]} (3.0)")
    if len(events) > MAX_EVENTS:
        raise ValidationFailed(f"at most {MAX_EVENTS} events per callback, got {len(events)}")
    return events


def receive(
    *,
    session: Session,
    subscription_id: str,
    body: bytes,
    signature_header: str | None,
    subscription_header: str | None = None,
) -> Reconciliation:
    """One callback: verified, then stored / quarantined by ingest as the subscription's owner."""
    sub = session.scalar(select(TntSubscription).where(TntSubscription.subscription_id == subscription_id))
    # An unknown subscription and a wrong signature answer the same: nothing to learn by probing.
    if sub is None or sub.status != "active" or not verify(sub, body, signature_header):
        raise NotAuthenticated("Notification-Signature does not verify for this subscription")
    if subscription_header and subscription_header.strip() != subscription_id:
        raise ValidationFailed("Subscription-ID header does not name this callback's subscription")
    owner = identity.principal_for(identity.get_user(session=session, user_id=sub.user_id))
    recon = ingest_events(
        session=session,
        actor=owner,
        source=f"tnt:{sub.publisher}:{subscription_id}",
        records=records_from_objects(_events(body)),
    )
    sub.deliveries += 1
    sub.last_received_at = utcnow()
    session.flush()
    return recon
