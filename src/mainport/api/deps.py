"""Typed dependencies: a request-scoped session that the request commits, and the current principal."""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from mainport.errors import NotAuthenticated, PermissionDenied, TooManyRequests
from mainport.identity import service as identity
from mainport.identity import sessions
from mainport.identity.models import User
from mainport.identity.principal import Principal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
# Wrong bearer tokens from one client address in a minute before it must wait (token guessing).
TOKEN_FAILURES_PER_MINUTE = 30


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


def client_address(request: Request) -> str:
    """The client's address (behind a proxy: run uvicorn with --proxy-headers and --forwarded-allow-ips)."""
    return request.client.host if request.client else ""


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
    if request.method in SAFE_METHODS or request.headers.get("authorization", "").lower().startswith(
        "bearer "
    ):
        return None  # bearer tokens are not sent by browsers on their own: no CSRF
    submitted = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if submitted is None and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        if content_type.startswith("application/x-www-form-urlencoded"):
            # Keep the (small) body, so that a handler that reads it again still can; a form route has
            # parsed it already (then the form is kept instead).
            with contextlib.suppress(RuntimeError):
                await request.body()
        form = await request.form()
        value = form.get("csrf_token")
        submitted = value if isinstance(value, str) else None
    return submitted


class _FailureWindow:
    """Failed bearer authentications per client address over the last minute (this process)."""

    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self.limit, self.window_s = limit, window_s
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        q = self._seen.setdefault(address, deque())
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def check(self, address: str) -> None:
        with self._lock:
            if len(self._recent(address, time.monotonic())) > self.limit:
                raise TooManyRequests("too many invalid tokens from your address; wait a minute")

    def fail(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 100_000:
                self._seen.clear()
            self._recent(address, now).append(now)

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


token_failures = _FailureWindow(TOKEN_FAILURES_PER_MINUTE)


def authenticate(
    session: Session, headers: Mapping[str, str], cookie: Mapping[str, Any], address: str
) -> tuple[User, int | None]:
    """The user behind a request: a bearer token, else the server-side session named in the signed cookie.
    Returns the user and the session row's id (None for a token)."""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        try:
            return identity.authenticate_token(session=session, plain=auth[7:].strip()), None
        except NotAuthenticated:
            # A valid token always works; an address that keeps sending wrong ones is told to wait.
            token_failures.fail(address)
            token_failures.check(address)
            raise
    sid = cookie.get("sid")
    if not isinstance(sid, str):
        raise NotAuthenticated("log in or send a bearer token")
    row = sessions.resolve(session, sid)
    return row.user, row.id


def preauthenticate(
    factory: sessionmaker[Session], headers: Mapping[str, str], cookie: Mapping[str, Any], address: str
) -> Principal:
    """`authenticate` in a session of its own, for the middleware that refuses uploads before reading them."""
    with factory() as session:
        user, _row = authenticate(session, headers, cookie, address)
        principal = identity.principal_for(user)
        session.commit()
    return principal


def resolve_principal(
    request: Request, session: SessionDep, submitted: Annotated[str | None, Depends(submitted_csrf)]
) -> Principal:
    """Bearer token for API clients; the server-side session (plus CSRF on writes) for browsers.

    A plain `def`: FastAPI runs it in the thread pool, so database waits never block the event loop.
    """
    user, row_id = authenticate(session, request.headers, request.session, client_address(request))
    if row_id is not None and request.method not in SAFE_METHODS:
        _check_csrf(request, submitted)
    request.state.user_session_id = row_id
    return identity.principal_for(user)


CurrentUser = Annotated[Principal, Depends(resolve_principal)]
