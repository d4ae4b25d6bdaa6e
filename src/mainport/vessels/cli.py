"""`mainport vessels ...`: vessel risk scores, the diver plan and dive outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import typer
from rich.console import Console
from rich.table import Table

from mainport.database import session_scope
from mainport.database.runtime import get_session_factory
from mainport.errors import ValidationFailed
from mainport.identity.principal import system_principal
from mainport.vessels import service

app = typer.Typer(
    help="Vessels: risk scores of calls, diver inspections and their outcomes.", no_args_is_help=True
)
console = Console()


def _window(day: str, days: int) -> tuple[datetime, datetime]:
    try:
        start = datetime.combine(datetime.strptime(day, "%Y-%m-%d").date(), time(0), tzinfo=UTC)
    except ValueError:
        raise ValidationFailed(f"--day: not a date YYYY-MM-DD (value {day!r})") from None
    if not 2000 <= start.year <= 2999:
        raise ValidationFailed(f"--day: between 2000 and 2999 (value {day!r})")
    return start, start + timedelta(days=days)


@app.command()
def scores(
    day: str = typer.Option(..., help="first day of the window (YYYY-MM-DD, UTC)"),
    days: int = typer.Option(7, min=1, max=31, help="days in the window"),
    hub: str | None = typer.Option(None, help="one hub (default: all)"),
    top: int = typer.Option(20, min=1, help="rows to show"),
) -> None:
    """The window's calls from source/transit countries, highest vessel risk first, with reasons."""
    start, end = _window(day, days)
    with session_scope(get_session_factory()) as session:
        rows = service.score_window(session=session, actor=system_principal(), start=start, end=end, hub=hub)
        table = Table("call", "vessel", "voyage", "hub", "arrived", "p", "reasons", "dive")
        for s in rows[:top]:
            table.add_row(
                str(s.call.id),
                f"{s.call.vessel_imo} {s.call.vessel_name or ''}",
                s.call.voyage_number,
                s.call.hub,
                s.call.arrived_at.strftime("%Y-%m-%d %H:%M"),
                f"{s.scored.p:.3f}",
                "; ".join(r.text for r in s.scored.reasons[:3]),
                s.dive.result if s.dive else "",
            )
    console.print(table)
    console.print(f"{len(rows)} call(s) from source/transit countries")


@app.command()
def select(
    day: str = typer.Option(..., help="first day of the plan (YYYY-MM-DD, UTC)"),
    capacity: int = typer.Option(..., min=1, max=1000, help="dives the teams can do in the window"),
    days: int = typer.Option(7, min=1, max=31, help="days in the window"),
    hub: str | None = typer.Option(None, help="one hub (default: all)"),
    exploration: float = typer.Option(0.2, min=0.0, max=1.0, help="exploration share"),
    seed: int | None = typer.Option(None, help="random seed of the exploration (for a repeatable plan)"),
) -> None:
    """Plan diver inspections within capacity among the window's calls not yet chosen."""
    start, end = _window(day, days)
    with session_scope(get_session_factory()) as session:
        dives = service.select_dives(
            session=session,
            actor=system_principal(),
            start=start,
            end=end,
            capacity=capacity,
            hub=hub,
            exploration_share=exploration,
            seed=seed,
        )
        for d in dives:
            console.print(f"dive {d.id}: call {d.call_id} ({d.hub}) p={d.score:.3f} {d.strategy}")
    console.print(f"{len(dives)} dive(s) planned")


@app.command()
def outcome(
    dive_id: int = typer.Argument(..., help="the dive's id"),
    result: str = typer.Argument(..., help="found | not_found"),
    kg: float = typer.Option(0.0, min=0.0, help="kg found"),
    notes: str = typer.Option("", help="notes"),
) -> None:
    """Record what a dive found (the next scores learn from it)."""
    with session_scope(get_session_factory()) as session:
        dive = service.record_dive(
            session=session,
            actor=system_principal(),
            dive_id=dive_id,
            result=result,
            kg_found=kg,
            notes=notes,
        )
        console.print(f"dive {dive.id}: {dive.result} {dive.kg_found:g} kg")
