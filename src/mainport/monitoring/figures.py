"""Figures per hub and over time: pure pandas, daily counts in, period aggregates out.

The service hands over a long frame of daily counts (columns hub, day, metric, value) and a frame of seizures
(hub, day, kg, modus_operandi); everything here is arithmetic on those, testable without a database.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pandas as pd

# Counted per hub and day by the service (the names are the dashboard's and the report's vocabulary).
COUNT_METRICS = (
    "declarations",
    "containers",  # containers discharged
    "scans",  # arrival scans
    "inspections",
    "hits",  # inspections that found drugs
    "seizures",
    "kg",
    "alerts",
    "alerts_decided",
    "custody_deviations",  # alerts from custody, release and seal monitoring
    "decision_hours",  # summed hours from alert to decision (divide by alerts_decided)
)
DERIVED_METRICS = ("hit_rate", "mean_hours_to_decision", "kg_per_seizure")
METRICS = COUNT_METRICS + DERIVED_METRICS
LABELS = {
    "declarations": "Declarations",
    "containers": "Containers discharged",
    "scans": "Arrival scans",
    "inspections": "Inspections",
    "hits": "Hits",
    "seizures": "Seizures",
    "kg": "Cocaine seized (kg)",
    "alerts": "Alerts",
    "alerts_decided": "Alerts decided",
    "custody_deviations": "Custody deviations",
    "decision_hours": "Hours alert to decision (sum)",
    "hit_rate": "Hit rate per inspection",
    "mean_hours_to_decision": "Mean hours alert to decision",
    "kg_per_seizure": "Mean kg per seizure",
}
FREQS = {"week": "W", "month": "M", "quarter": "Q", "year": "Y"}  # pandas period codes
_RANGE = {"week": "W-MON", "month": "MS", "quarter": "QS", "year": "YS"}  # the same, as period starts
SIZE_BINS = (0.0, 10.0, 100.0, 500.0, 1000.0, 5000.0, float("inf"))
SIZE_LABELS = ("<10 kg", "10-100 kg", "100-500 kg", "500-1000 kg", "1-5 t", ">5 t")

_PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|\d{2}))?$", re.IGNORECASE)


def parse_period(text: str) -> tuple[date, date]:
    """'2026', '2026-Q3' or '2026-07' -> (first day, first day after); ValueError otherwise."""
    m = _PERIOD.match(text.strip())
    if not m:
        raise ValueError(f"period {text!r} is not YYYY, YYYY-Qn or YYYY-MM")
    year, part = int(m.group(1)), (m.group(2) or "").upper()
    if not part:
        return date(year, 1, 1), date(year + 1, 1, 1)
    if part.startswith("Q"):
        q = int(part[1])
        start = date(year, 3 * q - 2, 1)
        end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
        return start, end
    month = int(part)
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} in {text!r} is not 1-12")
    return date(year, month, 1), date(year + (month == 12), month % 12 + 1, 1)


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before (for 'compared with the previous period')."""
    return start - (end - start), start


def empty_daily() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "hub": pd.Series(dtype=str),
            "day": pd.Series(dtype="datetime64[ns]"),
            "metric": pd.Series(dtype=str),
            "value": pd.Series(dtype=float),
        }
    )


def _with_derived(frame: pd.DataFrame) -> pd.DataFrame:
    for m in COUNT_METRICS:
        if m not in frame.columns:
            frame[m] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["hit_rate"] = np.where(frame["inspections"] > 0, frame["hits"] / frame["inspections"], np.nan)
        frame["mean_hours_to_decision"] = np.where(
            frame["alerts_decided"] > 0, frame["decision_hours"] / frame["alerts_decided"], np.nan
        )
        frame["kg_per_seizure"] = np.where(frame["seizures"] > 0, frame["kg"] / frame["seizures"], np.nan)
    return frame


def per_period(daily: pd.DataFrame, freq: str = "week", hubs: list[str] | None = None) -> pd.DataFrame:
    """Long daily counts -> one row per (hub, period start) with every metric, derived ones included."""
    if freq not in FREQS:
        raise ValueError(f"granularity {freq!r} is not one of {', '.join(FREQS)}")
    if hubs:
        daily = daily[daily["hub"].isin(hubs)]
    if daily.empty:
        return _with_derived(pd.DataFrame(columns=["hub", "period"]))
    days = pd.to_datetime(daily["day"])
    period = days.dt.to_period(FREQS[freq]).dt.start_time
    wide = (
        daily.assign(period=period)
        .pivot_table(index=["hub", "period"], columns="metric", values="value", aggfunc="sum", fill_value=0.0)
        .reset_index()
    )
    wide.columns.name = None
    return _with_derived(wide).sort_values(["period", "hub"]).reset_index(drop=True)


def totals_per_hub(daily: pd.DataFrame, hubs: list[str] | None = None) -> pd.DataFrame:
    """One row per hub over the whole period (the hub comparison)."""
    if hubs:
        daily = daily[daily["hub"].isin(hubs)]
    if daily.empty:
        return _with_derived(pd.DataFrame({"hub": hubs or []}))
    wide = daily.pivot_table(index="hub", columns="metric", values="value", aggfunc="sum", fill_value=0.0)
    wide.columns.name = None
    if hubs:  # every hub asked for gets a row, zero when nothing happened there
        wide = wide.reindex(hubs, fill_value=0.0)
        wide.index.name = "hub"
    return _with_derived(wide.reset_index())


def matrix(
    periods: pd.DataFrame, metric: str, hubs: list[str], freq: str, start: date, end: date
) -> pd.DataFrame:
    """Periods x hubs for one metric over [start, end), zero where a hub had nothing (detector input)."""
    first = pd.Timestamp(start).to_period(FREQS[freq]).start_time
    index = pd.date_range(first, pd.Timestamp(end) - pd.Timedelta(days=1), freq=_RANGE[freq])
    if periods.empty:
        return pd.DataFrame(0.0, index=index, columns=hubs)
    m = periods.pivot_table(index="period", columns="hub", values=metric, aggfunc="sum", fill_value=0.0)
    return m.reindex(index=index, columns=hubs, fill_value=0.0)


def size_distribution(seizures: pd.DataFrame) -> pd.DataFrame:
    """Seizures per size class and hub: count and kg."""
    if seizures.empty:
        return pd.DataFrame(columns=["hub", "size_class", "count", "kg"])
    classes = pd.cut(seizures["kg"], bins=list(SIZE_BINS), labels=list(SIZE_LABELS), right=False)
    out = (
        seizures.assign(size_class=classes)
        .groupby(["hub", "size_class"], observed=False)["kg"]
        .agg(count="count", kg="sum")
        .reset_index()
    )
    out["size_class"] = out["size_class"].astype(str)
    return out


def modus_mix(seizures: pd.DataFrame) -> pd.DataFrame:
    """Seizures per modus operandi and hub: count, kg and share of the hub's seizures."""
    if seizures.empty:
        return pd.DataFrame(columns=["hub", "modus_operandi", "count", "kg", "share"])
    frame = seizures.assign(modus_operandi=seizures["modus_operandi"].fillna("unknown"))
    out = frame.groupby(["hub", "modus_operandi"])["kg"].agg(count="count", kg="sum").reset_index()
    out["share"] = out["count"] / out.groupby("hub")["count"].transform("sum")
    return out.sort_values(["hub", "count"], ascending=[True, False]).reset_index(drop=True)


def budget_vs_results(
    budgets: dict[str, float], measures: pd.DataFrame, totals: pd.DataFrame, years: float
) -> pd.DataFrame:
    """Per hub: the plan's structural budget for the period, what measures budgeted and spent, and results.

    `budgets` is EUR million per year per hub (plus 'cross_cutting'); `years` is the period's length in years.
    """
    rows = []
    for hub, per_year in budgets.items():
        m = measures[measures["hub"] == hub] if not measures.empty else measures
        t = totals[totals["hub"] == hub] if not totals.empty else totals
        kg = float(t["kg"].sum()) if not t.empty else 0.0
        spent = float(m["spent_eur_m"].sum()) if not m.empty else 0.0
        rows.append(
            {
                "hub": hub,
                "plan_budget_eur_m": round(per_year * years, 3),
                "measure_budget_eur_m": float(m["budget_eur_m"].sum()) if not m.empty else 0.0,
                "spent_eur_m": spent,
                "measures": len(m),
                "seizures": float(t["seizures"].sum()) if not t.empty else 0.0,
                "kg": kg,
                "kg_per_eur_m_spent": kg / spent if spent > 0 else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def years_in(start: date, end: date) -> float:
    return (end - start) / timedelta(days=365.25)
