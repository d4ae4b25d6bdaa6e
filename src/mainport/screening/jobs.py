"""Screening's recurring jobs: the expiry and consequence sweep (hourly) and retention (nightly)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from mainport import flows
from mainport.recurring import JobContext, ScheduledJob
from mainport.screening import sweep


def _sweep(ctx: JobContext) -> dict[str, Any]:
    return asdict(flows.screening_sweep(session=ctx.session, actor=ctx.actor, now=ctx.now))


def _retention(ctx: JobContext) -> dict[str, Any]:
    return dict(sweep.purge(session=ctx.session, actor=ctx.actor, now=ctx.now))


SCHEDULED = (
    ScheduledJob(
        "screening-sweep",
        "Re-judge people in high-risk roles; alert 30 days before a certificate ends, and banned people seen",
        _sweep,
        cron="15 * * * *",
    ),
    ScheduledJob(
        "screening-retention",
        "Delete certificates and bans ended over two years ago, and old reveal requests",
        _retention,
        cron="45 2 * * *",
    ),
)
