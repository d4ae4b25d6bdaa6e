"""The audit log's recurring job: walk the hash chain every night."""

from __future__ import annotations

from typing import Any

from mainport.audit import service
from mainport.errors import Conflict
from mainport.recurring import JobContext, ScheduledJob


def _verify(ctx: JobContext) -> dict[str, Any]:
    report = service.verify(session=ctx.session)
    if not report.ok:  # a failed run, shown on the operations page until someone looks
        raise Conflict(f"audit chain does not verify: {'; '.join(report.problems)[:500]}")
    return {"entries": report.entries, "head": report.head_seq}


SCHEDULED = (
    ScheduledJob(
        "audit-verify", "Verify the audit log's hash chain", _verify, cron="15 1 * * *", max_attempts=1
    ),
)
