"""The origin queue's recurring jobs (run by the operations scheduler; each safe to re-run)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mainport.origin import holds, service
from mainport.recurring import JobContext, ScheduledJob


def _enqueue(ctx: JobContext) -> dict[str, Any]:
    return {"queued": len(service.enqueue(session=ctx.session, actor=ctx.actor, since=ctx.since))}


def _deadlines(ctx: JobContext) -> dict[str, Any]:
    return {"no_answer": len(holds.expire_unanswered(session=ctx.session, actor=ctx.actor, now=ctx.now))}


SCHEDULED = (
    ScheduledJob(
        "origin-queue",
        "Queue new origin scans for reading before the vessel sails (single-scan check and risk score)",
        _enqueue,
        every=timedelta(minutes=5),
    ),
    ScheduledJob(
        "origin-hold-deadlines",
        "Hold requests past the box's loading time without an answer: no answer, check on arrival",
        _deadlines,
        every=timedelta(minutes=5),
    ),
)
