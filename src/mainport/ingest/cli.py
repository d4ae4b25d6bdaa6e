"""`mainport ingest declarations|events|FEED FILE`: thin wrapper around jobs.ingest_file.

Exit codes: 0 done; 3 done but the file looks like garbage (no valid header, or more than half of its records
quarantined: a warning line, and only the first records are copied into quarantine); 1 the job itself failed
(one line: why, what was committed, how to resume); 2 a user mistake (the root command's handling)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn
from sqlalchemy.orm import Session, sessionmaker

from mainport.identity.acting import acting_principal
from mainport.ingest import registry
from mainport.ingest.jobs import IngestFailed, Kind, ingest_file
from mainport.ingest.records import Reconciliation

app = typer.Typer(
    help="Ingest declarations, DCSA events, access logs, e-seal status, inspections and seizures "
    "(validated; bad records are quarantined)."
)
err = Console(stderr=True)
GARBAGE_EXIT = 3


def session_factory() -> sessionmaker[Session]:
    from mainport.database.runtime import get_session_factory

    return get_session_factory()


def _run(
    kind: Kind, path: Path, as_json: bool, batch_size: int, as_user: str | None, workers: int | None = None
) -> None:
    factory = session_factory()
    actor = acting_principal(factory, as_user)
    try:
        if as_json:
            recon = ingest_file(
                session_factory=factory,
                actor=actor,
                kind=kind,
                path=path,
                batch_size=batch_size,
                workers=workers,
            )
            typer.echo(json.dumps(recon.summary()))
        else:
            columns = (
                "[progress.description]{task.description}",
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
            )
            with Progress(*columns, console=err) as bar:
                task = bar.add_task(f"{kind} {path.name}", total=path.stat().st_size)
                recon = ingest_file(
                    session_factory=factory,
                    actor=actor,
                    kind=kind,
                    path=path,
                    batch_size=batch_size,
                    progress=lambda n: bar.advance(task, n),
                    workers=workers,
                )
            _print(recon)
    except IngestFailed as exc:
        typer.echo(f"mainport ingest {kind}: {exc.message}", err=True)
        raise typer.Exit(1) from None
    for note in recon.notes:
        typer.echo(f"note: {note}", err=True)
    if recon.flagged:
        typer.echo(f"warning: {path}: {recon.flagged}", err=True)
        raise typer.Exit(GARBAGE_EXIT)


def _print(recon: Reconciliation) -> None:
    out = Console()
    out.print(
        f"[bold]{recon.kind}[/] from {recon.source}: received {recon.received}, stored {recon.stored} "
        f"(of which updated {recon.updated}), duplicates {recon.duplicates}, quarantined {recon.quarantined}"
        f"{f' (of which {recon.not_kept} only counted)' if recon.not_kept else ''}"
        f" - {'balanced' if recon.balanced else '[red]NOT balanced[/]'}; {recon.elapsed_s:.1f} s, "
        f"{recon.rate:,.0f} records/s (run {recon.run_id})"
    )
    for p in recon.problems[:20]:
        out.print(f"  quarantined #{p.quarantine_id} {p.locator}: {p.reason}", markup=False)
    if len(recon.problems) > 20:
        out.print(f"  ... {recon.quarantined - 20} more (mainport quarantine list)")


FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object with the reconciliation.")]
BatchOpt = Annotated[int, typer.Option("--batch-size", min=1, help="Records per transaction.")]
UserOpt = Annotated[str | None, typer.Option("--as-user", help="Act as this user instead of the system.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=0,
        max=1,
        help="1: parse and validate in a reader process beside the writer; 0: one process. "
        "Default: 1 for files of 32 MiB and more.",
    ),
]


@app.command("declarations")
def declarations(
    path: FileArg, as_json: JsonOpt = False, batch_size: BatchOpt = 20_000, as_user: UserOpt = None
) -> None:
    """Ingest a declarations file (CSV with header, or JSON Lines)."""
    _run("declarations", path, as_json, batch_size, as_user)


@app.command("events")
def events(
    path: FileArg,
    as_json: JsonOpt = False,
    batch_size: BatchOpt = 20_000,
    as_user: UserOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Ingest DCSA events (JSON array, {"events": [...]} or JSON Lines)."""
    _run("events", path, as_json, batch_size, as_user, workers)


def _feed_command(kind: Kind, doc: str) -> None:
    """Register `mainport ingest KIND FILE`: the feeds (`registry`) all take the same options."""

    def command(
        path: FileArg, as_json: JsonOpt = False, batch_size: BatchOpt = 20_000, as_user: UserOpt = None
    ) -> None:
        _run(kind, path, as_json, batch_size, as_user)

    command.__doc__ = doc
    app.command(kind)(command)


for _kind, _feed in registry.feeds().items():
    _feed_command(_kind, _feed.help)
