"""Retention per data category: what a category's `retention_days` says is purged by the sharing-retention
job, and each purge (category, cut-off, how many) is recorded (`RetentionRun`) and audited by the owning
domain. Only categories with a purge here can be given a retention period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.identity.principal import Principal
from mainport.sharing.models import DataCategory, RetentionRun


def _staff_lookups(session: Session, actor: Principal, before: datetime) -> int:
    from mainport.insider import service as insider

    return insider.purge_lookups(session=session, actor=actor, before=before)


# category -> purge(session, actor, before) -> records deleted (the domain's own service does the delete)
PURGES: dict[str, Callable[[Session, Principal, datetime], int]] = {"staff_lookups": _staff_lookups}


def enforce(*, session: Session, actor: Principal, now: datetime) -> dict[str, Any]:
    """Purge every category with a retention period; one RetentionRun per category purged."""
    out: dict[str, Any] = {}
    for cat in session.scalars(select(DataCategory).order_by(DataCategory.code)):
        purge = PURGES.get(cat.code)
        if cat.retention_days is None or purge is None:
            continue
        cutoff = now - timedelta(days=cat.retention_days)
        purged = purge(session, actor, cutoff)
        session.add(
            RetentionRun(
                category=cat.code,
                ran_at=now,
                cutoff=cutoff,
                purged=purged,
                detail={"retention_days": cat.retention_days, "by": actor.username},
            )
        )
        out[cat.code] = purged
    session.flush()
    return out


def runs(*, session: Session, actor: Principal, limit: int = 50) -> list[RetentionRun]:
    actor.require("sharing:read")
    return list(session.scalars(select(RetentionRun).order_by(RetentionRun.id.desc()).limit(limit)))
