"""Charts as matplotlib figures (PNG export and the report); no pyplot, so it is safe in a web server."""

from __future__ import annotations

import io
import math

import pandas as pd
from matplotlib.figure import Figure

from mainport.monitoring import figures
from mainport.monitoring.service import Overview

CHARTS = ("timeseries", "comparison", "sizes", "modus", "budget", "public", "signals")
_SIZE = (8.0, 3.6)


def _empty(ax: object, text: str = "no data in this period") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)  # type: ignore[attr-defined]


def timeseries(ov: Overview, metric: str = "kg") -> Figure:
    fig = Figure(figsize=_SIZE)
    ax = fig.add_subplot()
    if ov.periods.empty:
        _empty(ax)
    for hub, grp in ov.periods.groupby("hub"):
        ax.plot(grp["period"], grp[metric], marker="o", markersize=3, label=str(hub))
    ax.set_title(f"{figures.LABELS[metric]} per {ov.filters.freq}")
    if not ov.periods.empty:
        ax.legend(fontsize=7)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def comparison(ov: Overview, metric: str = "kg") -> Figure:
    fig = Figure(figsize=_SIZE)
    ax = fig.add_subplot()
    hubs = list(ov.totals["hub"])
    now = ov.totals.set_index("hub")[metric].reindex(hubs).fillna(0)
    before = ov.previous_totals.set_index("hub")[metric].reindex(hubs).fillna(0)
    xs = range(len(hubs))
    ax.bar([x - 0.2 for x in xs], before, width=0.4, label="previous period", color="#bbbbbb")
    ax.bar([x + 0.2 for x in xs], now, width=0.4, label="this period", color="#1f6fb2")
    ax.set_xticks(list(xs), hubs, rotation=20, fontsize=7)
    ax.set_title(f"{figures.LABELS[metric]}: hubs compared")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def sizes(ov: Overview) -> Figure:
    fig = Figure(figsize=_SIZE)
    ax = fig.add_subplot()
    if ov.sizes.empty:
        _empty(ax)
    else:
        table = ov.sizes.pivot_table(index="size_class", columns="hub", values="count", aggfunc="sum")
        table = table.reindex(list(figures.SIZE_LABELS)).fillna(0)
        bottom = pd.Series(0.0, index=table.index)
        for hub in table.columns:
            ax.bar(table.index, table[hub], bottom=bottom, label=str(hub))
            bottom += table[hub]
        ax.legend(fontsize=7)
    ax.set_title("Seizures by size")
    fig.tight_layout()
    return fig


def modus(ov: Overview) -> Figure:
    fig = Figure(figsize=_SIZE)
    ax = fig.add_subplot()
    if ov.modus.empty:
        _empty(ax)
    else:
        mix = ov.modus.groupby("modus_operandi")["count"].sum().sort_values()
        ax.barh([str(i) for i in mix.index], mix.to_numpy(dtype=float), color="#7a4fb2")
    ax.set_title("Seizures by modus operandi")
    fig.tight_layout()
    return fig


def budget(ov: Overview) -> Figure:
    fig = Figure(figsize=_SIZE)
    ax = fig.add_subplot()
    b = ov.budget
    xs = range(len(b))
    ax.bar(
        [x - 0.2 for x in xs], b["plan_budget_eur_m"], width=0.4, label="plan budget (EUR M)", color="#999"
    )
    ax.bar([x + 0.2 for x in xs], b["spent_eur_m"], width=0.4, label="spent (EUR M)", color="#2a9d5b")
    ax.set_xticks(list(xs), list(b["hub"]), rotation=20, fontsize=7)
    ax2 = ax.twinx()
    ax2.plot(list(xs), b["kg"], "o", color="#c0392b", label="kg seized")
    ax2.set_ylabel("kg seized")
    ax.set_title("Budget and spending against results")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def public(ov: Overview) -> Figure:
    fig = Figure(figsize=_SIZE)
    ax = fig.add_subplot()
    if ov.public.empty:
        _empty(ax, "public series not loaded (mainport monitor load-public)")
    for port, grp in ov.public.groupby("port"):
        line = ax.plot(grp["year"], grp["kg"] / 1000, marker="o", markersize=3, label=str(port))[0]
        est = grp[grp["estimate"]]
        # Estimates are drawn hollow so no reader takes them for counted totals.
        ax.plot(est["year"], est["kg"] / 1000, "o", mfc="white", mec=line.get_color(), markersize=7)
    ax.set_title("Public figures: cocaine seized per port and year (t); hollow = estimate")
    if not ov.public.empty:
        ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    return fig


def signals(ov: Overview) -> Figure:
    fig = Figure(figsize=_SIZE)
    ax = fig.add_subplot()
    if not ov.signals:
        _empty(ax, "no waterbed signals")
    for i, s in enumerate(ov.signals):
        lo = s.ratio_low if math.isfinite(s.ratio_low) else s.excess_ratio
        hi = s.ratio_high if math.isfinite(s.ratio_high) else s.excess_ratio
        ax.plot([lo, hi], [i, i], color="#c0392b")
        ax.plot([s.excess_ratio], [i], "o", color="#c0392b")
    ax.set_yticks(
        range(len(ov.signals)),
        [f"{s.source_hub}→{s.target_hub} {s.break_start}" for s in ov.signals],
        fontsize=7,
    )
    ax.axvline(1.0, color="#888", linestyle="--")
    ax.set_title("Waterbed signals: observed / expected with 95% interval")
    fig.tight_layout()
    return fig


def render(ov: Overview, chart: str, metric: str = "kg") -> Figure:
    if chart not in CHARTS:
        raise ValueError(f"unknown chart {chart!r}; known: {', '.join(CHARTS)}")
    if chart in ("timeseries", "comparison"):
        if metric not in figures.METRICS:
            raise ValueError(f"unknown metric {metric!r}")
        return timeseries(ov, metric) if chart == "timeseries" else comparison(ov, metric)
    return {"sizes": sizes, "modus": modus, "budget": budget, "public": public, "signals": signals}[chart](ov)


def png(fig: Figure, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
