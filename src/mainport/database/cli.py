"""`mainport db upgrade|check|current|backup|restore`: migrations and verified backups of the database."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from mainport.config import get_settings
from mainport.database import backup as backups
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


@app.command("backup")
def backup_cmd(
    out: Path = typer.Argument(
        ..., dir_okay=False, help="the backup file (a .json manifest is written beside it)"
    ),
) -> None:
    """Back up the configured database (SQLite: online backup; PostgreSQL: pg_dump) and verify the copy."""
    manifest, check = backups.backup(get_settings().database_url, out)
    facts = backups.describe(manifest)
    console.print(
        f"backup {out}: {facts['rows']:,} rows in {facts['tables']} tables, {facts['audit_entries']:,} audit "
        f"entries, revision {facts['revision']}, {facts['bytes']:,} bytes"
    )
    _report(check, "verified: read back, same rows, audit chain intact")


@app.command("restore")
def restore_cmd(
    backup_file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="a file written by `db backup`"
    ),
    yes: bool = typer.Option(False, "--yes", help="replace the database's contents without asking"),
) -> None:
    """Replace the configured database's contents with a backup, then verify rows and the audit chain."""
    if not yes:
        typer.confirm(f"Replace everything in the configured database with {backup_file}?", abort=True)
    check = backups.restore(get_settings().database_url, backup_file)
    _report(
        check,
        f"restored {sum(check.tables.values()):,} rows; audit chain verifies ({check.audit_entries:,} "
        "entries)",
    )


def _report(check: backups.Verification, ok_line: str) -> None:
    if check.ok:
        console.print(f"[green]{ok_line}[/green]")
        return
    console.print("[red]verification failed:[/red]")
    for problem in check.problems:
        console.print(f"  - {problem}")
    raise typer.Exit(1)
