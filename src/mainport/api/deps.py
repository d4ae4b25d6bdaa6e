"""Typed dependencies: a request-scoped session that the request commits, and the current principal."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from mainport.errors import NotAuthenticated, PermissionDenied
from mainport.identity import service as identity
from mainport.identity.principal import Principal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


def get_session(request: Request) -> Iterator[Session]:
    """The request owns the transaction: commit when the handler succeeds, roll back otherwise."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response is sent, so a client that got 200 finds its data stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def _check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not secrets.compare_digest(str(expected), submitted):
        raise PermissionDenied("missing or invalid CSRF token")


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token a browser sent with a write: the header (fetch) or the form field (plain forms)."""
    if request.method in SAFE_METHODS:
        return None
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        submitted = value if isinstance(value, str) else None
    return submitted


def resolve_principal(
    request: Request, session: SessionDep, submitted: Annotated[str | None, Depends(submitted_csrf)]
) -> Principal:
    """Bearer token for API clients; the signed session cookie (plus CSRF on writes) for browsers.

    A plain `def`: FastAPI runs it in the thread pool, so database waits never block the event loop.
    """
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = identity.authenticate_token(session=session, plain=auth[7:].strip())
        return identity.principal_for(user)
    user_id = request.session.get("user_id")
    if user_id is None:
        raise NotAuthenticated("log in or send a bearer token")
    if request.method not in SAFE_METHODS:
        _check_csrf(request, submitted)
    user = identity.get_user(session=session, user_id=int(user_id))
    return identity.principal_for(user)


CurrentUser = Annotated[Principal, Depends(resolve_principal)]
