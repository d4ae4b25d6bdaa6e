"""`mainport target train|score|select|evaluate`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from mainport.database import session_scope
from mainport.database.runtime import get_session_factory
from mainport.identity.principal import system_principal
from mainport.targeting.selection import DEFAULT_STRATEGY

app = typer.Typer(
    help="Risk targeting: train the model, score, select what to inspect, evaluate.", no_args_is_help=True
)
console = Console()


def _day(value: str | None) -> date:
    return date.fromisoformat(value) if value else datetime.now(UTC).date()


@app.command("train")
def train_cmd(rounds: int = typer.Option(200, help="boosting rounds")) -> None:
    """Retrain on all inspection outcomes so far (inverse-propensity weighted); run on a schedule."""
    from mainport.targeting import service

    with session_scope(get_session_factory()) as session:
        mv = service.train_model(session=session, actor=system_principal(), rounds=rounds)
        console.print(f"model version {mv.id}: {mv.rows} outcomes, {mv.positives} found")


@app.command("score")
def score_cmd(hub: str, day: str | None = typer.Option(None, help="YYYY-MM-DD, default today")) -> None:
    """Score the hub's declarations of the day and show the top 20."""
    from mainport.targeting import service

    with session_scope(get_session_factory()) as session:
        scored = service.score_day(session=session, actor=system_principal(), hub=hub, day=_day(day))
    table = Table("declaration", "score", "model p", "rule hits")
    top: list[dict[str, Any]] = scored.nlargest(20, "score").to_dict("records")  # type: ignore[assignment]
    for row in top:
        p = "-" if pd.isna(row["model_p"]) else f"{row['model_p']:.3f}"
        table.add_row(str(row["declaration_id"]), f"{row['score']:.3f}", p, ", ".join(row["rule_hits"]))
    console.print(f"{len(scored)} declarations scored for {hub}")
    console.print(table)


@app.command("select")
def select_cmd(
    hub: str,
    day: str | None = typer.Option(None, help="YYYY-MM-DD, default today"),
    scan: int | None = typer.Option(None, help="scanner slots (default: the hub's configured capacity)"),
    physical: int = typer.Option(0, help="physical inspections"),
    exploration: float = typer.Option(0.10, help="share of capacity kept for exploration"),
    strategy: str = typer.Option(DEFAULT_STRATEGY, help="thompson | mixed | uncertainty | random"),
) -> None:
    """Select the hub's inspections for the day; raises an alert per selected declaration."""
    from mainport.targeting import service
    from mainport.targeting.selection import Capacity

    cap = Capacity(scan=scan, physical=physical) if scan is not None else None
    with session_scope(get_session_factory()) as session:
        sel = service.run_selection(
            session=session,
            actor=system_principal(),
            hub=hub,
            day=_day(day),
            capacity=cap,
            exploration_share=exploration,
            strategy=strategy,
        )
        table = Table("rank", "declaration", "score", "strategy", "kind", "reasons")
        for item in sel.items:
            table.add_row(
                str(item.rank),
                str(item.declaration_id),
                f"{item.score:.3f}",
                item.strategy,
                item.kind,
                "; ".join(item.reasons[:3]),
            )
        console.print(f"{len(sel.items)} of {sel.candidates} selected for {hub} on {sel.day}")
        console.print(table)


@app.command("evaluate")
def evaluate_cmd(
    data: Path = typer.Option(..., "--data", help="CSV or Parquet with one row per declaration"),
    mapping: Path = typer.Option(
        ..., "--mapping", help="YAML naming label, date, revenue and feature columns"
    ),
    seed: int = typer.Option(0),
) -> None:
    """Pre@n, Rec@n, Rev@n at 1, 2, 5, 10% on a strict temporal split: model, rules only, random."""
    from mainport.targeting.evaluate import evaluate_files

    result = evaluate_files(data, mapping, seed=seed)
    info = result.attrs
    console.print(
        f"train {info['train_rows']} rows until {info['train_until']}; test {info['test_rows']} rows "
        f"from {info['test_from']} ({info['test_positives']} positives)"
    )
    table = Table("method", "n", "inspected", "Pre@n", "Rec@n", "Rev@n")
    rows: list[dict[str, Any]] = result.to_dict("records")  # type: ignore[assignment]
    for row in rows:
        table.add_row(
            str(row["method"]),
            f"{row['rate']:.0%}",
            str(row["inspected"]),
            f"{row['precision']:.3f}",
            f"{row['recall']:.3f}",
            f"{row['revenue']:.3f}",
        )
    console.print(table)
