"""DCSA T&T subscriptions (users) and the callback publishers POST to (signed, no user session)."""

from __future__ import annotations

import base64
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Header, Request, Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.config import get_settings
from mainport.tnt import service
from mainport.tnt.publisher import publisher_from_settings
from mainport.tnt.schemas import CreatedOut, SubscriptionIn, SubscriptionOut

router = APIRouter(tags=["tnt"])


@router.post("/tnt/subscriptions", response_model=CreatedOut, status_code=201)
def subscribe(body: SubscriptionIn, session: SessionDep, principal: CurrentUser) -> CreatedOut:
    sub, secret = service.create_subscription(session=session, actor=principal, **body.model_dump())
    service.register(
        session=session, actor=principal, sub=sub, secret=secret, gateway=publisher_from_settings()
    )
    return CreatedOut(
        **SubscriptionOut.model_validate(sub).model_dump(),
        callback_url=get_settings().public_url.rstrip("/") + service.callback_path(sub.subscription_id),
        secret=base64.b64encode(secret).decode(),
    )


@router.get("/tnt/subscriptions", response_model=list[SubscriptionOut])
def subscriptions(session: SessionDep, principal: CurrentUser) -> list[SubscriptionOut]:
    return [
        SubscriptionOut.model_validate(s)
        for s in service.list_subscriptions(session=session, actor=principal)
    ]


@router.delete("/tnt/subscriptions/{subscription_id}", response_model=SubscriptionOut)
def unsubscribe(subscription_id: str, session: SessionDep, principal: CurrentUser) -> SubscriptionOut:
    sub = service.end_subscription(session=session, actor=principal, subscription_id=subscription_id)
    return SubscriptionOut.model_validate(sub)


async def raw_body(request: Request) -> bytes:
    """The exact bytes the signature covers (read on the event loop; the handler runs in the pool)."""
    return await request.body()


@router.post("/tnt/callbacks/{subscription_id}", status_code=200)
def callback(
    subscription_id: str,
    body: Annotated[bytes, Depends(raw_body)],
    session: SessionDep,
    notification_signature: Annotated[str | None, Header(max_length=200)] = None,
    subscription_id_header: Annotated[str | None, Header(alias="Subscription-ID", max_length=64)] = None,
) -> Response:
    """Authenticated by the publisher's Notification-Signature (DCSA), not by a user: 401 when it does not
    verify. Answers ingest's reconciliation (what was stored, duplicated, quarantined)."""
    recon = service.receive(
        session=session,
        subscription_id=subscription_id,
        body=body,
        signature_header=notification_signature,
        subscription_header=subscription_id_header,
    )
    return Response(
        orjson.dumps(recon.summary()), media_type="application/json", headers={"API-Version": "3.0.0"}
    )
