"""`mainport insider lookups`: staff look-ups of container data (access logs), for analysts."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from mainport.database import session_scope
from mainport.errors import MainportError
from mainport.insider import service

app = typer.Typer(
    help="Insider signals: staff look-ups of container data (access logs).", no_args_is_help=True
)


@app.callback()
def main() -> None:
    """Insider signals: staff look-ups of container data (access logs)."""


def session_factory() -> sessionmaker[Session]:
    from mainport.database.runtime import get_session_factory

    return get_session_factory()


@app.command("lookups")
def lookups(
    user: Annotated[str | None, typer.Option("--user", help="only this member of staff")] = None,
    container: Annotated[str | None, typer.Option("--container", help="only this container")] = None,
    hub: Annotated[str | None, typer.Option("--hub", help="only this hub (node code)")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="status, position, release_code, ...")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="rows to show")] = 50,
    as_user: Annotated[
        str | None, typer.Option("--as-user", help="act as this user instead of the system")
    ] = None,
) -> None:
    """Show staff look-ups, newest first (the read is audited)."""
    from mainport.identity.acting import acting_principal

    factory = session_factory()
    actor = acting_principal(factory, as_user)
    try:
        with session_scope(factory) as session:
            items, total = service.list_lookups(
                session=session, actor=actor, user=user, container=container, hub=hub, kind=kind, limit=limit
            )
            table = Table(
                "at",
                "user",
                "org",
                "hub",
                "facility",
                "container",
                "kind",
                "object",
                title=f"{len(items)} of {total} look-ups",
            )
            for i in items:
                table.add_row(
                    i.at.strftime("%Y-%m-%d %H:%M:%S"),
                    i.username,
                    i.org_code,
                    i.hub,
                    i.facility_code or "",
                    i.container_number or "",
                    i.kind,
                    i.object or "",
                )
    except MainportError as exc:
        Console(stderr=True).print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    Console(width=160).print(table)
