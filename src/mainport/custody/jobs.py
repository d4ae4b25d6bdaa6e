"""Custody's recurring jobs (run by the operations scheduler; each safe to re-run)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from mainport import flows
from mainport.custody import anchor, gate, instructions, seals, service
from mainport.custody.terminal import gateway_from_settings
from mainport.errors import Conflict
from mainport.recurring import JobContext, ScheduledJob
from mainport.shipments.models import ContainerEvent

# Seal checks look back a little before the last run: events committed by a long ingest that started
# before it are not missed (alerts are de-duplicated, so looking twice raises nothing twice).
SEAL_OVERLAP = timedelta(minutes=10)


def _dwell(ctx: JobContext) -> dict[str, Any]:
    alerts = service.check_dwell(session=ctx.session, actor=ctx.actor, now=ctx.now)
    return {"alerts": len(alerts)}


def _door_events(ctx: JobContext) -> dict[str, Any]:
    judged, _dups, alerts = seals.ingest_door_events(session=ctx.session, actor=ctx.actor)
    return {"judged": judged, "alerts": len(alerts)}


def _anchor_gate(ctx: JobContext) -> dict[str, Any]:
    entry = anchor.anchor_decisions(session=ctx.session, actor=ctx.actor, now=ctx.now)
    report = anchor.verify_anchors(session=ctx.session, actor=ctx.actor)
    if not report.ok:  # a failed run on the operations page, and retried: someone must look
        raise Conflict(f"gate decision anchors do not verify: {'; '.join(report.problems)[:500]}")
    return {"anchored": int(entry.detail["count"]) if entry else 0, "anchors": report.anchors}


def _gate_alerts(ctx: JobContext) -> dict[str, Any]:
    """Fraud alerts of gate refusals whose own task did not raise them (a database fault after the
    answer, a worker that ended): none is lost."""
    return {"raised": gate.raise_pending_alerts(session=ctx.session, actor=ctx.actor, now=ctx.now)}


def _seal_checks(ctx: JobContext) -> dict[str, Any]:
    """Compare declared seals with the seals on every container event that arrived since the last run."""
    query = select(ContainerEvent.equipment_reference).where(ContainerEvent.equipment_reference.is_not(None))
    if ctx.since is not None:
        query = query.where(ContainerEvent.received_at >= ctx.since - SEAL_OVERLAP)
    containers = sorted({c for c in ctx.session.scalars(query.distinct()) if c})
    alerts = 0
    for number in containers:
        alerts += len(seals.check_seals(session=ctx.session, actor=ctx.actor, container_number=number))
    return {"containers": len(containers), "alerts": alerts}


def _plan_physical_checks(ctx: JobContext) -> dict[str, Any]:
    """Selections, scan alerts and tips that need a physical check get their custody plan before arrival;
    the terminals get their discharge-to-guarded-area instructions (pending and failed ones are resent)."""
    run = flows.plan_physical_checks(session=ctx.session, actor=ctx.actor, since=ctx.since)
    sent = instructions.dispatch(session=ctx.session, actor=ctx.actor, gateway=gateway_from_settings())
    return {
        "opened": len(run.opened),
        "no_terminal": run.no_terminal,
        "already_left": run.already_left,
        **sent,
    }


def _terminal_checks(ctx: JobContext) -> dict[str, Any]:
    """Unacknowledged instructions near arrival, and selected boxes discharged with no plan in force."""
    chased = instructions.check_acknowledgements(session=ctx.session, actor=ctx.actor, now=ctx.now)
    since = ctx.since - SEAL_OVERLAP if ctx.since is not None else None
    missing = instructions.check_discharges(
        session=ctx.session, actor=ctx.actor, kinds=flows.PHYSICAL_CHECK_KINDS, since=since
    )
    return {"unacknowledged": len(chased), "discharged_without_plan": len(missing)}


SCHEDULED = (
    ScheduledJob(
        "custody-plan-physical-checks",
        "Open custody plans for selected boxes before arrival and instruct their terminals",
        _plan_physical_checks,
        every=timedelta(minutes=2),
    ),
    ScheduledJob(
        "custody-terminal-checks",
        "Alert on unacknowledged terminal instructions and selected boxes discharged without a plan",
        _terminal_checks,
        every=timedelta(minutes=5),
    ),
    ScheduledJob(
        "custody-dwell",
        "Alert on boxes under control that stand outside the guarded area too long",
        _dwell,
        every=timedelta(minutes=5),
    ),
    ScheduledJob(
        "custody-door-events",
        "Judge smart-seal door openings (DCSA DRO/DRC) that ingest stored",
        _door_events,
        every=timedelta(minutes=2),
    ),
    ScheduledJob(
        "custody-anchor-gate",
        "Anchor settled gate decisions into the audit chain and verify every anchor",
        _anchor_gate,
        every=timedelta(minutes=1),
    ),
    ScheduledJob(
        "custody-gate-alerts",
        "Raise the fraud alerts of gate refusals that are still without one",
        _gate_alerts,
        every=timedelta(minutes=1),
    ),
    ScheduledJob(
        "custody-seal-checks",
        "Compare declared seals with the seals seen on newly received container events",
        _seal_checks,
        every=timedelta(minutes=5),
    ),
)
