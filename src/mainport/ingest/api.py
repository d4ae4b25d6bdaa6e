"""Ingest API: batches of declarations and DCSA events, and the quarantine."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from starlette.exceptions import HTTPException

from mainport.api.deps import CurrentUser, SessionDep
from mainport.api.pagination import Page, PageDep
from mainport.errors import ValidationFailed
from mainport.ingest import declaration_store, event_store, service
from mainport.ingest.readers import records_from_objects
from mainport.ingest.schemas import QuarantinedDetail, QuarantinedOut, ReconciliationOut, RetryIn

router = APIRouter(tags=["ingest"])
MAX_BATCH = 10_000
# The largest batch body read (10,000 records of 6.5 KB on average; a DCSA event is under 1 KB): refused
# on its declared length before a byte is read, and while it is read past this, so memory stays bounded.
MAX_BODY = 64 * 1024 * 1024
_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"oneOf": [{"type": "array"}, {"type": "object"}]}}},
    }
}


def _too_large(size: int) -> HTTPException:
    return HTTPException(413, f"request body of {size:,} bytes or more; at most {MAX_BODY:,} bytes per batch")


async def json_body(request: Request) -> Any:
    """The request body, read with a cap (MAX_BODY) and parsed by orjson (several times faster than the
    default for big batches). Each record is then checked on its own (size, nesting, text): a bad record is
    quarantined, never the batch; only a body that is not JSON at all is refused whole."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise _too_large(int(declared))
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _too_large(size)
        parts.append(chunk)
    data = b"".join(parts)
    del parts
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed(f"the body is not valid JSON: {exc}") from None


JsonBody = Annotated[Any, Depends(json_body)]


def _answer(summary: dict[str, Any]) -> Response:
    # Already plain JSON types: skip the response model's validation and serialise with orjson.
    return Response(orjson.dumps(summary), media_type="application/json")


def _items(body: Any, key: str) -> list[Any]:
    items = body.get(key) if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise ValidationFailed(f"expected a JSON array or an object with a {key!r} array")
    if len(items) > MAX_BATCH:
        raise ValidationFailed(f"at most {MAX_BATCH} records per request, got {len(items)}")
    return items


@router.post("/declarations", response_model=ReconciliationOut, openapi_extra=_BATCH_BODY)
def post_declarations(session: SessionDep, user: CurrentUser, body: JsonBody) -> Response:
    recon = declaration_store.ingest_declarations(
        session=session,
        actor=user,
        source=f"api:{user.username}",
        records=records_from_objects(_items(body, "declarations")),
    )
    return _answer(recon.summary())


@router.post("/events", response_model=ReconciliationOut, openapi_extra=_BATCH_BODY)
def post_events(session: SessionDep, user: CurrentUser, body: JsonBody) -> Response:
    recon = event_store.ingest_events(
        session=session,
        actor=user,
        source=f"api:{user.username}",
        records=records_from_objects(_items(body, "events")),
    )
    return _answer(recon.summary())


@router.get("/quarantine", response_model=Page[QuarantinedOut])
def get_quarantine(
    session: SessionDep, user: CurrentUser, page: PageDep, kind: str | None = None, status: str = "open"
) -> Page[QuarantinedOut]:
    items, total = service.list_quarantine(
        session=session, actor=user, kind=kind, status=status, limit=page.limit, offset=page.offset
    )
    return Page(
        items=[QuarantinedOut.model_validate(i) for i in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/quarantine/{record_id}", response_model=QuarantinedDetail)
def get_quarantined(record_id: int, session: SessionDep, user: CurrentUser) -> QuarantinedDetail:
    return QuarantinedDetail.model_validate(
        service.get_quarantined(session=session, actor=user, record_id=record_id)
    )


@router.post("/quarantine/{record_id}/retry", response_model=ReconciliationOut)
def retry(
    record_id: int, session: SessionDep, user: CurrentUser, body: RetryIn | None = None
) -> dict[str, Any]:
    recon = service.retry_quarantined(
        session=session, actor=user, ids=[record_id], fixed_raw=body.fixed_raw if body else None
    )
    return recon.summary()
