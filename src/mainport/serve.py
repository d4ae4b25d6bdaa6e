"""`mainport serve`: migrate, bootstrap a first admin and a sample world if the database is empty, serve.

On an empty database `--bootstrap` (`make run`) generates a world that ends today, loads it through ingest
and uses the product on it as its users would (`mainport.demo`), so that every page opens on data.
"""

from __future__ import annotations

import errno
import os
import secrets
import socket
import sys
import time
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mainport.config import get_settings
from mainport.database import migrations, session_scope
from mainport.database.runtime import get_session_factory
from mainport.identity import service as identity
from mainport.identity.models import OrgKind, Role, User
from mainport.identity.principal import system_principal
from mainport.logs import get_logger

if TYPE_CHECKING:
    from mainport.demo import DemoPlan, FirstStart
    from mainport.operations.scheduler import JobScheduler

console = Console()
SAMPLE_DIR = "sample-world"
log = get_logger(__name__)


def bootstrap(*, sample_data: bool = True, plan: DemoPlan | None = None) -> str | None:
    """Migrate; create the first admin (returns its password once) and, on an empty database, generate and
    load the sample world and use the product on it (`plan`: its size, default `DemoPlan()`)."""
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrations.upgrade()
    factory = get_session_factory()
    password: str | None = None
    with session_scope(factory) as session:
        _seed_reference(session)
        if not session.scalar(select(func.count()).select_from(User)):
            org = identity.get_or_create_organisation(
                session=session, code="DOUANE", name="Douane Nederland", kind=OrgKind.customs
            )
            password = secrets.token_urlsafe(12)
            identity.create_user(
                session=session,
                actor=system_principal(),
                username="admin",
                password=password,
                role=Role.admin,
                organisation=org,
                full_name="First administrator",
            )
    if sample_data:
        _first_start(factory, plan)
    return password


def _seed_reference(session: Session) -> None:
    from mainport.monitoring.service import ensure_public_series
    from mainport.reference.service import seed_reference
    from mainport.sharing.service import seed_defaults

    seed_reference(session=session)
    ensure_public_series(session=session)
    seed_defaults(session=session)  # the default agreements reproduce the permission matrix


def _first_start(factory: sessionmaker[Session], plan: DemoPlan | None) -> FirstStart | None:
    """On an empty database: the sample world, loaded through ingest, then the product at work on it."""
    from mainport.demo import run_first_start
    from mainport.shipments.models import ContainerEvent

    with session_scope(factory) as session:
        if session.scalar(select(func.count()).select_from(ContainerEvent)):
            return None
    out = get_settings().data_dir / SAMPLE_DIR
    console.print(f"Empty database: generating a world that ends today into {out} ...")
    done = run_first_start(factory, out, plan=plan, log=lambda msg: console.print(f"  {msg}", soft_wrap=True))
    tl = done.timeline
    console.print(f"Loaded through ingest ({tl.start} .. {tl.today}, and the boxes still on their way):")
    for kind, rec in done.ingest.items():
        f = rec.summary()
        console.print(
            f"  {kind:<13} received {f['received']:>7,} = stored {f['stored']:>7,} + duplicates "
            f"{f['duplicates']:>5,} + quarantined {f['quarantined']:>4,}"
            f"{'' if f['balanced'] else '  NOT BALANCED'}",
            soft_wrap=True,
        )
    steps = ", ".join(f"{name} {secs:.1f}" for name, secs in done.seconds.items())
    cpu = sum(done.cpu_seconds.values())
    console.print(
        f"First start ready in {done.total_seconds:.0f} s ({steps}; {cpu:.0f} s CPU, "
        f"machine load {os.getloadavg()[0]:.1f})",
        soft_wrap=True,
    )
    return done


def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="port to listen on (make run PORT=...)"),
    bootstrap_db: bool = typer.Option(False, "--bootstrap", help="migrate and load sample data if empty"),
    sample_data: bool = typer.Option(
        True, help="with --bootstrap: load a sample world into an empty database"
    ),
) -> None:
    """Serve the web app and API."""
    import uvicorn

    from mainport.api.app import create_app

    # Before minutes of bootstrap work: a port someone else holds is a mistake to fix first.
    busy = port_taken(host, port)
    if busy:
        print(f"mainport serve: {busy}", file=sys.stderr)
        raise typer.Exit(2)
    if bootstrap_db:
        started = time.perf_counter()
        password = bootstrap(sample_data=sample_data)
        if password:
            console.print(
                f"\n[bold green]First admin created[/bold green]: user [bold]admin[/bold] password "
                f"[bold]{password}[/bold]\n(shown once; change it on the Account page or with "
                "`mainport user passwd admin`, and create personal accounts with `mainport user create`)\n"
            )
        log.info("bootstrap_done", seconds=round(time.perf_counter() - started, 1))
    console.print(f"mainport on http://{host}:{port}  (API docs at /api/v1/docs)")
    scheduler = _start_scheduler()
    try:
        uvicorn.run(create_app(), host=host, port=port, log_level=get_settings().log_level.lower())
    finally:
        if scheduler is not None:
            scheduler.shutdown()


def port_taken(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on (one line naming the fix), or None when it is free."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"cannot listen on {host!r}: {exc.strerror} (give an address such as 127.0.0.1 with --host)"
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As uvicorn binds: SO_REUSEADDR lets a port in TIME_WAIT be reused, never one that is listened on.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use (another mainport or program); stop it or "
                    f"choose another port: make run PORT={port + 1} (mainport serve --port {port + 1})"
                )
            if exc.errno == errno.EACCES:
                return f"port {port} on {host} needs privileges; choose a port above 1023 (--port 8000)"
            return f"cannot listen on {host}:{port}: {exc.strerror}"
    return None


def _start_scheduler() -> JobScheduler | None:
    """The embedded scheduler (MAINPORT_SCHEDULER=embedded): the recurring jobs run inside the server."""
    if get_settings().scheduler != "embedded":
        console.print("recurring jobs: not run here (MAINPORT_SCHEDULER=off; run `mainport worker`)")
        return None
    from mainport.operations.scheduler import JobScheduler
    from mainport.recurring import discover

    scheduler = JobScheduler(get_session_factory(), discover())
    scheduler.start()
    console.print(
        f"recurring jobs: {len(scheduler.jobs)} scheduled here"
        f"{'' if scheduler.is_leader else ' (another scheduler leads; standing by)'}; see /operations"
    )
    return scheduler
