"""`mainport screening ...`: the register from the command line (thin: parse, call a service, print).

A user mistake (unknown person, bad date, missing file, no permission) is one line and exit code 2."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from mainport.database import session_scope
from mainport.errors import MainportError

app = typer.Typer(
    help="Screening of high-risk roles, port bans, and the insider ranking.", no_args_is_help=True
)
AsUser = Annotated[str | None, typer.Option("--as-user", help="act as this user instead of the system")]
KINDS = {"people": "screening_people", "certificates": "screening_certificates", "bans": "screening_bans"}


@app.callback()
def main() -> None:
    """Screening of high-risk roles, port bans, and the insider ranking."""


def session_factory() -> sessionmaker[Session]:
    from mainport.database.runtime import get_session_factory

    return get_session_factory()


def _fail(message: str) -> None:
    Console(stderr=True, soft_wrap=True).print(f"[red]{message}[/red]", highlight=False)
    raise typer.Exit(2)


def _moment(name: str, value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        _fail(f"--{name}: not a date/time (value {value!r}; e.g. 2026-12-31T00:00:00Z)")
        raise
    if at.tzinfo is None:
        _fail(f"--{name}: give a time zone (value {value!r}; e.g. 2026-12-31T00:00:00Z)")
    return at


@app.command("import")
def import_file(
    kind: Annotated[str, typer.Argument(help="people | certificates | bans")],
    path: Annotated[Path, typer.Argument(help="CSV with a header row, or JSON Lines")],
    as_user: AsUser = None,
) -> None:
    """Import a staff list, certificates or bans; every record stored or quarantined with its reason."""
    from mainport.identity.acting import acting_principal
    from mainport.ingest import service as ingest
    from mainport.ingest.readers import read_feed, records_from_objects

    if kind not in KINDS:
        _fail(f"kind: one of {', '.join(KINDS)} (value {kind!r})")
    if not path.is_file():
        _fail(f"{path}: no such file")
    factory = session_factory()
    actor = acting_principal(factory, as_user)
    try:
        if path.suffix.lower() == ".csv":
            with path.open(newline="", encoding="utf-8-sig") as fh:
                records = records_from_objects(list(csv.DictReader(fh)), prefix=f"{path.name}:row")
        else:
            records = read_feed(path)
        with session_scope(factory) as session:
            recon = ingest.ingest_feed(
                session=session, actor=actor, kind=KINDS[kind], records=records, source=str(path)
            )
    except (MainportError, UnicodeDecodeError, csv.Error) as exc:
        _fail(f"{path}: {getattr(exc, 'message', exc)}")
        return
    Console().print(
        f"{path}: received {recon.received} = stored {recon.stored} + duplicates {recon.duplicates} "
        f"+ quarantined {recon.quarantined}",
        highlight=False,
    )


@app.command("ban")
def ban(
    alias: str,
    reason: Annotated[str, typer.Option("--reason", help="why (court order, mayor's decision, ...)")],
    ends: Annotated[str | None, typer.Option("--ends", help="end of the ban, ISO 8601 with zone")] = None,
    as_user: AsUser = None,
) -> None:
    """Issue a port ban: the person's gate access and release nominations stop at once."""
    from mainport.identity.acting import acting_principal
    from mainport.screening import service

    factory = session_factory()
    actor = acting_principal(factory, as_user)
    ends_at = _moment("ends", ends) if ends else None
    try:
        with session_scope(factory) as session:
            b, _ = service.issue_ban(
                session=session, actor=actor, alias=alias, reason=reason, ends_at=ends_at
            )
            line = f"ban {b.id}: {alias} banned from {b.starts_at:%Y-%m-%d %H:%M}Z"
    except MainportError as exc:
        _fail(exc.message)
        return
    Console().print(line, highlight=False)


@app.command("people")
def people(
    employer: Annotated[str | None, typer.Option("--employer")] = None,
    status: Annotated[str | None, typer.Option("--status", help="ok | screening_lapsed | port_ban")] = None,
    as_user: AsUser = None,
) -> None:
    """The register (aliases only; the read is audited)."""
    from mainport.identity.acting import acting_principal
    from mainport.screening import views

    factory = session_factory()
    actor = acting_principal(factory, as_user)
    table = Table("alias", "employer", "role", "status", "gate id")
    try:
        with session_scope(factory) as session:
            items, total = views.list_people(session=session, actor=actor, employer=employer, status=status)
            for p in items:
                table.add_row(p.alias, p.employer_org, p.role_code or "", p.status, p.gate_id or "")
    except MainportError as exc:
        _fail(exc.message)
    table.title = f"{len(items)} of {total} people"
    Console(width=140).print(table)


@app.command("sweep")
def run_sweep(as_user: AsUser = None) -> None:
    """Re-judge everyone now: expiry alerts, lapsed screenings, banned people seen (the hourly job)."""
    from mainport import flows
    from mainport.database import utcnow
    from mainport.identity.acting import acting_principal

    factory = session_factory()
    actor = acting_principal(factory, as_user)
    try:
        with session_scope(factory) as session:
            found = flows.screening_sweep(session=session, actor=actor, now=utcnow())
    except MainportError as exc:
        _fail(exc.message)
        return
    Console().print(
        f"judged {found.judged}: lapsed {found.lapsed}, expiring {found.expiring}, "
        f"banned seen {found.banned_seen}"
    )


@app.command("rank")
def rank(
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 20,
    run: Annotated[bool, typer.Option("--run", help="run the ranking first (as the daily job does)")] = False,
    as_user: AsUser = None,
) -> None:
    """The insider ranking: highest scores first, with the signals that made them."""
    from mainport.identity.acting import acting_principal
    from mainport.insider import ranking

    factory = session_factory()
    actor = acting_principal(factory, as_user)
    table = Table("rank", "person", "org", "score", "flagged", "why")
    try:
        with session_scope(factory) as session:
            if run:
                ranking.run_ranking(session=session, actor=actor)
            for r in ranking.ranked_list(session=session, actor=actor, limit=limit):
                why = "; ".join(e["text"] for e in r.score.evidence[:3])
                table.add_row(
                    str(r.score.rank),
                    r.shown,
                    r.score.org_code,
                    f"{r.score.score:.1f}",
                    "yes" if r.score.flagged else "",
                    why,
                )
    except MainportError as exc:
        _fail(exc.message)
    Console(width=180).print(table)
