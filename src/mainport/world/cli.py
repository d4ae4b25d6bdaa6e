"""`mainport world generate|load`: thin wrappers over generate_world / load_world."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import typer

from mainport.world.config import WorldConfig

app = typer.Typer(
    help="The synthetic world: generate flows with hidden smuggling, load them via ingest.",
    no_args_is_help=True,
)


@app.command()
def generate(
    days: int = typer.Option(3, help="simulated days"),
    seed: int = typer.Option(0, help="random seed (same seed, same world)"),
    scale: float = typer.Option(1.0, help="volume factor (1.0 = Rotterdam's ~23,000 boxes a day)"),
    out: Path = typer.Option(Path("var/world"), help="output folder"),
    start: str = typer.Option("2024-03-04", help="first simulated day (YYYY-MM-DD)"),
    boost: float = typer.Option(1.0, help="multiply smuggling attempts (demos at small scale)"),
    adaptation: float = typer.Option(0.15, help="how fast organisations re-plan from seizures (0-1)"),
    progress: bool = typer.Option(True, help="show a progress bar"),
    render_scans: bool = typer.Option(
        False, "--render-scans", help="render each scan request to scans/*.png + JSON sidecar (~1 s a scan)"
    ),
) -> None:
    from mainport.world.generate import generate_world

    config = WorldConfig(
        days=days,
        seed=seed,
        scale=scale,
        start=date.fromisoformat(start),
        smuggling_boost=boost,
        adaptation_rate=adaptation,
    )
    summary = generate_world(config, out, progress=progress)
    if render_scans:
        from mainport.world.scans import render_requests

        summary["scans_rendered"] = render_requests(out)
    typer.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())


@app.command()
def load(directory: Path = typer.Argument(..., help="a folder written by `world generate`")) -> None:
    from mainport.database.runtime import get_session_factory
    from mainport.identity.principal import system_principal
    from mainport.world.generate import load_world

    results = load_world(directory, get_session_factory(), system_principal())
    for kind, rec in results.items():
        f = rec.summary()
        typer.echo(
            f"{kind}: received {f['received']:,} = stored {f['stored']:,} (updated {f['updated']:,})"
            f" + duplicates {f['duplicates']:,} + quarantined {f['quarantined']:,}"
            f" - {'balanced' if f['balanced'] else 'NOT balanced'}"
        )
        for p in rec.problems[:3]:
            typer.echo(f"  quarantined #{p.quarantine_id} {p.locator}: {p.reason}")
