"""Monitoring services: figures per hub, the public series, measures and spending, waterbed detection."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import pandas as pd
from sqlalchemy import Select, and_, distinct, func, select
from sqlalchemy.orm import Session

from mainport.audit.service import record
from mainport.cases.models import Alert, Case
from mainport.errors import ValidationFailed
from mainport.identity.principal import Principal, system_principal
from mainport.ingest import quarantine
from mainport.monitoring import figures, indicators, waterbed, weekly
from mainport.monitoring.models import Measure, PublicSeizureFigure, WaterbedSignal
from mainport.monitoring.public import packaged_text, read_public_series
from mainport.reference.nodes import CROSS_CUTTING_BUDGET_EUR_M, NODES, node_for_location
from mainport.shipments.models import ContainerEvent, Declaration, Inspection, Scan, Seizure

HUBS = list(NODES)
CROSS_CUTTING = "cross_cutting"
# Alert sources that mean custody of a container went wrong (plan, release rights, seals).
CUSTODY_SOURCES = ("custody", "release", "seal")
QUARANTINE_KIND = "public_seizure"
MAX_QUARANTINE_RAW = 4000


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # exclusive
    hubs: list[str]
    freq: str = "week"

    @property
    def span(self) -> tuple[datetime, datetime]:
        return (datetime.combine(self.start, time(), UTC), datetime.combine(self.end, time(), UTC))


def make_filters(
    start: date | None,
    end: date | None,
    hubs: list[str] | None,
    freq: str = "week",
    period: str | None = None,
) -> Filters:
    """Validate the dashboard's filters; a period ('2026-Q3') wins over start/end; default = the last year."""
    if period:
        try:
            start, end = figures.parse_period(period)
        except ValueError as exc:
            raise ValidationFailed(str(exc)) from None
    today = datetime.now(UTC).date()
    end = end or today
    start = start or date(end.year - 1, end.month, 1)
    if start >= end:
        raise ValidationFailed(f"period start {start} is not before its end {end}")
    if (end - start).days > 366 * 15:
        raise ValidationFailed("a period of more than 15 years is not supported")
    unknown = [h for h in hubs or [] if h not in NODES]
    if unknown:
        raise ValidationFailed(f"unknown hub(s) {', '.join(unknown)}; known: {', '.join(HUBS)}")
    if freq not in figures.FREQS:
        raise ValidationFailed(f"granularity {freq!r} is not one of {', '.join(figures.FREQS)}")
    return Filters(start=start, end=end, hubs=list(hubs or HUBS), freq=freq)


# --- reading the operational tables (no permission checks: callers below check) -----------------------------


def _daily(session: Session, stmt: Select[Any], metrics: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = []
    for hub, day, *values in session.execute(stmt):
        if hub is None:
            continue
        for metric, value in zip(metrics, values, strict=True):
            rows.append({"hub": hub, "day": str(day), "metric": metric, "value": float(value or 0)})
    return rows


def daily_counts(session: Session, f: Filters) -> pd.DataFrame:
    """Counts per hub and day for every metric in figures.COUNT_METRICS, over the filters' period and hubs."""
    lo, hi = f.span
    rows: list[dict[str, Any]] = []
    d = func.date(Declaration.filed_at)
    rows += _daily(
        session,
        select(Declaration.hub, d, func.count())
        .where(Declaration.filed_at >= lo, Declaration.filed_at < hi, Declaration.hub.in_(f.hubs))
        .group_by(Declaration.hub, d),
        ("declarations",),
    )
    d = func.date(ContainerEvent.event_datetime)
    rows += _daily(
        session,
        select(ContainerEvent.hub, d, func.count(distinct(ContainerEvent.equipment_reference)))
        .where(
            ContainerEvent.event_datetime >= lo,
            ContainerEvent.event_datetime < hi,
            ContainerEvent.type_code == "DISC",
            ContainerEvent.event_classifier == "ACT",
            ContainerEvent.hub.in_(f.hubs),
        )
        .group_by(ContainerEvent.hub, d),
        ("containers",),
    )
    d = func.date(Inspection.inspected_at)
    found = func.sum(func.coalesce((Inspection.result == "found").cast(Inspection.id.type), 0))
    rows += _daily(
        session,
        select(Inspection.hub, d, func.count(), found)
        .where(Inspection.inspected_at >= lo, Inspection.inspected_at < hi, Inspection.hub.in_(f.hubs))
        .group_by(Inspection.hub, d),
        ("inspections", "hits"),
    )
    d = func.date(Scan.scanned_at)
    for unlocode, day, n in session.execute(
        select(Scan.unlocode, d, func.count())
        .where(Scan.scanned_at >= lo, Scan.scanned_at < hi, Scan.phase == "arrival")
        .group_by(Scan.unlocode, d)
    ):
        scan_hub = node_for_location(unlocode)
        if scan_hub in f.hubs:
            rows.append({"hub": scan_hub, "day": str(day), "metric": "scans", "value": float(n)})
    seizures = seizure_frame(session, f)
    for (s_hub, s_day), grp in seizures.groupby(["hub", "day"]):
        rows.append({"hub": s_hub, "day": s_day, "metric": "seizures", "value": float(len(grp))})
        rows.append({"hub": s_hub, "day": s_day, "metric": "kg", "value": float(grp["kg"].sum())})
    rows += _alert_rows(session, f)
    if not rows:
        return figures.empty_daily()
    frame = pd.DataFrame(rows)
    frame["day"] = pd.to_datetime(frame["day"].str.slice(0, 10))
    return frame


def _alert_rows(session: Session, f: Filters) -> list[dict[str, Any]]:
    lo, hi = f.span
    stmt = (
        select(Alert.hub, Alert.source, Alert.status, Alert.raised_at, Alert.updated_at, Case.opened_at)
        .outerjoin(Case, Alert.case_id == Case.id)
        .where(Alert.raised_at >= lo, Alert.raised_at < hi, Alert.hub.in_(f.hubs))
    )
    rows: list[dict[str, Any]] = []
    for hub, source, status, raised, updated, opened in session.execute(stmt):
        day = raised.date().isoformat()
        rows.append({"hub": hub, "day": day, "metric": "alerts", "value": 1.0})
        if source in CUSTODY_SOURCES:
            rows.append({"hub": hub, "day": day, "metric": "custody_deviations", "value": 1.0})
        # Decided = linked to a case (decision time: the case opened) or dismissed/triaged (last update).
        decided_at = opened if status == "linked" and opened else updated if status != "new" else None
        if decided_at is not None:
            hours = max(0.0, (decided_at - raised).total_seconds() / 3600)
            rows.append({"hub": hub, "day": day, "metric": "alerts_decided", "value": 1.0})
            rows.append({"hub": hub, "day": day, "metric": "decision_hours", "value": hours})
    return rows


def seizure_frame(session: Session, f: Filters) -> pd.DataFrame:
    lo, hi = f.span
    stmt = select(
        Seizure.id,
        Seizure.hub,
        Seizure.seized_at,
        Seizure.kg,
        Seizure.modus_operandi,
        Seizure.drug,
        Seizure.container_number,
    ).where(Seizure.seized_at >= lo, Seizure.seized_at < hi, Seizure.hub.in_(f.hubs))
    frame = pd.DataFrame(
        session.execute(stmt).all(),
        columns=["id", "hub", "seized_at", "kg", "modus_operandi", "drug", "container_number"],
    )
    frame["day"] = [t.date().isoformat() for t in frame["seized_at"]]
    return frame


def indicator_frames(
    session: Session, f: Filters, daily: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """Periods x hubs counts for each displacement indicator (indicators.SIGNALS) over the filters' period and
    hubs: seizures (from `daily_counts`, or `daily` when given), out-of-hours staff look-ups, seals changed at
    discharge, and declarations from source/transit countries to new consignees (`weekly`). Counts only."""
    lo, hi = f.span
    if daily is None:
        daily = daily_counts(session, f)
    seizures = daily[(daily["metric"] == "seizures") & daily["hub"].isin(f.hubs)]
    extra = pd.DataFrame(
        weekly.indicator_rows(session, lo, hi, f.hubs), columns=["hub", "day", "metric", "value"]
    )
    extra["day"] = pd.to_datetime(extra["day"])
    parts = [p for p in (seizures, extra) if not p.empty]
    long = pd.concat(parts, ignore_index=True) if parts else figures.empty_daily()
    periods = figures.per_period(long, f.freq)
    for signal in indicators.SIGNALS:
        if signal not in periods.columns:
            periods[signal] = 0.0
    return {s: figures.matrix(periods, s, f.hubs, f.freq, f.start, f.end) for s in indicators.SIGNALS}


def _measures_frame(session: Session, start: date, end: date) -> pd.DataFrame:
    rows = session.scalars(
        select(Measure).where(
            Measure.year >= start.year,
            Measure.year <= (end.year if end.month > 1 or end.day > 1 else end.year - 1),
        )
    ).all()
    return pd.DataFrame(
        [
            {
                "hub": m.hub,
                "year": m.year,
                "name": m.name,
                "budget_eur_m": m.budget_eur_m,
                "spent_eur_m": m.spent_eur_m,
                "results": m.results,
            }
            for m in rows
        ],
        columns=["hub", "year", "name", "budget_eur_m", "spent_eur_m", "results"],
    )


def plan_budgets() -> dict[str, float]:
    budgets = {code: n.budget_eur_m_per_year for code, n in NODES.items()}
    budgets[CROSS_CUTTING] = CROSS_CUTTING_BUDGET_EUR_M
    return budgets


# --- what the dashboard, the API and the report read -----------------------------------------------------


@dataclass
class Overview:
    filters: Filters
    periods: pd.DataFrame  # one row per hub and period
    totals: pd.DataFrame  # one row per hub
    previous_totals: pd.DataFrame  # the same for the period just before
    sizes: pd.DataFrame
    modus: pd.DataFrame
    budget: pd.DataFrame
    measures: pd.DataFrame
    public: pd.DataFrame
    signals: list[WaterbedSignal] = field(default_factory=list)


def overview(*, session: Session, actor: Principal, filters: Filters) -> Overview:
    """Aggregates only (every partner may see them): no container numbers, no single seizures."""
    actor.require("monitoring:read")
    daily = daily_counts(session, filters)
    prev = figures.previous_period(filters.start, filters.end)
    prev_filters = Filters(prev[0], prev[1], filters.hubs, filters.freq)
    seizures = seizure_frame(session, filters)
    totals = figures.totals_per_hub(daily, filters.hubs)
    measures = _measures_frame(session, filters.start, filters.end)
    budgets = {h: b for h, b in plan_budgets().items() if h in filters.hubs or h == CROSS_CUTTING}
    return Overview(
        filters=filters,
        periods=figures.per_period(daily, filters.freq),
        totals=totals,
        previous_totals=figures.totals_per_hub(daily_counts(session, prev_filters), filters.hubs),
        sizes=figures.size_distribution(seizures),
        modus=figures.modus_mix(seizures),
        budget=figures.budget_vs_results(
            budgets, measures, totals, figures.years_in(filters.start, filters.end)
        ),
        measures=measures,
        public=public_frame(session=session, actor=actor),
        signals=list_signals(
            session=session, actor=actor, since=filters.start - (filters.end - filters.start)
        ),
    )


def seizure_detail(*, session: Session, actor: Principal, filters: Filters) -> pd.DataFrame:
    """Single seizures with container numbers: government only, and every read is audited."""
    actor.require("monitoring:detail")
    frame = seizure_frame(session, filters).drop(columns=["day"])
    record(
        session=session,
        actor=actor,
        action="monitoring.detail_read",
        entity_type="seizure",
        entity_id="*",
        detail={"start": filters.start, "end": filters.end, "hubs": filters.hubs, "rows": len(frame)},
    )
    return frame


# --- the public series ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadResult:
    received: int
    stored: int
    updated: int
    quarantined: int


def load_public_series(
    *, session: Session, actor: Principal, text: str | None = None, source: str = "package:cocaine_seizures"
) -> LoadResult:
    """Upsert the public per-port series; bad rows go to quarantine with their reason (once per row)."""
    actor.require("monitoring:write")
    try:
        rows, rejected = read_public_series(packaged_text() if text is None else text)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    existing = {(p.port.lower(), p.year): p for p in session.scalars(select(PublicSeizureFigure))}
    stored = updated = 0
    for r in rows:
        values = {
            "port": r.port,
            "unlocode": r.unlocode,
            "hub": r.hub,
            "year": r.year,
            "kg": r.kg,
            "basis": r.basis,
            "confidence": r.confidence,
            "source": r.source,
            "estimate": r.estimate,
        }
        current = existing.get((r.port.lower(), r.year))
        if current is None:
            session.add(PublicSeizureFigure(**values))
            stored += 1
        elif any(getattr(current, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(current, k, v)
            updated += 1
    for bad in rejected:  # kept once however often the series is loaded (ingest's quarantine is idempotent)
        quarantine.keep_one(
            session=session,
            kind=QUARANTINE_KIND,
            source=source,
            locator=f"line {bad.line}",
            raw=bad.raw[:MAX_QUARANTINE_RAW],
            raw_size=len(bad.raw),
            reason=bad.reason,
        )
    result = LoadResult(len(rows) + len(rejected), stored, updated, len(rejected))
    session.flush()
    record(
        session=session,
        actor=actor,
        action="monitoring.public_loaded",
        entity_type="public_seizure_figure",
        entity_id=source,
        detail=result.__dict__,
    )
    return result


def ensure_public_series(*, session: Session) -> LoadResult | None:
    """At bootstrap: load the packaged series when the table is empty (safe to call on every start)."""
    if session.scalar(select(func.count()).select_from(PublicSeizureFigure)):
        return None
    return load_public_series(session=session, actor=system_principal())


def public_frame(*, session: Session, actor: Principal) -> pd.DataFrame:
    actor.require("monitoring:read")
    figures_ = session.scalars(
        select(PublicSeizureFigure).order_by(PublicSeizureFigure.port, PublicSeizureFigure.year)
    )
    return pd.DataFrame(
        [
            {
                "port": p.port,
                "unlocode": p.unlocode,
                "hub": p.hub,
                "year": p.year,
                "kg": p.kg,
                "basis": p.basis,
                "confidence": p.confidence,
                "estimate": p.estimate,
                "source": p.source,
            }
            for p in figures_
        ],
        columns=["port", "unlocode", "hub", "year", "kg", "basis", "confidence", "estimate", "source"],
    )


# --- measures and spending ------------------------------------------------------------------------


def record_measure(
    *,
    session: Session,
    actor: Principal,
    hub: str,
    year: int,
    name: str,
    budget_eur_m: float,
    spent_eur_m: float,
    results: str = "",
    started_on: date | None = None,
) -> Measure:
    """Record (or update) a measure's budget, spending and results for a hub and year."""
    actor.require("monitoring:write")
    if hub not in NODES and hub != CROSS_CUTTING:
        raise ValidationFailed(f"unknown hub {hub!r}; known: {', '.join([*HUBS, CROSS_CUTTING])}")
    if not name.strip():
        raise ValidationFailed("a measure needs a name")
    if budget_eur_m < 0 or spent_eur_m < 0 or not math.isfinite(budget_eur_m + spent_eur_m):
        raise ValidationFailed("budget and spending are non-negative EUR million")
    if not 2000 <= year <= 2100:
        raise ValidationFailed(f"year {year} out of range")
    measure = session.scalar(
        select(Measure).where(Measure.hub == hub, Measure.year == year, Measure.name == name.strip())
    )
    if measure is None:
        measure = Measure(hub=hub, year=year, name=name.strip(), recorded_by=actor.username)
        session.add(measure)
    measure.budget_eur_m, measure.spent_eur_m, measure.results = budget_eur_m, spent_eur_m, results
    measure.started_on, measure.recorded_by = started_on, actor.username
    session.flush()
    record(
        session=session,
        actor=actor,
        action="monitoring.measure_recorded",
        entity_type="monitoring_measure",
        entity_id=str(measure.id),
        detail={"hub": hub, "year": year, "name": name, "budget": budget_eur_m, "spent": spent_eur_m},
    )
    return measure


def list_measures(*, session: Session, actor: Principal, year: int | None = None) -> list[Measure]:
    actor.require("monitoring:read")
    stmt = select(Measure).order_by(Measure.year, Measure.hub, Measure.name)
    if year is not None:
        stmt = stmt.where(Measure.year == year)
    return list(session.scalars(stmt))


# --- waterbed detection ---------------------------------------------------------------------------


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
