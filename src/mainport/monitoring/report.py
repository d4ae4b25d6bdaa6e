"""The periodic progress report (HTML with embedded charts, or PDF): per hub and measure, with signals."""

from __future__ import annotations

import base64
import math
import textwrap
from pathlib import Path
from typing import Any

import jinja2
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from sqlalchemy.orm import Session

from mainport.database import utcnow
from mainport.identity.principal import Principal
from mainport.monitoring import charts, figures, service
from mainport.sharing import figures as sharing_figures

REPORT_METRICS = (
    "declarations",
    "containers",
    "inspections",
    "hits",
    "hit_rate",
    "seizures",
    "kg",
    "alerts",
    "custody_deviations",
    "mean_hours_to_decision",
)
CHART_TITLES = {
    "timeseries": "Cocaine seized per week and hub",
    "comparison": "Hubs compared with the previous period",
    "sizes": "Seizure sizes",
    "modus": "Modi operandi",
    "budget": "Budget and spending against results",
    "public": "Public figures per port (incl. neighbouring ports)",
    "signals": "Waterbed signals",
}
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=jinja2.select_autoescape(["html"]),
)


def _fmt(value: Any, metric: str) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None if metric else "-"
    if metric == "hit_rate":
        return f"{value:.1%}"
    if metric == "mean_hours_to_decision":
        return f"{value:.1f} h"
    return f"{value:,.0f}"


def _hub_rows(ov: service.Overview) -> list[dict[str, Any]]:
    prev = ov.previous_totals.set_index("hub")
    rows = []
    for row in ov.totals.to_dict(orient="records"):
        out: dict[str, Any] = {"hub": row["hub"]}
        for m in REPORT_METRICS:
            out[m] = _fmt(row.get(m), m) or "-"
            out[f"{m}_prev"] = _fmt(prev[m].get(row["hub"]), m) if m in prev.columns else None
        rows.append(out)
    return rows


def gather(*, session: Session, actor: Principal, period: str) -> service.Overview:
    filters = service.make_filters(None, None, None, "week", period)
    return service.overview(session=session, actor=actor, filters=filters)


def render_html(ov: service.Overview, period: str, sharing: list[Any] | None = None) -> str:
    images = [
        (CHART_TITLES[c], base64.b64encode(charts.png(charts.render(ov, c), dpi=90)).decode())
        for c in charts.CHARTS
    ]
    prev_start, _ = figures.previous_period(ov.filters.start, ov.filters.end)
    return _env.get_template("monitoring/report.html").render(
        period=period,
        start=ov.filters.start,
        end=ov.filters.end,
        prev_start=prev_start,
        generated=utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        metrics=REPORT_METRICS,
        labels=figures.LABELS,
        hubs=_hub_rows(ov),
        measures=ov.measures.to_dict(orient="records"),
        budget=ov.budget.to_dict(orient="records"),
        charts=images,
        signals=ov.signals,
        public=ov.public.to_dict(orient="records"),
        sharing=sharing or [],
    )


def _text_page(title: str, lines: list[str]) -> Figure:
    fig = Figure(figsize=(8.27, 11.69))  # A4 portrait
    fig.text(0.06, 0.96, title, fontsize=14, weight="bold", va="top")
    wrapped: list[str] = []
    for line in lines:
        wrapped += textwrap.wrap(line, 105) or [""]
    fig.text(0.06, 0.92, "\n".join(wrapped[:80]), fontsize=7.5, va="top", family="monospace")
    return fig


def write_pdf(ov: service.Overview, period: str, out: Path, sharing: list[Any] | None = None) -> None:
    hub_lines = [f"{'hub':22s}" + "".join(f"{m[:12]:>13s}" for m in REPORT_METRICS[:7])]
    for row in _hub_rows(ov):
        hub_lines.append(f"{row['hub'][:22]:22s}" + "".join(f"{row[m]:>13s}" for m in REPORT_METRICS[:7]))
    measure_lines = [
        f"{m['hub']} {m['year']}: {m['name']} - budget {m['budget_eur_m']:.2f}, spent "
        f"{m['spent_eur_m']:.2f} EUR M. {m['results']}"
        for m in ov.measures.to_dict("records")
    ]
    signal_lines = [
        f"{s.source_hub} -> {s.target_hub} ({s.break_start}): {s.explanation}" for s in ov.signals
    ]
    public_lines = [
        f"{p['port']} {p['year']}: {'~' if p['estimate'] else ''}{p['kg']:,.0f} kg"
        f"{' (estimate)' if p['estimate'] else ''} [{p['confidence']}] {p['basis']}"
        for p in ov.public.to_dict("records")
    ]
    with PdfPages(out) as pdf:
        pdf.savefig(
            _text_page(
                f"Progress report {period} ({ov.filters.start} to {ov.filters.end})",
                [
                    "Per hub (this period):",
                    "",
                    *hub_lines,
                    "",
                    "Per measure:",
                    *(measure_lines or ["No measures recorded for this period."]),
                    "",
                    "Waterbed signals:",
                    *(signal_lines or ["No displacement flagged in or just before this period."]),
                ],
            )
        )
        for chart in charts.CHARTS:
            pdf.savefig(charts.render(ov, chart))
        pdf.savefig(
            _text_page("Public figures per port and year (source and confidence per row)", public_lines)
        )
        share_lines = [
            f"{f.month} {f.owner_org} -> {f.partner_org} {f.category}: {f.records:,} records in "
            f"{f.disclosures:,} disclosures, {f.requests} requests, {f.refusals} refused"
            for f in sharing or []
        ]
        pdf.savefig(
            _text_page(
                "Data shared per partner pair, category and month (from the audit log)",
                share_lines or ["Nothing shared between partners in this period."],
            )
        )


def build_report(*, session: Session, actor: Principal, period: str, out: Path) -> Path:
    """Write the report to `out`: PDF for .pdf, HTML for .html/.htm."""
    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".html", ".htm"):
        raise ValueError(f"report must be .pdf or .html, not {out.name!r}")
    ov = gather(session=session, actor=actor, period=period)
    start, end = ov.filters.span
    shared = sharing_figures.for_period(session=session, actor=actor, start=start, end=end)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".pdf":
        write_pdf(ov, period, out, shared)
    else:
        out.write_text(render_html(ov, period, shared), encoding="utf-8")
    return out
