"""`mainport jobs list|run NAME` and `mainport worker`: the recurring jobs, by hand or on their schedule."""

from __future__ import annotations

import signal
import threading

import typer
from rich.console import Console
from rich.table import Column, Table

from mainport.database import session_scope
from mainport.database.runtime import get_session_factory
from mainport.errors import ValidationFailed
from mainport.identity.principal import system_principal
from mainport.operations import service
from mainport.operations.runner import execute
from mainport.recurring import discover

app = typer.Typer(help="Recurring jobs: list them, run one now.", no_args_is_help=True)
console = Console()


@app.command("list")
def list_jobs() -> None:
    """Every job with its schedule, last run and next run."""
    jobs = discover()
    with session_scope(get_session_factory()) as session:
        rows = service.overview(session=session, actor=system_principal(), jobs=jobs)
        state = service.scheduler_state(session=session, actor=system_principal())
    table = Table("schedule", "last run", "status", "next run", "failures 7 d")
    table.columns.insert(0, Column("job", no_wrap=True))
    for r in rows:
        table.add_row(
            r.name,
            r.schedule,
            f"{r.last.started_at:%Y-%m-%d %H:%M}" if r.last and r.last.started_at else "never",
            r.last.status if r.last else "",
            f"{r.next_run_at:%Y-%m-%d %H:%M}" if r.next_run_at else "",
            str(r.failures_7d),
        )
    console.print(table)
    leader = state["leader"] if state["alive"] else None
    console.print(f"scheduler: {'running on ' + leader if leader else 'none running'}")


@app.command("run")
def run_job(name: str) -> None:
    """Run one job now, here (recorded and audited like a scheduled run). Exit 1 if it fails."""
    jobs = discover()
    if name not in jobs:
        raise ValidationFailed(f"unknown job {name!r}; known: {', '.join(jobs)}")
    outcome = execute(get_session_factory(), jobs[name], trigger="command")
    console.print(f"{name} (run {outcome.run_id}): {'ok' if outcome.ok else 'FAILED'}: {outcome.summary}")
    if not outcome.ok:
        raise typer.Exit(1)


def worker() -> None:
    """Run the recurring jobs on their schedule until stopped (production: beside `mainport serve` with
    MAINPORT_SCHEDULER=off; several workers may run, one leads)."""
    from mainport.operations.scheduler import JobScheduler

    scheduler = JobScheduler(get_session_factory(), discover())
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    scheduler.start()
    console.print(
        f"worker {scheduler.holder}: {len(scheduler.jobs)} jobs, "
        f"{'leading' if scheduler.is_leader else 'standing by'}; Ctrl-C stops"
    )
    try:
        stop.wait()
    finally:
        scheduler.shutdown()
