"""Monitoring's recurring job: the monthly progress report (PDF in the data folder)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mainport.config import get_settings
from mainport.monitoring import report
from mainport.recurring import JobContext, ScheduledJob


def _monthly_report(ctx: JobContext) -> dict[str, Any]:
    last_month = ctx.now.replace(day=1) - timedelta(days=1)
    period = f"{last_month:%Y-%m}"
    out = get_settings().data_dir / "reports" / f"progress-{period}.pdf"
    path = report.build_report(session=ctx.session, actor=ctx.actor, period=period, out=out)
    return {"period": period, "file": str(path), "bytes": path.stat().st_size}


SCHEDULED = (
    ScheduledJob(
        "monitoring-report",
        "Write last month's progress report (per hub and measure) to the data folder",
        _monthly_report,
        cron="0 5 1 * *",
    ),
)
