"""DCSA T&T push feeds: subscriptions, signed callbacks (Notification-Signature), ingest's validation,
quarantine and reconciliation on what arrives."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.errors import NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind, Role
from mainport.shipments.models import ContainerEvent
from mainport.tnt import service
from mainport.tnt.publisher import HttpPublisher, LocalPublisher, subscription_body

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dcsa"


def _body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def people(principal_factory: Any) -> dict[str, Any]:
    return {
        "customs": principal_factory(role=Role.analyst),
        "terminal": principal_factory(role=Role.analyst, kind=OrgKind.terminal, facility_code="ECTDE"),
        "other": principal_factory(role=Role.analyst, kind=OrgKind.terminal, facility_code="APMII"),
        "viewer": principal_factory(role=Role.viewer, kind=OrgKind.terminal, facility_code="ECTDE"),
        "forwarder": principal_factory(role=Role.analyst, kind=OrgKind.forwarder),
    }


def _sub(session: Session, people: dict[str, Any], **kw: Any) -> tuple[Any, bytes]:
    who = kw.pop("who", "customs")
    return service.create_subscription(session=session, actor=people[who], publisher="MAEU", **kw)


def test_signed_callback_goes_through_ingest(session: Session, people: dict[str, Any]) -> None:
    sub, secret = _sub(session, people)
    body = _body("tnt-220-response.json")  # DCSA 2.2: a JSON array of events
    recon = service.receive(
        session=session,
        subscription_id=sub.subscription_id,
        body=body,
        signature_header=service.signature(secret, body),
        subscription_header=sub.subscription_id,
    )
    assert recon.received == 7 and recon.balanced
    assert recon.stored + recon.quarantined + recon.duplicates + recon.updated == 7
    stored = session.scalars(select(ContainerEvent).where(ContainerEvent.source.like("tnt:MAEU:%"))).all()
    assert len(stored) == recon.stored > 0
    # The same delivery again (publishers retry): nothing stored twice.
    again = service.receive(
        session=session,
        subscription_id=sub.subscription_id,
        body=body,
        signature_header=service.signature(secret, body),
    )
    assert again.stored == 0 and again.balanced
    assert sub.deliveries == 2 and sub.last_received_at is not None


def test_v3_body_and_bad_records_quarantined(session: Session, people: dict[str, Any]) -> None:
    sub, secret = _sub(session, people)
    data = json.loads(_body("tnt-300-request-equipment.json"))
    data["events"].append({"eventID": "broken", "eventType": "EQUIPMENT"})  # no time, no code
    body = json.dumps(data).encode()
    recon = service.receive(
        session=session,
        subscription_id=sub.subscription_id,
        body=body,
        signature_header=service.signature(secret, body),
    )
    assert (recon.received, recon.stored, recon.quarantined) == (2, 1, 1) and recon.balanced


def test_forged_and_unknown_callbacks_refused(session: Session, people: dict[str, Any]) -> None:
    sub, secret = _sub(session, people)
    body = _body("tnt-300-request-equipment.json")
    good = service.signature(secret, body)
    for header in (None, "", service.signature(b"wrong secret", body), "md5=" + good[7:], good[:-2] + "00"):
        with pytest.raises(NotAuthenticated):
            service.receive(
                session=session, subscription_id=sub.subscription_id, body=body, signature_header=header
            )
    # A body changed after signing (one byte) is refused too.
    with pytest.raises(NotAuthenticated):
        service.receive(
            session=session, subscription_id=sub.subscription_id, body=body + b" ", signature_header=good
        )
    with pytest.raises(NotAuthenticated):
        service.receive(session=session, subscription_id="nope", body=body, signature_header=good)
    with pytest.raises(ValidationFailed, match="Subscription-ID"):
        service.receive(
            session=session,
            subscription_id=sub.subscription_id,
            body=body,
            signature_header=good,
            subscription_header="another",
        )
    garbage = b"not json"
    with pytest.raises(ValidationFailed, match="not JSON"):
        service.receive(
            session=session,
            subscription_id=sub.subscription_id,
            body=garbage,
            signature_header=service.signature(secret, garbage),
        )
    service.end_subscription(session=session, actor=people["customs"], subscription_id=sub.subscription_id)
    with pytest.raises(NotAuthenticated):
        service.receive(
            session=session, subscription_id=sub.subscription_id, body=body, signature_header=good
        )


def test_who_may_subscribe_and_see(session: Session, people: dict[str, Any]) -> None:
    sub, _secret = _sub(session, people, filters={"eventType": "EQUIPMENT"})
    for who in ("viewer", "forwarder"):
        with pytest.raises(PermissionDenied):
            service.create_subscription(session=session, actor=people[who], publisher="MAEU")
    with pytest.raises(ValidationFailed, match="unknown filter"):
        _sub(session, people, filters={"colour": "red"})
    assert service.list_subscriptions(session=session, actor=people["other"]) == []
    own, _ = _sub(session, people, who="terminal")
    assert service.list_subscriptions(session=session, actor=people["terminal"]) == [own]
    assert service.list_subscriptions(session=session, actor=people["customs"]) == [sub, own]
    with pytest.raises(NotFound):
        service.end_subscription(session=session, actor=people["other"], subscription_id=sub.subscription_id)
    assert "secret" not in repr(sub.filters) and len(sub.secret_enc) > 40


def test_registration_at_the_publisher(session: Session, people: dict[str, Any]) -> None:
    sub, secret = _sub(session, people, publisher_url="http://127.0.0.1:9/v2/event-subscriptions")
    local = LocalPublisher()
    service.register(session=session, actor=people["customs"], sub=sub, secret=secret, gateway=local)
    [(url, body)] = local.registered
    assert url.endswith("/v2/event-subscriptions") and body["callbackUrl"].endswith(sub.subscription_id)
    assert base64.b64decode(body["secret"]) == secret and sub.registered == "done"
    service.register(
        session=session,
        actor=people["customs"],
        sub=sub,
        secret=secret,
        gateway=HttpPublisher(timeout_s=0.5),
    )
    assert sub.registered == "failed" and sub.register_error
    assert subscription_body("http://x/cb", b"k", {"eventType": "EQUIPMENT"})["eventType"] == "EQUIPMENT"


def test_http_subscribe_and_callback(
    session: Session, app_client: TestClient, people: dict[str, Any], token_for: Any
) -> None:
    session.commit()
    assert app_client.post("/api/v1/tnt/subscriptions", json={"publisher": "MAEU"}).status_code == 401
    viewer = token_for(people["viewer"])
    assert (
        app_client.post("/api/v1/tnt/subscriptions", json={"publisher": "MAEU"}, headers=viewer).status_code
        == 403
    )
    r = app_client.post(
        "/api/v1/tnt/subscriptions", json={"publisher": "MAEU"}, headers=token_for(people["customs"])
    )
    assert r.status_code == 201, r.text
    created = r.json()
    secret = base64.b64decode(created["secret"])
    path = "/api/v1/tnt/callbacks/" + created["subscription_id"]
    assert created["callback_url"].endswith(path)
    body = _body("tnt-300-request-equipment.json")
    refused = app_client.post(path, content=body, headers={"Notification-Signature": "sha256=00"})
    assert refused.status_code == 401 and "Notification-Signature" in refused.text
    ok = app_client.post(
        path,
        content=body,
        headers={
            "Notification-Signature": service.signature(secret, body),
            "Subscription-ID": created["subscription_id"],
            "Content-Type": "application/json",
        },
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["stored"] == 1 and ok.headers["API-Version"] == "3.0.0"
    listed = app_client.get("/api/v1/tnt/subscriptions", headers=token_for(people["customs"])).json()
    assert [s["deliveries"] for s in listed] == [1] and "secret" not in listed[0]
    gone = app_client.delete(path.replace("callbacks", "subscriptions"), headers=token_for(people["other"]))
    assert gone.status_code == 404


def test_events_stored_with_the_subscribers_rights(session: Session, people: dict[str, Any]) -> None:
    """A terminal's subscription stores events at its own facility only: the rest is quarantined, named."""
    sub, secret = _sub(session, people, who="terminal")
    body = _body("tnt-220-response.json")
    recon = service.receive(
        session=session,
        subscription_id=sub.subscription_id,
        body=body,
        signature_header=service.signature(secret, body),
    )
    assert recon.stored == 0 and recon.quarantined == 7 and recon.balanced
    assert "own facility" in recon.problems[0].reason
