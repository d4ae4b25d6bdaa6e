"""Federation's recurring job: hold requests to partners out, and the outbox delivered (safe to re-run)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mainport.federation import inbound, service
from mainport.federation.keys import Instance
from mainport.federation.transport import HttpTransport
from mainport.recurring import JobContext, ScheduledJob


def _dispatch(ctx: JobContext) -> dict[str, Any]:
    me = Instance.from_settings()
    holds = inbound.send_hold_requests(session=ctx.session, actor=ctx.actor, me=me)
    return {**holds, **service.dispatch(session=ctx.session, actor=ctx.actor, transport=HttpTransport())}


SCHEDULED = (
    ScheduledJob(
        "federation-dispatch",
        "Send hold requests to partner control units and deliver signed messages waiting in the outbox",
        _dispatch,
        every=timedelta(minutes=1),
    ),
)
