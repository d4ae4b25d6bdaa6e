"""Who a CLI command acts as: the platform itself (the system principal) or, with ``--as-user NAME``, that
user with exactly that user's rights. Every domain's commands call this (part of the kernel the handlers may
use), so none of them looks users up itself."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from mainport.errors import NotFound
from mainport.identity.principal import Principal, system_principal

AsUser = Annotated[str | None, typer.Option("--as-user", help="Act as this user instead of the system.")]


def acting_principal(factory: sessionmaker[Session], username: str | None) -> Principal:
    """The system principal, or the named user's (a one-line usage error when there is no such user)."""
    if username is None:
        return system_principal()
    from mainport.identity import service as identity

    with factory() as session:
        try:
            user = identity.get_user_by_name(session=session, username=username)
        except NotFound:
            raise typer.BadParameter(f"no user {username!r} (see `mainport user list`)") from None
        if not user.active:
            raise typer.BadParameter(f"user {username!r} is deactivated")
        return identity.principal_for(user)
