"""Staff look-ups (access logs): stored by ingest (`record_lookups`), read by analysts (`list_lookups`).

Who looked up which container when is insider intelligence: reading it needs `insider:read` (government
analysts and admins, never the terminals whose staff are in it) and every read is audited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.database import chunks
from mainport.errors import ValidationFailed
from mainport.identity.principal import Principal
from mainport.insider.models import StaffLookup

COLUMNS = (
    "key",
    "at",
    "username",
    "org_code",
    "hub",
    "unlocode",
    "facility_code",
    "container_number",
    "kind",
    "object",
    "device",
    "place",
)


def record_lookups(
    *,
    session: Session,
    actor: Principal,
    rows: Sequence[Mapping[str, Any]],
    source: str,
    run_id: int | None = None,
) -> tuple[int, int]:
    """Store validated look-ups (`mainport.ingest.feeds.access` rows), each once by its key.

    Returns (stored, duplicates): a key already stored or repeated in `rows` is a duplicate.
    """
    actor.require("insider:write")
    keys = [r["key"] for r in rows]
    existing: set[str] = set()
    for chunk in chunks(keys):
        existing.update(session.scalars(select(StaffLookup.key).where(StaffLookup.key.in_(chunk))))
    new = []
    for r in rows:
        if r["key"] in existing:
            continue
        existing.add(r["key"])
        new.append({**{c: r.get(c) for c in COLUMNS}, "run_id": run_id, "source": source[:300]})
    if new:
        session.execute(insert(StaffLookup), new)
    audit.record(
        session=session,
        actor=actor,
        action="insider.lookups.record",
        entity_type="staff_lookup",
        entity_id=source[:200],
        detail={"stored": len(new), "duplicates": len(rows) - len(new), "run_id": run_id},
    )
    return len(new), len(rows) - len(new)


def list_lookups(
    *,
    session: Session,
    actor: Principal,
    user: str | None = None,
    container: str | None = None,
    org: str | None = None,
    hub: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[StaffLookup], int]:
    """Look-ups matching the filters, newest first, and how many match; the read is audited."""
    actor.require("insider:read")
    if not 1 <= limit <= 10_000 or offset < 0:
        raise ValidationFailed("limit must be 1-10000 and offset >= 0")
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise ValidationFailed(f"{name} needs a time zone (e.g. 2024-03-04T00:00:00Z)")
    q = select(StaffLookup)
    if user:
        q = q.where(StaffLookup.username == user.strip())
    if container:
        q = q.where(StaffLookup.container_number == container.strip().upper().replace(" ", ""))
    if org:
        q = q.where(StaffLookup.org_code == org.strip())
    if hub:
        q = q.where(StaffLookup.hub == hub.strip().lower())
    if kind:
        q = q.where(StaffLookup.kind == kind.strip().lower())
    if since is not None:
        q = q.where(StaffLookup.at >= since)
    if until is not None:
        q = q.where(StaffLookup.at < until)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    items = list(
        session.scalars(q.order_by(StaffLookup.at.desc(), StaffLookup.id.desc()).limit(limit).offset(offset))
    )
    filters = {"user": user, "container": container, "org": org, "hub": hub, "kind": kind}
    audit.record(
        session=session,
        actor=actor,
        action="insider.lookups.read",
        entity_type="staff_lookup",
        entity_id=(user or container or "-")[:200],
        detail={
            **{k: v for k, v in filters.items() if v},
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "returned": len(items),
            "total": total,
        },
    )
    return items, total


def purge_lookups(*, session: Session, actor: Principal, before: datetime) -> int:
    """Delete look-ups older than ``before`` (retention: personal data is kept no longer than needed).

    What was purged (how many, the oldest and newest time) is written to the audit log."""
    actor.require("insider:write")
    if before.tzinfo is None:
        raise ValidationFailed("before needs a time zone")
    oldest, newest, count = session.execute(
        select(func.min(StaffLookup.at), func.max(StaffLookup.at), func.count()).where(
            StaffLookup.at < before
        )
    ).one()
    if count:
        session.execute(delete(StaffLookup).where(StaffLookup.at < before))
    audit.record(
        session=session,
        actor=actor,
        action="insider.lookups.purge",
        entity_type="staff_lookup",
        entity_id=f"before {before.isoformat()}",
        detail={"purged": int(count), "oldest": oldest, "newest": newest},
    )
    return int(count)
