"""Unguarded minutes per selected box: how long a box under control stood outside its guarded area
between discharge and the end of its plan, per hub (the dashboard's figure). Aggregates only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.cases.models import Alert
from mainport.custody.models import CustodyPlan
from mainport.database import utcnow
from mainport.identity.principal import Principal

ENDS = frozenset({"released", "seized", "cancelled"})


def unguarded_minutes(
    steps: Iterable[tuple[str, datetime, str | None]], guarded_area: str, now: datetime
) -> float | None:
    """Minutes outside the guarded area from discharge on, over (step, at, location) in log order; None
    while the box is not discharged yet. Leaving the guarded area under control counts again."""
    total, since, discharged = 0.0, None, False
    for step, at, location in steps:
        if step == "discharged":
            discharged = True
            since = since or at
        elif step == "guarded" or (step == "moved" and location == guarded_area):
            discharged = True
            if since is not None:
                total += (at - since).total_seconds()
            since = None
        elif step == "moved" and discharged and location and location != guarded_area:
            since = since or at
        elif step in ENDS:
            if since is not None:
                total += (at - since).total_seconds()
            return total / 60 if discharged else None
    if not discharged:
        return None
    if since is not None:
        total += (now - since).total_seconds()
    return max(0.0, total) / 60


@dataclass(frozen=True)
class HubUnguarded:
    hub: str
    boxes: int  # selected boxes discharged under a plan in the period
    mean_minutes: float
    p90_minutes: float
    max_minutes: float
    unguarded_now: int  # discharged, plan open, not in the guarded area at this moment
    without_plan: int  # selected boxes discharged with no plan in force (alerts)


def by_hub(
    *, session: Session, actor: Principal, start: datetime, end: datetime, now: datetime | None = None
) -> list[HubUnguarded]:
    """Per hub, for plans opened in [start, end)."""
    actor.require("monitoring:read")
    now = now or utcnow()
    plans = session.scalars(
        select(CustodyPlan).where(CustodyPlan.opened_at >= start, CustodyPlan.opened_at < end)
    ).all()
    minutes: dict[str, list[float]] = {}
    now_out: dict[str, int] = {}
    for plan in plans:
        hub = plan.hub or "unknown"
        value = unguarded_minutes(((e.step, e.at, e.location) for e in plan.log), plan.guarded_area, now)
        if value is None:
            continue
        minutes.setdefault(hub, []).append(value)
        if plan.closed_at is None and plan.location != plan.guarded_area:
            now_out[hub] = now_out.get(hub, 0) + 1
    missing = dict(
        session.execute(
            select(Alert.hub, func.count())
            .where(
                Alert.kind == "custody.discharged_without_plan",
                Alert.raised_at >= start,
                Alert.raised_at < end,
            )
            .group_by(Alert.hub)
        ).all()
    )
    hubs = sorted(set(minutes) | {str(h or "unknown") for h in missing})
    rows = []
    for hub in hubs:
        values = np.asarray(minutes.get(hub, []), dtype=float)
        rows.append(
            HubUnguarded(
                hub=hub,
                boxes=int(values.size),
                mean_minutes=float(values.mean()) if values.size else 0.0,
                p90_minutes=float(np.percentile(values, 90)) if values.size else 0.0,
                max_minutes=float(values.max()) if values.size else 0.0,
                unguarded_now=now_out.get(hub, 0),
                without_plan=int(missing.get(hub if hub != "unknown" else None, 0) or 0),
            )
        )
    audit.record(
        session=session,
        actor=actor,
        action="custody.unguarded_read",
        entity_type="hub",
        entity_id=",".join(hubs) or "-",
        detail={"start": start.isoformat(), "end": end.isoformat()},
    )
    return rows
