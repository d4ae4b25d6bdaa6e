"""Waterbed detection as a service: the displacement indicators per hub and period (`queries`), the
detector (`waterbed`, pure), and the signals it stores for the dashboard, the report and the case queue."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from mainport.audit.service import record
from mainport.errors import ValidationFailed
from mainport.identity.principal import Principal
from mainport.monitoring import figures, indicators, waterbed
from mainport.monitoring.models import Measure, WaterbedSignal
from mainport.monitoring.queries import HUBS, Filters, daily_counts, indicator_frames

INDICATORS = "indicators"
# What the detector may run on: the validated combined indicators (default), or one count metric alone.
WATERBED_METRICS = (INDICATORS, *figures.COUNT_METRICS)
INDICATORS_LABEL = (
    "the displacement indicators (seizures + out-of-hours staff look-ups + seals changed at discharge + "
    "declarations from source/transit countries to new consignees)"
)


def run_waterbed(
    *,
    session: Session,
    actor: Principal,
    filters: Filters,
    metric: str = INDICATORS,
    config: waterbed.DetectorConfig | None = None,
) -> list[waterbed.Finding]:
    """Test every hub pair after each enforcement change; store the flagged ones as signals (idempotent).

    metric "indicators" (default) is the signal the detector was validated on (docs/waterbed.md): per hub and
    period, the sum of the counts in `indicators.SIGNALS`; any count metric (e.g. "seizures") can be chosen
    instead. Changes are the start dates of recorded measures plus steps up in inspections found in the data.

    Needs monitoring:write only. The indicators include out-of-hours staff look-ups (insider data, normally
    `insider:read`): they are read here as counts per hub and day and only the summed weekly count per hub is
    used and returned; no single look-up (who, which box, when) leaves this function or is stored.
    """
    actor.require("monitoring:write")
    if metric not in WATERBED_METRICS:
        raise ValidationFailed(f"metric {metric!r} is not one of {', '.join(WATERBED_METRICS)}")
    full = Filters(filters.start, filters.end, HUBS, filters.freq)  # donors need every hub
    daily = daily_counts(session, full)
    periods = figures.per_period(daily, full.freq)
    enforcement = figures.matrix(periods, "inspections", HUBS, full.freq, full.start, full.end)
    components: dict[str, pd.DataFrame] = {}
    if metric == INDICATORS:
        components = indicator_frames(session, full, daily)
        values = indicators.combine(components)[HUBS]
        label, unit = INDICATORS_LABEL, "indicator counts"
    else:
        values = figures.matrix(periods, metric, HUBS, full.freq, full.start, full.end)
        label, unit = figures.LABELS[metric].lower(), ("kg" if metric == "kg" else metric)
    changes = waterbed.find_enforcement_rises(enforcement)
    for m in session.scalars(select(Measure).where(Measure.started_on.is_not(None), Measure.hub.in_(HUBS))):
        assert m.started_on is not None
        start = pd.Timestamp(m.started_on).to_period(figures.FREQS[full.freq]).start_time
        if start in values.index:
            # A measure that starts where a step up in inspections was found is the same change: test once.
            changes = [c for c in changes if (c.hub, c.start) != (m.hub, start)]
            changes.append(waterbed.EnforcementChange(m.hub, start, note=m.name))
    findings = waterbed.detect(
        values,
        changes,
        metric=label,
        unit=unit,
        enforcement=enforcement,
        config=config,
    )
    for f in findings:
        if f.flagged and f.target_hub in filters.hubs:
            _store_signal(session, actor, f, metric, _component_summary(components, f))
    session.flush()
    record(
        session=session,
        actor=actor,
        action="monitoring.waterbed_run",
        entity_type="waterbed_signal",
        entity_id="*",
        detail={
            "start": filters.start,
            "end": filters.end,
            "metric": metric,
            "signals": list(components) or [metric],
            "changes": len(changes),
            "flagged": sum(f.flagged for f in findings),
        },
    )
    return findings


def _component_summary(components: dict[str, pd.DataFrame], f: waterbed.Finding) -> dict[str, Any]:
    """Per indicator at the target hub: mean per period over the n_pre periods before the change and over the
    periods the finding used after it (which indicator moved)."""
    out: dict[str, Any] = {}
    for signal, frame in components.items():
        series = frame[f.target_hub]
        t0 = int(series.index.get_loc(f.change_start))  # type: ignore[arg-type]
        pre = series.iloc[max(0, t0 - f.n_pre) : t0]
        post = series.iloc[t0 : t0 + f.periods_used]
        out[signal] = {
            "pre_mean": round(float(pre.mean()), 3) if len(pre) else None,
            "post_mean": round(float(post.mean()), 3) if len(post) else None,
        }
    return out


def _store_signal(
    session: Session,
    actor: Principal,
    f: waterbed.Finding,
    metric: str,
    components: dict[str, Any] | None = None,
) -> None:
    change_start = pd.Timestamp(str(f.change_start)).date()
    signal = session.scalar(
        select(WaterbedSignal).where(
            and_(
                WaterbedSignal.source_hub == f.source_hub,
                WaterbedSignal.target_hub == f.target_hub,
                WaterbedSignal.metric == metric,
                WaterbedSignal.change_start == change_start,
            )
        )
    )
    if signal is None:
        signal = WaterbedSignal(
            source_hub=f.source_hub,
            target_hub=f.target_hub,
            metric=metric,
            change_start=change_start,
            detected_by=actor.username,
        )
        session.add(signal)
    signal.break_start = pd.Timestamp(str(f.break_start)).date()
    signal.excess_ratio, signal.ratio_low, signal.ratio_high = f.ratio, f.ratio_low, f.ratio_high
    signal.excess_units, signal.z, signal.p_value = f.excess_units, f.z, f.p_value
    signal.explanation = f.explanation
    signal.detail = {
        "delay_periods": f.delay_periods,
        "n_pre": f.n_pre,
        "donors": f.donors,
        "slope": f.slope,
        "method": f.method,
        "source_rise": f.source_rise,
        "signal": metric,
        "signals": list(indicators.SIGNALS) if metric == INDICATORS else [metric],
        **({"components": components} if components else {}),
    }


def list_signals(*, session: Session, actor: Principal, since: date | None = None) -> list[WaterbedSignal]:
    actor.require("monitoring:read")
    stmt = select(WaterbedSignal).order_by(WaterbedSignal.break_start.desc())
    if since is not None:
        stmt = stmt.where(WaterbedSignal.break_start >= since)
    return list(session.scalars(stmt))
