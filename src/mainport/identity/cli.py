"""`mainport user create|list` and `mainport user token`: accounts and API tokens for partners."""

from __future__ import annotations

import getpass

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from mainport.database import session_scope
from mainport.database.runtime import get_session_factory
from mainport.identity import service
from mainport.identity.models import OrgKind, Role, User
from mainport.identity.principal import system_principal

app = typer.Typer(help="Users and API tokens.", no_args_is_help=True)
# `mainport token create|list|revoke`: the same service, under the name operators look for.
token_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)
console = Console()


@app.command("create")
def create(
    username: str,
    org: str = typer.Option(..., help="organisation code, e.g. DOUANE-RTM"),
    org_kind: OrgKind = typer.Option(OrgKind.customs, help="kind of organisation (if it is new)"),
    org_name: str = typer.Option("", help="organisation name (if it is new)"),
    role: Role = typer.Option(Role.analyst),
    node: str | None = typer.Option(None, help="hub code of the organisation (if it is new)"),
    facility: str | None = typer.Option(None, help="terminal facility code (if it is new)"),
    password: str | None = typer.Option(None, help="omit to be prompted", hidden=False),
) -> None:
    """Create a user in an organisation (the organisation is created if needed)."""
    if password is None:
        password = getpass.getpass("password: ")
    with session_scope(get_session_factory()) as session:
        organisation = service.get_or_create_organisation(
            session=session,
            code=org,
            name=org_name or org,
            kind=org_kind,
            node_code=node,
            facility_code=facility,
        )
        user = service.create_user(
            session=session,
            actor=system_principal(),
            username=username,
            password=password,
            role=role,
            organisation=organisation,
        )
        console.print(f"created user [bold]{user.username}[/bold] ({role.value}) in {organisation.code}")


@token_app.command("create")
@app.command("token")
def token(
    username: str,
    name: str = typer.Option("cli", help="what the token is for"),
    days: int = typer.Option(90, help="validity in days (0 = no expiry)"),
) -> None:
    """Issue an API bearer token for USERNAME; it is shown once."""
    with session_scope(get_session_factory()) as session:
        user = service.get_user_by_name(session=session, username=username)
        _tok, plain = service.create_token(
            session=session, actor=system_principal(), user=user, name=name, ttl_days=days or None
        )
    typer.echo(plain)


@app.command("list")
def list_users() -> None:
    with session_scope(get_session_factory()) as session:
        table = Table("user", "role", "organisation", "kind", "active")
        for u in session.scalars(select(User).order_by(User.username)):
            table.add_row(
                u.username, u.role.value, u.organisation.code, u.organisation.kind.value, str(u.active)
            )
    console.print(table)


@token_app.command("list")
def list_tokens(username: str) -> None:
    """Tokens of USERNAME (prefix, name, expiry, last use); the secret itself is never stored."""
    with session_scope(get_session_factory()) as session:
        table = Table("id", "prefix", "name", "expires", "revoked", "last used")
        for t in service.list_tokens(session=session, actor=system_principal(), username=username):
            table.add_row(
                str(t.id),
                t.prefix,
                t.name,
                str(t.expires_at or "never"),
                str(t.revoked_at or ""),
                str(t.last_used_at or ""),
            )
    console.print(table)


@token_app.command("revoke")
def revoke_token(token_id: int) -> None:
    with session_scope(get_session_factory()) as session:
        service.revoke_token(session=session, actor=system_principal(), token_id=token_id)
    console.print(f"token {token_id} revoked")
