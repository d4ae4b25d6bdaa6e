"""`mainport serve`: migrate, bootstrap a first admin and sample data if the database is empty, serve."""

from __future__ import annotations

import secrets

import typer
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mainport.config import get_settings
from mainport.database import migrations, session_scope
from mainport.database.runtime import get_session_factory
from mainport.identity import service as identity
from mainport.identity.models import OrgKind, Role, User
from mainport.identity.principal import system_principal
from mainport.logs import get_logger

console = Console()
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


def _load_sample_world(factory: object) -> None:
    from mainport.shipments.models import ContainerEvent

    with session_scope(factory) as session:  # type: ignore[arg-type]
        if session.scalar(select(func.count()).select_from(ContainerEvent)):
            return
    try:
        from mainport.world.bootstrap import load_sample_world
    except ModuleNotFoundError:
        console.print("[yellow]no world generator installed: starting without sample data[/yellow]")
        return
    console.print("Empty database: generating and loading a small sample world (a few days, small scale)...")
    summary = load_sample_world(session_factory=factory, data_dir=get_settings().data_dir / "sample-world")
    console.print(f"sample world loaded: {summary}")


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
    uvicorn.run(create_app(), host=host, port=port, log_level=get_settings().log_level.lower())
