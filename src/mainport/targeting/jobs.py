"""Targeting's recurring job: retrain the risk model every week on the outcomes known by then."""

from __future__ import annotations

from typing import Any

from mainport.errors import ValidationFailed
from mainport.recurring import JobContext, ScheduledJob
from mainport.targeting import service


def _retrain(ctx: JobContext) -> dict[str, Any]:
    try:
        version = service.train_model(session=ctx.session, actor=ctx.actor, until=ctx.now)
    except ValidationFailed as exc:  # too few outcomes yet: nothing to learn from, not a failure
        return {"trained": 0, "skipped": exc.message}
    return {"trained": 1, "model_version": version.id}


SCHEDULED = (
    ScheduledJob(
        "targeting-retrain",
        "Retrain the risk model on every inspection outcome known now; the new version becomes active",
        _retrain,
        cron="0 3 * * mon",
        max_attempts=2,
    ),
)
