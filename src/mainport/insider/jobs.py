"""Insider domain's recurring job: retention of staff look-ups (personal data)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mainport.config import get_settings
from mainport.insider import service
from mainport.recurring import JobContext, ScheduledJob


def _retention(ctx: JobContext) -> dict[str, Any]:
    days = get_settings().retention_lookups_days
    purged = service.purge_lookups(
        session=ctx.session, actor=ctx.actor, before=ctx.now - timedelta(days=days)
    )
    return {"purged": purged, "kept_days": days}


SCHEDULED: tuple[ScheduledJob, ...] = (
    ScheduledJob(
        "insider-retention",
        "Delete staff look-ups older than the retention period (MAINPORT_RETENTION_LOOKUPS_DAYS)",
        _retention,
        cron="30 2 * * *",
    ),
)


def _ranking(ctx: JobContext) -> dict[str, Any]:
    from mainport.insider import ranking

    found = ranking.run_ranking(session=ctx.session, actor=ctx.actor, now=ctx.now)
    return {"people": found.people, "flagged": found.flagged, "alerts": found.alerts}


SCHEDULED = (
    *SCHEDULED,
    ScheduledJob(
        "insider-ranking",
        "Rank staff by insider-risk signals over the last six weeks; alerts over the threshold",
        _ranking,
        cron="0 4 * * *",
    ),
)
