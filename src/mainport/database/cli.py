"""`mainport db upgrade|check|current`: Alembic migrations on the configured database."""

from __future__ import annotations

import typer
from rich.console import Console

from mainport.database import migrations

app = typer.Typer(help="Database schema: create, migrate, check.", no_args_is_help=True)
console = Console()


@app.command()
def upgrade(revision: str = "head") -> None:
    """Migrate the configured database (MAINPORT_DATABASE_URL) to REVISION."""
    migrations.upgrade(revision=revision)
    console.print(f"[green]database at {migrations.current() or 'base'}[/green]")


@app.command()
def check() -> None:
    """Fail if the models and the migrations disagree."""
    problems = migrations.check()
    if problems:
        console.print("[red]models and migrations disagree:[/red]")
        for p in problems:
            console.print(f"  {p}")
        raise typer.Exit(1)
    console.print("[green]models and migrations agree[/green]")


@app.command()
def current() -> None:
    console.print(migrations.current() or "base")
