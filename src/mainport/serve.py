"""`mainport serve`: migrate, bootstrap a first admin and sample data if the database is empty, serve."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
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
    from mainport.operations.scheduler import JobScheduler

console = Console()
SAMPLE_DAYS = 3
SAMPLE_SCALE = 0.01
log = get_logger(__name__)


def bootstrap(*, sample_data: bool = True) -> str | None:
    """Migrate; create the first admin (returns its password once) and load sample data if empty."""
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
        _load_sample_world(factory)
    return password


def _seed_reference(session: Session) -> None:
    from mainport.monitoring.service import ensure_public_series
    from mainport.reference.service import seed_reference

    seed_reference(session=session)
    ensure_public_series(session=session)


def _load_sample_world(factory: sessionmaker[Session]) -> None:
    """On an empty database: generate a small world and load it through the normal ingest path."""
    from mainport.shipments.models import ContainerEvent
    from mainport.world.config import WorldConfig
    from mainport.world.generate import generate_world, load_world

    with session_scope(factory) as session:
        if session.scalar(select(func.count()).select_from(ContainerEvent)):
            return
    out = get_settings().data_dir / "sample-world"
    console.print(f"Empty database: generating a small sample world into {out} and loading it ...")
    # A boost makes a three-day world at 1% scale contain some smuggling to look at.
    # Recent dates, ending well before today so that no "actual" event lies in the future.
    start = date.today() - timedelta(days=SAMPLE_DAYS + 30)
    config = WorldConfig(days=SAMPLE_DAYS, scale=SAMPLE_SCALE, smuggling_boost=20, start=start)
    generate_world(config, out, progress=True)
    results = load_world(out, factory, system_principal())
    for kind, rec in results.items():
        if kind != "not_ingested":
            f = rec.summary()
            console.print(
                f"  {kind}: received {f['received']:,}, stored {f['stored']:,}, "
                f"duplicates {f['duplicates']:,}, quarantined {f['quarantined']:,}"
            )


def serve(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    bootstrap_db: bool = typer.Option(False, "--bootstrap", help="migrate and load sample data if empty"),
    sample_data: bool = typer.Option(
        True, help="with --bootstrap: load a sample world into an empty database"
    ),
) -> None:
    """Serve the web app and API."""
    import uvicorn

    from mainport.api.app import create_app

    if bootstrap_db:
        password = bootstrap(sample_data=sample_data)
        if password:
            console.print(
                f"\n[bold green]First admin created[/bold green]: user [bold]admin[/bold] password "
                f"[bold]{password}[/bold]\n(shown once; change it or create personal accounts with "
                "`mainport user create`)\n"
            )
    console.print(f"mainport on http://{host}:{port}  (API docs at /api/v1/docs)")
    scheduler = _start_scheduler()
    try:
        uvicorn.run(create_app(), host=host, port=port, log_level=get_settings().log_level.lower())
    finally:
        if scheduler is not None:
            scheduler.shutdown()


def _start_scheduler() -> JobScheduler | None:
    """The embedded scheduler (MAINPORT_SCHEDULER=embedded): the recurring jobs run inside the server."""
    if get_settings().scheduler != "embedded":
        console.print("recurring jobs: not run here (MAINPORT_SCHEDULER=off; run `mainport worker`)")
        return None
    from mainport.operations.registry import discover
    from mainport.operations.scheduler import JobScheduler

    scheduler = JobScheduler(get_session_factory(), discover())
    scheduler.start()
    console.print(
        f"recurring jobs: {len(scheduler.jobs)} scheduled here"
        f"{'' if scheduler.is_leader else ' (another scheduler leads; standing by)'}; see /operations"
    )
    return scheduler
