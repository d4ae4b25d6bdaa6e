"""`mainport audit verify`: walk the hash chain and report any altered, inserted or deleted entry."""

from __future__ import annotations

import typer
from rich.console import Console

from mainport.audit import service
from mainport.database import session_scope
from mainport.database.runtime import get_session_factory

app = typer.Typer(help="The audit log.", no_args_is_help=True)
console = Console()


@app.command()
def verify() -> None:
    """Exit 1 if the audit chain was tampered with."""
    with session_scope(get_session_factory()) as session:
        report = service.verify(session=session)
    if report.ok:
        console.print(
            f"[green]audit log intact[/green]: {report.entries} entries, "
            f"head {report.head_seq} {report.head_hash}"
        )
        console.print(
            "Record the head hash outside the database to make a later rewrite of the log detectable."
        )
        return
    console.print(f"[red]audit log TAMPERED[/red] ({report.entries} entries read):")
    for p in report.problems:
        console.print(f"  - {p}")
    raise typer.Exit(1)


@app.command("list")
def list_entries(limit: int = typer.Option(20, min=1, max=10_000, help="how many of the latest")) -> None:
    from mainport.identity.principal import system_principal

    with session_scope(get_session_factory()) as session:
        for e in service.list_entries(session=session, actor=system_principal(), limit=limit):
            console.print(
                f"{e.seq:>7} {e.at:%Y-%m-%d %H:%M:%S} {e.actor:<20} {e.action:<28} "
                f"{e.entity_type}:{e.entity_id}"
            )
