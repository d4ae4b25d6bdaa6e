"""Federation over HTTP: the signed inbox partners POST to, and the management routes (thin handlers)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.errors import NotAuthenticated, ValidationFailed
from mainport.federation import inbound, keys, service, transfer
from mainport.federation.keys import Instance
from mainport.federation.schemas import (
    AgreementIn,
    AgreementOut,
    AnswerIn,
    KeyOut,
    MessageOut,
    PartnerIn,
    PartnerKeyIn,
    PartnerOut,
    SendIn,
)
from mainport.federation.transport import HttpTransport

router = APIRouter(tags=["federation"])
MAX_ENVELOPE = 1_000_000


def me(request: Request) -> Instance:
    return Instance.from_settings(request.app.state.settings)


Me = Annotated[Instance, Depends(me)]


async def envelope_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():  # nothing signed: who is asking is unknown, as for a request without a token
        raise NotAuthenticated("a partner's signed envelope is required")
    if len(raw) > MAX_ENVELOPE:
        raise ValidationFailed(f"envelope larger than {MAX_ENVELOPE} bytes")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ValidationFailed("envelope is not JSON") from None


def partner_signature(request: Request) -> tuple[str, str, str]:
    """Sender, key id and signature of a partner's request: without them nobody is asking (401)."""
    h = request.headers
    sender, kid, signature = (h.get(f"X-Federation-{k}") for k in ("From", "Kid", "Signature"))
    if not (sender and kid and signature):
        raise NotAuthenticated("a partner's signature is required (X-Federation-From, -Kid and -Signature)")
    if len(sender) > 32 or len(kid) > 32 or len(signature) > 200:
        raise ValidationFailed("X-Federation-From and -Kid are at most 32 characters, -Signature 200")
    return sender, kid, signature


@router.post("/federation/inbox")
def inbox(session: SessionDep, me: Me, envelope: Annotated[Any, Depends(envelope_body)]) -> Response:
    """Partners' signed messages (authenticated by the signature, not by a user): 202 accepted, 401 unknown
    sender or bad signature, 403 no agreement or not addressed here, 409 replay or stale."""
    found = service.accept(session=session, me=me, envelope=envelope)
    if isinstance(found, service.Refusal):
        return Response(
            orjson.dumps({"status": "refused", "reason": found.reason, "detail": found.reason}),
            status_code=found.status,
            media_type="application/json",
        )
    result = inbound.handle(session=session, me=me, msg=found)
    return Response(
        orjson.dumps({"status": "accepted", "message": found.message_id, "result": result}),
        status_code=202,
        media_type="application/json",
    )


@router.get("/federation/keys", response_model=list[KeyOut])
def published_keys(session: SessionDep, principal: CurrentUser) -> list[KeyOut]:
    principal.require("federation:send")
    return [KeyOut.model_validate(k) for k in keys.published(session)]


@router.post("/federation/keys/rotate", response_model=list[MessageOut])
def rotate(session: SessionDep, principal: CurrentUser, me: Me) -> list[MessageOut]:
    _kid, announced = service.rotate_key(session=session, actor=principal, me=me)
    return [MessageOut.model_validate(m) for m in announced]


@router.post("/federation/partners", response_model=PartnerOut, status_code=201)
def add_partner(body: PartnerIn, session: SessionDep, principal: CurrentUser) -> PartnerOut:
    return PartnerOut.model_validate(
        service.add_partner(session=session, actor=principal, **body.model_dump())
    )


@router.get("/federation/partners", response_model=list[PartnerOut])
def partners(session: SessionDep, principal: CurrentUser) -> list[PartnerOut]:
    return [PartnerOut.model_validate(p) for p in service.list_partners(session=session, actor=principal)]


@router.post("/federation/partners/{code}/keys", status_code=201)
def add_partner_key(
    code: str, body: PartnerKeyIn, session: SessionDep, principal: CurrentUser
) -> dict[str, str]:
    row = service.add_partner_key(session=session, actor=principal, code=code, **body.model_dump())
    return {"kid": row.kid}


@router.post("/federation/agreements", response_model=AgreementOut, status_code=201)
def agree(body: AgreementIn, session: SessionDep, principal: CurrentUser) -> AgreementOut:
    row = service.agree(
        session=session,
        actor=principal,
        code=body.partner,
        category=body.category,
        direction=body.direction,
        reference=body.reference,
        valid_to=body.valid_to,
    )
    return AgreementOut.model_validate(row)


@router.post("/federation/agreements/{agreement_id}/revoke", response_model=AgreementOut)
def revoke(agreement_id: int, session: SessionDep, principal: CurrentUser) -> AgreementOut:
    return AgreementOut.model_validate(
        service.revoke_agreement(session=session, actor=principal, agreement_id=agreement_id)
    )


@router.post("/federation/messages", response_model=MessageOut, status_code=201)
def send(body: SendIn, session: SessionDep, principal: CurrentUser, me: Me) -> MessageOut:
    row = service.send(
        session=session, actor=principal, me=me, code=body.partner, category=body.category, body=body.body
    )
    return MessageOut.model_validate(row)


@router.get("/federation/messages", response_model=list[MessageOut])
def messages(
    session: SessionDep,
    principal: CurrentUser,
    direction: Annotated[str | None, Query(max_length=3)] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
) -> list[MessageOut]:
    rows = service.messages(session=session, actor=principal, direction=direction, category=category)
    return [MessageOut.model_validate(m) for m in rows]


@router.post("/federation/messages/{message_id}/answer", response_model=MessageOut, status_code=201)
def answer(
    message_id: int, body: AnswerIn, session: SessionDep, principal: CurrentUser, me: Me
) -> MessageOut:
    row = inbound.answer_received_hold(
        session=session, actor=principal, me=me, message_id=message_id, **body.model_dump()
    )
    return MessageOut.model_validate(row)


@router.post("/federation/dispatch")
def dispatch(session: SessionDep, principal: CurrentUser, me: Me) -> dict[str, int]:
    """Send hold requests to partner control units and deliver the outbox now (the job does the same)."""
    holds = inbound.send_hold_requests(session=session, actor=principal, me=me)
    sent = service.dispatch(session=session, actor=principal, transport=HttpTransport())
    return {**{f"holds_{k}": v for k, v in holds.items()}, **sent}


async def chunk_body(request: Request) -> bytes:
    return await request.body()


@router.get("/federation/transfers/{transfer_id}")
def transfer_status(
    transfer_id: str,
    request: Request,
    session: SessionDep,
    signed: Annotated[tuple[str, str, str], Depends(partner_signature)],
) -> dict[str, Any]:
    """Which chunks of an announced origin-scan transfer arrived (signed by the sender, no user)."""
    sender, kid, signature = signed
    outcome = transfer.status(
        session=session,
        data_dir=request.app.state.settings.data_dir,
        transfer_id=transfer_id,
        sender=sender,
        kid=kid,
        signature=signature,
    )
    settings = request.app.state.settings
    return inbound.ingest_transferred(
        session=session, settings=settings, sender=sender, transfer_id=transfer_id, outcome=outcome
    )


@router.put("/federation/transfers/{transfer_id}/chunks/{n}")
def transfer_chunk(
    transfer_id: str,
    n: int,
    request: Request,
    session: SessionDep,
    chunk: Annotated[bytes, Depends(chunk_body)],
    signed: Annotated[tuple[str, str, str], Depends(partner_signature)],
) -> dict[str, Any]:
    sender, kid, signature = signed
    outcome = transfer.receive_chunk(
        session=session,
        data_dir=request.app.state.settings.data_dir,
        transfer_id=transfer_id,
        n=n,
        chunk=chunk,
        sender=sender,
        kid=kid,
        signature=signature,
    )
    settings = request.app.state.settings
    return inbound.ingest_transferred(
        session=session, settings=settings, sender=sender, transfer_id=transfer_id, outcome=outcome
    )
