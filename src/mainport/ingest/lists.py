"""The quarantine as a list: by kind and status, a text search over reason, source and locator, a chosen
sort; what a party sees is decided by identity.policy.quarantine (its own records only, unless government)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.database.sorting import Sort, like_term, paged
from mainport.identity import policy
from mainport.identity.principal import Principal
from mainport.ingest.models import QuarantinedRecord

QUARANTINE_SORTS: dict[str, Any] = {
    "id": QuarantinedRecord.id,
    "received_at": QuarantinedRecord.received_at,
    "kind": QuarantinedRecord.kind,
    "source": QuarantinedRecord.source,
    "retries": QuarantinedRecord.retries,
    "size": QuarantinedRecord.raw_size,
}


def search_quarantine(
    *,
    session: Session,
    actor: Principal,
    kind: str | None = None,
    status: str | None = "open",
    q: str | None = None,
    sort: Sort,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[QuarantinedRecord], int]:
    actor.require("quarantine:read")
    query = select(QuarantinedRecord).where(policy.quarantine(session, actor))
    if kind:
        query = query.where(QuarantinedRecord.kind == kind)
    if status:
        query = query.where(QuarantinedRecord.status == status)
    term = like_term(q)
    if term is not None:
        low = term.lower()
        query = query.where(
            or_(
                func.lower(QuarantinedRecord.reason).contains(low, autoescape=True),
                func.lower(QuarantinedRecord.source).contains(low, autoescape=True),
                QuarantinedRecord.locator == term,
            )
        )
    items, total = paged(session, query, sort, QUARANTINE_SORTS, QuarantinedRecord.id, limit, offset)
    audit.record(
        session=session,
        actor=actor,
        action="quarantine.search",
        entity_type="quarantined_record",
        entity_id="*",
        detail={"kind": kind, "status": status, "q": q, "sort": sort.param, "returned": len(items)},
    )
    return items, total
