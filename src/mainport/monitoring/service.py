"""Monitoring services: figures per hub, the public series, measures and spending. The readers behind the
figures are in `queries`; waterbed detection in `displacement`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mainport.audit.service import record
from mainport.errors import ValidationFailed
from mainport.identity.principal import Principal, system_principal
from mainport.ingest import quarantine
from mainport.monitoring import figures
from mainport.monitoring.displacement import list_signals
from mainport.monitoring.models import Measure, PublicSeizureFigure, WaterbedSignal
from mainport.monitoring.public import packaged_text, read_public_series
from mainport.monitoring.queries import (
    CROSS_CUTTING,
    HUBS,
    Filters,
    daily_counts,
    measures_frame,
    plan_budgets,
    seizure_frame,
)
from mainport.monitoring.queries import make_filters as make_filters  # what the handlers validate with
from mainport.reference.nodes import NODES

QUARANTINE_KIND = "public_seizure"
MAX_QUARANTINE_RAW = 4000


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
    measures = measures_frame(session, filters.start, filters.end)
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
