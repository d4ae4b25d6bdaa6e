"""Monitoring's readers of the operational tables (declarations, events, scans, inspections, seizures,
alerts, cases, measures) for a period and hubs: frames in, no permission checks. The services that call
them (`service`, `displacement`) check who is asking and audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import pandas as pd
from sqlalchemy import Select, distinct, func, select
from sqlalchemy.orm import Session

from mainport.cases.models import Alert, Case
from mainport.errors import ValidationFailed
from mainport.monitoring import figures, indicators, weekly
from mainport.monitoring.models import Measure
from mainport.reference.nodes import CROSS_CUTTING_BUDGET_EUR_M, NODES, node_for_location
from mainport.shipments.models import ContainerEvent, Declaration, Inspection, Scan, Seizure

HUBS = list(NODES)
CROSS_CUTTING = "cross_cutting"
# Alert sources that mean custody of a container went wrong (plan, release rights, seals).
CUSTODY_SOURCES = ("custody", "release", "seal")


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


def measures_frame(session: Session, start: date, end: date) -> pd.DataFrame:
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
