"""`mainport user ...` (accounts) and `mainport token ...` (API tokens): the operator's tools.

A mistake (a short password, an unknown user, the last admin) is one line on stderr and exit code 2 (the root
command group, `mainport.commands`, turns the service's error into that)."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from mainport.database import session_scope
from mainport.database.runtime import get_session_factory
from mainport.errors import ValidationFailed
from mainport.identity import service, totp
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import system_principal

app = typer.Typer(help="Users and API tokens.", no_args_is_help=True)
# `mainport token create|list|revoke`: the same service, under the name operators look for.
token_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)
console = Console()


@contextmanager
def _session() -> Iterator[Session]:
    """A committed unit of work. A user mistake (MainportError) reaches the root command group, which prints
    one line and exits with code 2 (the traceback only with --debug)."""
    with session_scope(get_session_factory()) as session:
        yield session


def _password(given: str | None, prompt: str = "password: ") -> str:
    if given is not None:
        return given
    first = getpass.getpass(prompt)
    if getpass.getpass("again: ") != first:
        raise ValidationFailed("the two passwords differ")
    return first


def _user_id(session: Session, username: str) -> int:
    return service.find_user(session=session, actor=system_principal(), username=username).id


@app.command("create")
def create(
    username: str,
    org: str = typer.Option(..., help="organisation code, e.g. DOUANE-RTM"),
    org_kind: OrgKind = typer.Option(OrgKind.customs, help="kind of organisation (if it is new)"),
    org_name: str = typer.Option("", help="organisation name (if it is new)"),
    role: Role = typer.Option(Role.analyst),
    node: str | None = typer.Option(None, help="hub code of the organisation (if it is new)"),
    facility: str | None = typer.Option(None, help="terminal facility code (if it is new)"),
    carrier: str | None = typer.Option(None, help="shipping line's carrier code, SCAC (if it is new)"),
    full_name: str = typer.Option("", help="the person's name"),
    password: str | None = typer.Option(None, help="omit to be prompted"),
) -> None:
    """Create a user in an organisation (the organisation is created if needed)."""
    password = _password(password)
    with _session() as session:
        organisation = service.get_or_create_organisation(
            session=session,
            code=org,
            name=org_name or org,
            kind=org_kind,
            node_code=node,
            facility_code=facility,
            carrier_code=carrier,
        )
        user = service.create_user(
            session=session,
            actor=system_principal(),
            username=username,
            password=password,
            role=role,
            organisation=organisation,
            full_name=full_name,
        )
        console.print(f"created user [bold]{user.username}[/bold] ({role.value}) in {organisation.code}")


@app.command("list")
def list_users() -> None:
    with _session() as session:
        table = Table("user", "role", "organisation", "kind", "active", "locked until", "last log-in")
        for u in service.list_users(session=session, actor=system_principal()):
            table.add_row(
                u.username,
                u.role.value,
                u.organisation.code,
                u.organisation.kind.value,
                str(u.active),
                str(u.locked_until or ""),
                str(u.last_login_at or ""),
            )
    console.print(table)


def _act(username: str, action: Callable[[Session, int], Any], done: str) -> None:
    with _session() as session:
        action(session, _user_id(session, username))
    console.print(done)


@app.command("passwd")
def passwd(username: str, password: str | None = typer.Option(None, help="omit to be prompted")) -> None:
    """Set a new password for USERNAME (a reset); the user's sessions end."""
    new = _password(password, "new password: ")
    _act(
        username,
        lambda s, uid: service.reset_password(session=s, actor=system_principal(), user_id=uid, new=new),
        f"password of {username} set; their sessions have ended",
    )


@app.command("deactivate")
def deactivate(username: str) -> None:
    """No more log-ins; sessions end and tokens stop working at once."""
    _act(
        username,
        lambda s, uid: service.set_active(session=s, actor=system_principal(), user_id=uid, active=False),
        f"{username} deactivated",
    )


@app.command("activate")
def activate(username: str) -> None:
    _act(
        username,
        lambda s, uid: service.set_active(session=s, actor=system_principal(), user_id=uid, active=True),
        f"{username} active again",
    )


@app.command("role")
def role(username: str, new_role: Role) -> None:
    """Change the role of USERNAME; their sessions end."""
    _act(
        username,
        lambda s, uid: service.set_role(session=s, actor=system_principal(), user_id=uid, role=new_role),
        f"{username} is now {new_role.value}",
    )


@app.command("lock")
def lock(username: str, hours: float = typer.Option(24.0, help="how long")) -> None:
    """Lock USERNAME for some hours (suspected compromise): sessions end, tokens refused meanwhile."""
    _act(
        username,
        lambda s, uid: service.lock_user(session=s, actor=system_principal(), user_id=uid, hours=hours),
        f"{username} locked for {hours:g} h",
    )


@app.command("unlock")
def unlock(username: str) -> None:
    _act(
        username,
        lambda s, uid: service.lock_user(session=s, actor=system_principal(), user_id=uid, hours=None),
        f"{username} unlocked",
    )


@app.command("logout")
def logout(username: str) -> None:
    """End every browser session of USERNAME now."""
    with _session() as session:
        n = service.end_sessions(session, _user_id(session, username), "ended_by_operator")
    console.print(f"{n} session(s) of {username} ended")


@app.command("reset-second-factor")
def reset_second_factor(username: str) -> None:
    """Remove the TOTP second factor of USERNAME (a lost phone); they can set it up again."""
    with _session() as session:
        user = service.find_user(session=session, actor=system_principal(), username=username)
        totp.disable(session=session, actor=system_principal(), user=user)
    console.print(f"second factor of {username} removed")


@token_app.command("create")
@app.command("token")
def token(
    username: str,
    name: str = typer.Option("cli", help="what the token is for"),
    days: int = typer.Option(90, help="validity in days (0 = no expiry)"),
) -> None:
    """Issue an API bearer token for USERNAME; it is shown once."""
    with _session() as session:
        user = service.find_user(session=session, actor=system_principal(), username=username)
        _tok, plain = service.create_token(
            session=session, actor=system_principal(), user=user, name=name, ttl_days=days or None
        )
    typer.echo(plain)


@token_app.command("list")
def list_tokens(username: str) -> None:
    """Tokens of USERNAME (prefix, name, expiry, last use); the secret itself is never stored."""
    with _session() as session:
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
    with _session() as session:
        service.revoke_token(session=session, actor=system_principal(), token_id=token_id)
    console.print(f"token {token_id} revoked")
