"""Monitoring API: aggregates for every partner, single seizures for government, CSV and PNG exports."""

from __future__ import annotations

import io
import math
from datetime import date
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.errors import ValidationFailed
from mainport.monitoring import charts, displacement, queries, service
from mainport.monitoring.schemas import (
    FindingOut,
    LoadResultOut,
    MeasureIn,
    MeasureOut,
    SignalOut,
    WaterbedRunIn,
)

router = APIRouter(prefix="/monitoring", tags=["monitoring"])
DATASETS = ("series", "totals", "sizes", "modus", "budget", "public", "signals")
HubQuery = Annotated[list[str] | None, Query(max_length=32)]


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _signal_frame(ov: service.Overview) -> pd.DataFrame:
    return pd.DataFrame(
        [SignalOut.model_validate(s).model_dump(exclude={"detail"}) for s in ov.signals],
        columns=list(SignalOut.model_fields.keys() - {"detail"}),
    )


def dataset(ov: service.Overview, name: str) -> pd.DataFrame:
    frames = {
        "series": lambda: ov.periods,
        "totals": lambda: ov.totals,
        "sizes": lambda: ov.sizes,
        "modus": lambda: ov.modus,
        "budget": lambda: ov.budget,
        "public": lambda: ov.public,
        "signals": lambda: _signal_frame(ov),
    }
    if name not in frames:
        raise ValidationFailed(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    return frames[name]()


def _filters(
    period: str | None, start: date | None, end: date | None, hub: list[str] | None, freq: str
) -> queries.Filters:
    return queries.make_filters(start, end, hub, freq, period)


def dashboard_filters(
    hub: HubQuery = None,
    period: Annotated[str | None, Query(max_length=10)] = None,
    start: date | None = None,
    end: date | None = None,
    freq: Annotated[str, Query(max_length=8)] = "week",
) -> queries.Filters:
    """The dashboard's query filters, shared by the overview, its exports and its charts."""
    return _filters(period, start, end, hub, freq)


FiltersDep = Annotated[queries.Filters, Depends(dashboard_filters)]


@router.get("/overview")
def overview(session: SessionDep, principal: CurrentUser, filters: FiltersDep) -> dict[str, Any]:
    ov = service.overview(session=session, actor=principal, filters=filters)
    body: dict[str, Any] = {name: records(dataset(ov, name)) for name in DATASETS}
    body["previous_totals"] = records(ov.previous_totals)
    body["filters"] = {
        "start": ov.filters.start.isoformat(),
        "end": ov.filters.end.isoformat(),
        "hubs": ov.filters.hubs,
        "freq": ov.filters.freq,
    }
    body["may_see_detail"] = principal.can("monitoring:detail")
    return body


@router.get("/export/{name}.csv")
def export_csv(name: str, session: SessionDep, principal: CurrentUser, filters: FiltersDep) -> Response:
    if name == "seizures":
        frame = service.seizure_detail(session=session, actor=principal, filters=filters)
    else:
        frame = dataset(service.overview(session=session, actor=principal, filters=filters), name)
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return Response(
        buf.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="monitoring-{name}.csv"'},
    )


@router.get("/charts/{chart}.png")
def chart_png(
    chart: str,
    session: SessionDep,
    principal: CurrentUser,
    filters: FiltersDep,
    metric: Annotated[str, Query(max_length=32)] = "kg",
) -> Response:
    if chart not in charts.CHARTS:
        raise ValidationFailed(f"unknown chart {chart!r}; known: {', '.join(charts.CHARTS)}")
    ov = service.overview(session=session, actor=principal, filters=filters)
    try:
        fig = charts.render(ov, chart, metric)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    return Response(
        charts.png(fig),
        media_type="image/png",
        headers={"Content-Disposition": f'attachment; filename="monitoring-{chart}.png"'},
    )


@router.get("/seizures")
def seizures(
    session: SessionDep,
    principal: CurrentUser,
    hub: HubQuery = None,
    period: Annotated[str | None, Query(max_length=10)] = None,
    start: date | None = None,
    end: date | None = None,
) -> list[dict[str, Any]]:
    filters = _filters(period, start, end, hub, "week")
    return records(service.seizure_detail(session=session, actor=principal, filters=filters))


@router.get("/measures", response_model=list[MeasureOut])
def list_measures(session: SessionDep, principal: CurrentUser, year: int | None = None) -> list[MeasureOut]:
    return [
        MeasureOut.model_validate(m)
        for m in service.list_measures(session=session, actor=principal, year=year)
    ]


@router.post("/measures", response_model=MeasureOut, status_code=201)
def record_measure(body: MeasureIn, session: SessionDep, principal: CurrentUser) -> MeasureOut:
    return MeasureOut.model_validate(
        service.record_measure(session=session, actor=principal, **body.model_dump())
    )


@router.get("/signals", response_model=list[SignalOut])
def list_signals(session: SessionDep, principal: CurrentUser) -> list[SignalOut]:
    return [SignalOut.model_validate(s) for s in displacement.list_signals(session=session, actor=principal)]


@router.post("/waterbed/run", response_model=list[FindingOut])
def run_waterbed(body: WaterbedRunIn, session: SessionDep, principal: CurrentUser) -> list[FindingOut]:
    filters = queries.make_filters(body.start, body.end, None, "week", body.period)
    findings = displacement.run_waterbed(
        session=session, actor=principal, filters=filters, metric=body.metric
    )
    return [
        FindingOut(
            source_hub=f.source_hub,
            target_hub=f.target_hub,
            change_start=str(f.change_start)[:10],
            flagged=f.flagged,
            delay_periods=f.delay_periods,
            ratio=f.ratio,
            ratio_low=_clean(f.ratio_low),
            ratio_high=_clean(f.ratio_high),
            z=_clean(f.z),
            p_value=_clean(f.p_value),
            explanation=f.explanation,
        )
        for f in findings
    ]


@router.post("/public/load", response_model=LoadResultOut)
def load_public(session: SessionDep, principal: CurrentUser) -> LoadResultOut:
    return LoadResultOut(**service.load_public_series(session=session, actor=principal).__dict__)
