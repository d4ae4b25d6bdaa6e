"""`mainport target train|score|select|evaluate`."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

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
watch_app = typer.Typer(
    help="Watch lists: parties, containers, vessels and routes intelligence wants looked at."
)
tip_app = typer.Typer(help="Tips from police, KMar, FIOD or liaison officers that force selection.")
app.add_typer(watch_app, name="watch")
app.add_typer(tip_app, name="tip")
F = TypeVar("F", bound=Callable[..., Any])


def user_errors(fn: F) -> F:
    """A user mistake ends in one line on stderr and exit code 2 (a traceback only with MAINPORT_DEBUG=1;
    `mainport --debug` does the same for the whole command line)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from mainport.errors import MainportError

        try:
            return fn(*args, **kwargs)
        except (MainportError, FileNotFoundError, IsADirectoryError) as exc:
            if kwargs.get("debug") or os.environ.get("MAINPORT_DEBUG"):
                raise
            is_ours = isinstance(exc, MainportError)
            text = exc.message if is_ours else f"{exc.filename}: {exc.strerror}"  # type: ignore[union-attr]
            typer.echo(f"error: {text}", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _moment(value: str | None, what: str) -> datetime | None:
    from mainport.errors import ValidationFailed

    if not value:
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            f"{what}: {value!r} is not a date or time (YYYY-MM-DD or YYYY-MM-DDTHH:MM)"
        ) from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


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
@user_errors
def evaluate_cmd(
    data: Path = typer.Option(..., "--data", help="CSV or Parquet with one row per declaration"),
    mapping: Path = typer.Option(
        ...,
        "--mapping",
        help="YAML mapping the table's columns onto the product's fields (docs/targeting.md)",
    ),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object instead of tables"),
    scores: Path | None = typer.Option(
        None, "--scores", help="write id, score, reasons of the test rows (CSV)"
    ),
    reasons_share: float = typer.Option(
        0.1, "--reasons-share", min=0.0, max=1.0, help="share of the test rows (top scores) given reasons"
    ),
    seed: int = typer.Option(0),
    debug: bool = typer.Option(False, "--debug", help="show the traceback of an error"),
) -> None:
    """The product's features, rules and model on your own table: AUC and Pre/Rec/Rev at 1, 2, 5, 10% on a
    strict temporal split, beside the rules alone, a plain model on the raw columns and random."""
    import json

    from mainport.targeting.evaluate import evaluate_files

    result = evaluate_files(data, mapping, seed=seed, reasons_share=reasons_share)
    if scores is not None:
        result.scores.to_csv(scores, index=False)
    if as_json:
        typer.echo(json.dumps(result.to_json(), default=str))
        return
    info = result.info
    console.print(
        f"train {info['train_rows']:,} rows ({info['train_positives']:,} found) until {info['train_until']}; "
        f"test {info['test_rows']:,} rows from {info['test_from']} ({info['test_positives']:,} found); "
        f"label delay {info['label_delay_days']} days; {info['features']} model features; "
        f"{info['seconds']['total']:.1f} s"
    )
    for note in result.notes:
        console.print(f"note: {note}")
    table = Table("method", "AUC", "n", "inspected", "Pre@n", "Rec@n", "Rev@n")
    rows: list[dict[str, Any]] = result.table.to_dict("records")  # type: ignore[assignment]
    for row in rows:
        auc = result.auc.get(str(row["method"]), float("nan"))
        table.add_row(
            str(row["method"]),
            f"{auc:.3f}",
            f"{row['rate']:.0%}",
            str(row["inspected"]),
            f"{row['precision']:.3f}",
            f"{row['recall']:.3f}",
            f"{row['revenue']:.3f}",
        )
    console.print(table)
    top = ", ".join(r["feature"] for r in info["top_reasons"][:6])
    console.print(f"features that carried the top of the ranking (SHAP): {top}")
    if scores is not None:
        console.print(f"scores of {len(result.scores):,} test rows written to {scores}")


@watch_app.command("add")
@user_errors
def watch_add(
    kind: str = typer.Option(..., help="party | container | vessel | route"),
    value: str = typer.Option(..., help="EORI, ISO 6346 number, IMO number or route FROM>[VIA>]TO"),
    reason: str = typer.Option(..., help="why it is watched"),
    source: str = typer.Option(..., help="where the information came from (police, liaison officer, ...)"),
    owner: str = typer.Option(..., help="team or officer responsible for the entry"),
    weight: float = typer.Option(0.5, help="how much a match raises the risk score (0-1]"),
    hub: str | None = typer.Option(None, help="only at this hub (default: every hub)"),
    valid_from: str | None = typer.Option(None, help="YYYY-MM-DD[THH:MM] (default now)"),
    valid_to: str | None = typer.Option(None, help="YYYY-MM-DD[THH:MM] (default: until revoked)"),
) -> None:
    """Put a party, container, vessel or route on the watch list."""
    from mainport.targeting import intelligence

    with session_scope(get_session_factory()) as session:
        e = intelligence.add_watch_entry(
            session=session,
            actor=system_principal(),
            kind=kind,
            value=value,
            owner=owner,
            reason=reason,
            source=source,
            weight=weight,
            hub=hub,
            valid_from=_moment(valid_from, "valid_from"),
            valid_to=_moment(valid_to, "valid_to"),
        )
        console.print(f"watch-list entry {e.id}: {e.kind} {e.value} (weight {e.weight:g})")


@watch_app.command("list")
@user_errors
def watch_list(all_entries: bool = typer.Option(False, "--all", help="also revoked and ended ones")) -> None:
    """The watch list in force (or all of it)."""
    from mainport.targeting import intelligence

    with session_scope(get_session_factory()) as session:
        entries = intelligence.list_watch_entries(
            session=session, actor=system_principal(), include_ended=all_entries
        )
        table = Table("id", "kind", "value", "weight", "hub", "valid", "source", "owner", "reason", "revoked")
        for e in entries:
            until = e.valid_to.date().isoformat() if e.valid_to else "-"
            table.add_row(
                str(e.id),
                e.kind,
                e.value,
                f"{e.weight:g}",
                e.hub or "all",
                f"{e.valid_from.date()} to {until}",
                e.source,
                e.owner,
                e.reason,
                e.revoked_by or "",
            )
        console.print(table)


@watch_app.command("revoke")
@user_errors
def watch_revoke(entry_id: int, reason: str = typer.Option(..., help="why it no longer applies")) -> None:
    """Revoke a watch-list entry (it stays in the record)."""
    from mainport.targeting import intelligence

    with session_scope(get_session_factory()) as session:
        intelligence.revoke_watch_entry(
            session=session, actor=system_principal(), entry_id=entry_id, reason=reason
        )
        console.print(f"watch-list entry {entry_id} revoked")


@tip_app.command("add")
@user_errors
def tip_add(
    reference: str = typer.Option(..., help="the tip's own reference (case number, SIENA message)"),
    source: str = typer.Option(..., help="who gave it (police, KMar, FIOD, liaison officer ...)"),
    summary: str = typer.Option(..., help="what it says"),
    window_from: str = typer.Option(..., "--from", help="YYYY-MM-DD[THH:MM]: declarations filed from"),
    window_to: str = typer.Option(..., "--to", help="YYYY-MM-DD[THH:MM]: until (at most 31 days)"),
    hub: str | None = typer.Option(None),
    container: str | None = typer.Option(None, help="ISO 6346 container number"),
    vessel: str | None = typer.Option(None, help="IMO number"),
    party: str | None = typer.Option(None, help="EORI of a party on the declaration"),
    loading: str | None = typer.Option(None, help="place (UN/LOCODE) or country of loading"),
    hs: str | None = typer.Option(None, help="HS code prefix"),
) -> None:
    """Record a tip: matching declarations filed in the window are selected whatever their score."""
    from mainport.targeting import intelligence

    start, end = _moment(window_from, "--from"), _moment(window_to, "--to")
    assert start is not None and end is not None
    with session_scope(get_session_factory()) as session:
        t = intelligence.add_tip(
            session=session,
            actor=system_principal(),
            reference=reference,
            source=source,
            summary=summary,
            window_from=start,
            window_to=end,
            hub=hub,
            container_number=container,
            vessel_imo=vessel,
            party_eori=party,
            place_of_loading=loading,
            hs_prefix=hs,
        )
        console.print(f"tip {t.id} ({t.reference}) in force {t.window_from} to {t.window_to}")


@tip_app.command("list")
@user_errors
def tip_list(status: str = typer.Option("open", help="open | closed | all")) -> None:
    """Tips (open ones by default)."""
    from mainport.targeting import intelligence

    with session_scope(get_session_factory()) as session:
        tips = intelligence.list_tips(
            session=session, actor=system_principal(), status=None if status == "all" else status
        )
        table = Table("id", "reference", "source", "hub", "criteria", "window", "status", "summary")
        for t in tips:
            crit = ", ".join(
                f"{k}={v}"
                for k, v in (
                    ("container", t.container_number),
                    ("vessel", t.vessel_imo),
                    ("party", t.party_eori),
                    ("loading", t.place_of_loading),
                    ("hs", t.hs_prefix),
                )
                if v
            )
            table.add_row(
                str(t.id),
                t.reference,
                t.source,
                t.hub or "all",
                crit,
                f"{t.window_from:%Y-%m-%d %H:%M} to {t.window_to:%Y-%m-%d %H:%M}",
                t.status,
                t.summary,
            )
        console.print(table)


@tip_app.command("close")
@user_errors
def tip_close(tip_id: int, note: str = typer.Option("", help="what came of it")) -> None:
    """Close a tip: it no longer forces selection."""
    from mainport.targeting import intelligence

    with session_scope(get_session_factory()) as session:
        intelligence.close_tip(session=session, actor=system_principal(), tip_id=tip_id, note=note)
        console.print(f"tip {tip_id} closed")
