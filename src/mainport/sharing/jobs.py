"""Sharing's recurring jobs: retention per data category, expiry of undecided requests, monthly figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mainport.recurring import JobContext, ScheduledJob
from mainport.sharing import figures, requests, retention


def _retention(ctx: JobContext) -> dict[str, Any]:
    return {"purged": retention.enforce(session=ctx.session, actor=ctx.actor, now=ctx.now)}


def _expire(ctx: JobContext) -> dict[str, Any]:
    return {"expired": requests.expire(session=ctx.session, actor=ctx.actor, now=ctx.now)}


def _figures(ctx: JobContext) -> dict[str, Any]:
    # This month so far and the month before (late audit entries of its last day).
    this = ctx.now.strftime("%Y-%m")
    first = ctx.now.replace(day=1)
    last = (
        first.replace(year=first.year - 1, month=12)
        if first.month == 1
        else first.replace(month=first.month - 1)
    )
    out = {}
    for month in (last.strftime("%Y-%m"), this):
        out[month] = figures.store(ctx.session, month)
    return {"rows": out}


SCHEDULED = (
    ScheduledJob(
        "sharing-retention",
        "Purge each data category's records older than its retention period (sharing register)",
        _retention,
        cron="45 2 * * *",
    ),
    ScheduledJob(
        "sharing-expire-requests", "Expire sharing requests nobody decided in time", _expire, cron="5 * * * *"
    ),
    ScheduledJob(
        "sharing-figures",
        "Rebuild the sharing figures (pairs, categories, months) from the audit log",
        _figures,
        every=timedelta(hours=1),
    ),
)
