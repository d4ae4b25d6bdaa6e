"""`mainport custody ...`: jobs and checks for custody plans, telemetry and release keys (safe to re-run)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from mainport.custody import anchor, keys, seals, service
from mainport.database import session_scope
from mainport.database.runtime import get_session_factory
from mainport.identity.principal import system_principal

app = typer.Typer(help="Custody plans, smart-seal telemetry and release keys.", no_args_is_help=True)
console = Console()


@app.command()
def dwell(
    tolerance_min: int = typer.Option(120, help="minutes outside the guarded area before an alert"),
) -> None:
    """Alert on containers under control that stand outside the guarded area too long."""
    from datetime import timedelta

    with session_scope(get_session_factory()) as session:
        alerts = service.check_dwell(
            session=session, actor=system_principal(), tolerance=timedelta(minutes=tolerance_min)
        )
    console.print(f"{len(alerts)} dwell alert(s) raised or repeated")


@app.command()
def verify(plan_id: int) -> None:
    """Exit 1 if a plan's custody log was tampered with."""
    with session_scope(get_session_factory()) as session:
        report = service.verify_plan(session=session, actor=system_principal(), plan_id=plan_id)
    if report.ok:
        console.print(f"[green]custody log of plan {plan_id} intact[/green]: {report.entries} entries")
        return
    for p in report.problems:
        console.print(f"[red]-[/red] {p}")
    raise typer.Exit(1)


@app.command()
def telemetry(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSONL of readings"),
) -> None:
    """Ingest e-seal / door / location readings (one JSON object a line); duplicates are skipped."""
    readings = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    with session_scope(get_session_factory()) as session:
        stored, dups, alerts = seals.ingest_readings(
            session=session, actor=system_principal(), readings=readings, source=str(path)
        )
    console.print(f"stored {stored}, duplicates {dups}, alerts {len(alerts)}")


@app.command("door-events")
def door_events() -> None:
    """Judge DCSA door-open/close events (DRO/DRC) stored by ingest that were not judged yet."""
    with session_scope(get_session_factory()) as session:
        stored, _dups, alerts = seals.ingest_door_events(session=session, actor=system_principal())
    console.print(f"judged {stored} door event(s), alerts {len(alerts)}")


@app.command("anchor-gate")
def anchor_gate() -> None:
    """Anchor new gate decisions into the audit chain (run every minute), then verify all anchors."""
    with session_scope(get_session_factory()) as session:
        entry = anchor.anchor_decisions(session=session, actor=system_principal())
        report = anchor.verify_anchors(session=session, actor=system_principal())
    console.print(f"anchored {entry.detail['count'] if entry else 0} decision(s); {report.anchors} anchors")
    for p in report.problems:
        console.print(f"[red]-[/red] {p}")
    if not report.ok:
        raise typer.Exit(1)


@app.command("rotate-key")
def rotate_key() -> None:
    """Sign new release tokens with a fresh Ed25519 key; older keys keep verifying until retired."""
    with session_scope(get_session_factory()) as session:
        key = keys.rotate(session=session, actor=system_principal())
    console.print(f"new signing key {key.kid}")


@app.command("retire-key")
def retire_key(kid: str) -> None:
    """Stop trusting a key: tokens signed with it are refused at the gate."""
    with session_scope(get_session_factory()) as session:
        keys.retire(session=session, actor=system_principal(), kid=kid)
    console.print(f"retired {kid}")
