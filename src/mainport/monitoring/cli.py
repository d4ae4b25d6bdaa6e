"""`mainport monitor`: load the public series, record measures, run waterbed detection, write the report."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from mainport.database import session_scope
from mainport.database.runtime import get_session_factory
from mainport.errors import ValidationFailed
from mainport.identity.principal import system_principal
from mainport.monitoring import displacement, queries, report, service

app = typer.Typer(help="Monitoring: figures per hub, public series, budgets, waterbed signals, reports.")
console = Console()


@app.command("load-public")
def load_public(
    csv: Annotated[Path | None, typer.Option(help="CSV to load instead of the packaged series")] = None,
) -> None:
    """Load (or refresh) the public cocaine seizure series per port and year; bad rows go to quarantine."""
    text = csv.read_text(encoding="utf-8") if csv else None
    with session_scope(get_session_factory()) as session:
        result = service.load_public_series(
            session=session,
            actor=system_principal(),
            text=text,
            source=str(csv) if csv else "package:cocaine_seizures",
        )
    console.print(
        f"received {result.received}: stored {result.stored}, updated {result.updated}, "
        f"quarantined {result.quarantined}"
    )


@app.command("measure")
def measure(
    hub: str,
    year: int,
    name: str,
    budget: Annotated[float, typer.Option(help="EUR million")] = 0.0,
    spent: Annotated[float, typer.Option(help="EUR million")] = 0.0,
    results: str = "",
    started_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD: when enforcement rose")] = None,
) -> None:
    """Record a measure's budget, spending and results at a hub."""
    try:
        start = date.fromisoformat(started_on) if started_on else None
    except ValueError:
        raise ValidationFailed(f"--started-on {started_on!r}: give a date as YYYY-MM-DD") from None
    with session_scope(get_session_factory()) as session:
        m = service.record_measure(
            session=session,
            actor=system_principal(),
            hub=hub,
            year=year,
            name=name,
            budget_eur_m=budget,
            spent_eur_m=spent,
            results=results,
            started_on=start,
        )
        console.print(f"measure {m.id} recorded: {hub} {year} {name}")


@app.command("waterbed")
def waterbed(
    period: Annotated[str, typer.Option(help="YYYY, YYYY-Qn or YYYY-MM: the data window")],
    metric: Annotated[
        str,
        typer.Option(
            help="the detector's signal: 'indicators' (validated: seizures + out-of-hours look-ups + changed "
            "seals + new-consignee declarations) or one count metric, e.g. 'seizures'"
        ),
    ] = displacement.INDICATORS,
) -> None:
    """Test every hub pair after each enforcement change; store and print the flagged displacements."""
    filters = queries.make_filters(None, None, None, "week", period)
    with session_scope(get_session_factory()) as session:
        findings = displacement.run_waterbed(
            session=session, actor=system_principal(), filters=filters, metric=metric
        )
    table = Table("source", "target", "from", "flagged", "ratio", "95% interval", "p")
    for f in findings:
        table.add_row(
            f.source_hub,
            f.target_hub,
            str(f.change_start)[:10],
            "YES" if f.flagged else "no",
            f"{f.ratio:.2f}",
            f"{f.ratio_low:.2f}-{f.ratio_high:.2f}",
            f"{f.p_value:.2g}",
        )
    console.print(f"signal: {metric}")
    console.print(table)
    for f in findings:
        if f.flagged:
            console.print(f.explanation)
    if not findings:
        console.print("no enforcement change found in the period: nothing to test")


@app.command("report")
def report_cmd(
    period: Annotated[str, typer.Option(help="YYYY, YYYY-Qn or YYYY-MM")],
    out: Annotated[Path, typer.Option(help="report.pdf or report.html")],
) -> None:
    """Write the periodic progress report (per hub and per measure: figures, charts and signals)."""
    with session_scope(get_session_factory()) as session:
        path = report.build_report(session=session, actor=system_principal(), period=period, out=out)
    console.print(f"report written to {path}")
