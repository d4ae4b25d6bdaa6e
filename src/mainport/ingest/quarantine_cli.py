"""`mainport quarantine list|show|retry|discard`: look at and replay quarantined records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from mainport.database import session_scope
from mainport.identity.acting import acting_principal
from mainport.ingest import service
from mainport.ingest.cli import session_factory

app = typer.Typer(help="Quarantined ingest records: list, show, retry (optionally corrected), discard.")
UserOpt = Annotated[str | None, typer.Option("--as-user", help="Act as this user instead of the system.")]


@app.command("list")
def list_(
    kind: Annotated[str | None, typer.Option()] = None,
    status: str = "open",
    limit: int = 50,
    offset: int = 0,
    as_user: UserOpt = None,
) -> None:
    factory = session_factory()
    actor = acting_principal(factory, as_user)
    with session_scope(factory) as session:
        items, total = service.list_quarantine(
            session=session, actor=actor, kind=kind, status=status, limit=limit, offset=offset
        )
        table = Table("id", "kind", "source", "locator", "reason", title=f"{total} {status} quarantined")
        for q in items:
            table.add_row(str(q.id), q.kind, q.source, q.locator, q.reason)
    Console().print(table)


@app.command("show")
def show(record_id: int, as_user: UserOpt = None) -> None:
    factory = session_factory()
    actor = acting_principal(factory, as_user)
    with session_scope(factory) as session:
        q = service.get_quarantined(session=session, actor=actor, record_id=record_id)
        typer.echo(
            json.dumps(
                {
                    "id": q.id,
                    "kind": q.kind,
                    "source": q.source,
                    "locator": q.locator,
                    "reason": q.reason,
                    "status": q.status,
                    "retries": q.retries,
                    "raw_size": q.raw_size,
                    "raw": q.raw,
                },
                indent=1,
            )
        )


@app.command("retry")
def retry(
    record_id: Annotated[int | None, typer.Argument()] = None,
    fixed: Annotated[Path | None, typer.Option("--fixed", exists=True, dir_okay=False)] = None,
    all_open: Annotated[bool, typer.Option("--all")] = False,
    as_user: UserOpt = None,
) -> None:
    if (record_id is None) == (not all_open):
        raise typer.BadParameter("give one ID or --all")
    factory = session_factory()
    actor = acting_principal(factory, as_user)
    with session_scope(factory) as session:
        recon = service.retry_quarantined(
            session=session,
            actor=actor,
            ids=[record_id] if record_id is not None else None,
            all_open=all_open,
            fixed_raw=fixed.read_text(encoding="utf-8") if fixed else None,
        )
    typer.echo(json.dumps(recon.summary()))


@app.command("discard")
def discard(record_id: int, note: str = "", as_user: UserOpt = None) -> None:
    factory = session_factory()
    actor = acting_principal(factory, as_user)
    with session_scope(factory) as session:
        service.discard_quarantined(session=session, actor=actor, record_id=record_id, note=note)
    typer.echo(f"discarded {record_id}")
