"""What every request passes before the app reads it, and what every response carries.

* `RequestGuard` (pure ASGI, so nothing has read the body yet): a size limit per route applied to the
  declared Content-Length before a byte is read and to the bytes as they arrive; large or unsized bodies
  (uploads) only from an authenticated caller that holds the route's permission; whole numbers beyond 64
  bits in a path or query parameter refused with 422 instead of reaching the database.
* Security headers (a strict Content-Security-Policy: our own scripts and styles only, no inline code) and
  one structured log line per request.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import anyio
from fastapi import FastAPI, Request
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mainport.errors import MainportError, NotAuthenticated, PayloadTooLarge, ValidationFailed
from mainport.logs import get_logger

log = get_logger("mainport.http")

MiB = 1024 * 1024
# Largest body per route (path prefix, most specific first); everything else gets DEFAULT_BODY_LIMIT.
BODY_LIMITS: list[tuple[str, int]] = [
    ("/api/v1/scans", 513 * MiB),  # one scan file (imaging caps it at 512 MiB) and its sidecar
    ("/api/v1/events", 64 * MiB),  # batches of up to 10,000 records
    ("/api/v1/declarations", 64 * MiB),
    ("/api/v1/custody/telemetry", 64 * MiB),
    ("/ingest/upload", 65 * MiB),  # a file uploaded from the page (ingest.uploads caps it at 64 MiB)
]
DEFAULT_BODY_LIMIT = 2 * MiB
# Bodies above this size (or of unknown size) are accepted only after the caller is authenticated.
PREAUTH_BYTES = 64 * 1024
# Uploads that need a permission beyond being logged in: checked before the body is read.
UPLOAD_PERMISSIONS: dict[tuple[str, str], str] = {("POST", "/api/v1/scans"): "imaging:write"}
INT64_MAX = 2**63 - 1
_LONG_DIGITS = re.compile(r"\d{19,}")

# Pages ship their own JS and CSS; nothing is loaded from elsewhere, nothing inline runs, no framing.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def body_limit(path: str) -> int:
    for prefix, limit in BODY_LIMITS:
        if path == prefix or path.startswith(prefix + "/"):
            return limit
    return DEFAULT_BODY_LIMIT


# -- the route table -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    route: Any  # the (effective) route: .matches(scope), .endpoint, .dependant for API routes


def iter_routes(app: FastAPI) -> Iterator[RouteInfo]:
    """Every route with its full path, including those of included routers (the attack suite walks these)."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI >= 0.16x: routers are included lazily

        contexts: Any = iter_route_contexts(app.routes)
    except ImportError:  # pragma: no cover - older FastAPI: routes are flat
        contexts = app.routes
    for route in contexts:
        path = getattr(route, "path", None)
        if path:
            yield RouteInfo(path, frozenset(getattr(route, "methods", None) or ()), route)


def _dependant(route: Any) -> Any:
    original = getattr(route, "original_route", route)
    return getattr(original, "dependant", None)


def _int_params(dependant: Any) -> tuple[set[str], set[str]]:
    """Names of the path and query parameters declared as whole numbers (also in sub-dependencies)."""
    path: set[str] = set()
    query: set[str] = set()
    stack = [dependant]
    while stack:
        d = stack.pop()
        if d is None:
            continue
        for fields, into in ((d.path_params, path), (d.query_params, query)):
            for f in fields:
                annotation = f.field_info.annotation
                if annotation is int or int in getattr(annotation, "__args__", ()):
                    into.add(f.alias or f.name)
        stack.extend(d.dependencies)
    return path, query


def _compile(path: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)(?::\w+)?\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(f"^{pattern}$")


class _IntRoutes:
    def __init__(self, app: FastAPI) -> None:
        self.rows: list[tuple[re.Pattern[str], frozenset[str], set[str], set[str]]] = []
        for info in iter_routes(app):
            path_ints, query_ints = _int_params(_dependant(info.route))
            if path_ints or query_ints:
                self.rows.append((_compile(info.path), info.methods, path_ints, query_ints))

    def too_big(self, method: str, path: str, query: str) -> str | None:
        """The name of an integer parameter of the matching route whose value lies beyond 64 bits."""
        args = parse_qsl(query, keep_blank_values=True)
        for pattern, methods, path_ints, query_ints in self.rows:
            m = pattern.match(path)
            if m is None or (methods and method not in methods):
                continue
            for name in path_ints:
                if _beyond_int64(m.groupdict().get(name)):
                    return name
            for name, value in args:
                if name in query_ints and _beyond_int64(value):
                    return name
        return None


def _beyond_int64(value: str | None) -> bool:
    if value is None:
        return False
    v = value.strip()
    digits = v[1:] if v[:1] in "+-" else v
    return digits.isdigit() and abs(int(v)) > INT64_MAX


# -- the guard -----------------------------------------------------------------------------------------------


async def _send_error(scope: Scope, send: Send, exc: MainportError) -> None:
    from mainport.api.errors import error_response

    response = error_response(Request(scope), exc.status_code, exc.code, exc.message, exc.details)
    response.headers["Connection"] = "close"  # the rest of the body is never read
    await response(scope, _drain_nothing, send)


async def _drain_nothing() -> Message:  # pragma: no cover - responses here never read the request
    return {"type": "http.disconnect"}


def _small_json(scope: Scope) -> bool:
    if scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return False
    headers = Headers(scope=scope)
    size = headers.get("content-length")
    kind = headers.get("content-type", "")
    return (
        size is not None
        and size.isdigit()
        and 0 < int(size) <= PREAUTH_BYTES
        and (kind.startswith("application/json") or kind.endswith("+json"))
    )


async def _read_all(receive: Receive, limit: int) -> tuple[bytes | None, list[Message]]:
    messages, size, chunks = [], 0, []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None, messages
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    queue = list(messages)

    async def replayed() -> Message:
        return queue.pop(0) if queue else await receive()

    return replayed


class _HugeInt(Exception):
    pass


def _checked_int(text: str) -> int:
    value = int(text)
    if abs(value) > INT64_MAX:
        raise _HugeInt(text)
    return value


def _huge_int_in_json(body: bytes) -> str | None:
    """The field holding a whole number beyond 64 bits, if the JSON body has one (invalid JSON: None, the
    handler says what is wrong with it)."""
    if not _LONG_DIGITS.search(body.decode("latin-1")):
        return None
    try:
        json.loads(body, parse_int=_checked_int)
    except _HugeInt:
        match = re.search(rb'"([^"\\]{1,64})"\s*:\s*-?\d{19,}', body)
        return match.group(1).decode("utf-8", "replace") if match else "body"
    except ValueError:
        return None
    return None


class RequestGuard:
    """Refuse what must never be read: too big, anonymous uploads, out-of-range numbers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._ints: _IntRoutes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self._check(scope)
        except MainportError as exc:
            await _send_error(scope, send, exc)
            return
        limit = body_limit(scope["path"])
        received = 0
        if _small_json(scope):
            # Small JSON bodies (most writes) are read here once: a whole number beyond 64 bits anywhere in
            # them is refused before any handler or database sees it; the body is then handed on as it was.
            body, messages = await _read_all(receive, limit)
            if body is None:
                await _send_error(scope, send, PayloadTooLarge(f"request body larger than {limit:,} bytes"))
                return
            name = _huge_int_in_json(body)
            if name is not None:
                err = ValidationFailed(
                    f"{name}: a whole number of at most {INT64_MAX} is expected",
                    details=[{"loc": ["body", name], "msg": "number out of range", "type": "int_range"}],
                )
                await _send_error(scope, send, err)
                return
            receive = _replay(messages, receive)

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"request body larger than {limit // MiB} MiB")
            return message

        await self.app(scope, limited, send)

    async def _check(self, scope: Scope) -> None:
        path, method = scope["path"], scope["method"]
        query = scope.get("query_string", b"").decode("latin-1")
        if _LONG_DIGITS.search(path) or _LONG_DIGITS.search(query):
            if self._ints is None:
                self._ints = _IntRoutes(scope["app"])
            name = self._ints.too_big(method, path, query)
            if name is not None:
                raise ValidationFailed(
                    f"{name}: a whole number of at most {INT64_MAX} is expected",
                    details=[{"loc": [name], "msg": "number out of range", "type": "int_range"}],
                )
        if method in ("GET", "HEAD", "OPTIONS"):
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        limit = body_limit(path)
        size: int | None = None
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                raise ValidationFailed("Content-Length is not a number") from None
            if size > limit:
                raise PayloadTooLarge(
                    f"request body of {size:,} bytes is larger than the {limit:,} bytes this route takes"
                )
        permission = UPLOAD_PERMISSIONS.get((method, path))
        if permission is None and size is not None and size <= PREAUTH_BYTES:
            return
        cookie = scope.get("session") or {}
        if not headers.get("authorization") and not cookie.get("sid"):
            raise NotAuthenticated("log in or send a bearer token before uploading")
        from mainport.api.deps import preauthenticate

        client = scope.get("client")
        address = client[0] if client else ""
        factory = scope["app"].state.session_factory
        principal = await anyio.to_thread.run_sync(preauthenticate, factory, headers, cookie, address)
        if permission is not None:
            principal.require(permission)


def install_middleware(app: FastAPI) -> None:
    """The guard innermost (inside the session middleware, which only reads the cookie), the headers and
    the request log outermost."""
    app.add_middleware(RequestGuard)


class SecurityHeaders:
    """Security headers on every response and one structured log line per request (pure ASGI: no extra task
    or body copy per request, which the gate's hot path would feel)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = Headers(scope=scope).get("x-request-id", "")
        request_id = re.sub(r"[^A-Za-z0-9._-]", "", given)[:64] or uuid.uuid4().hex[:16]
        cacheable = scope["path"].startswith(("/static/", "/api/v1/docs/"))
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _v in headers}
                for name, value in self._headers:
                    if name not in present and not (cacheable and name == b"cache-control"):
                        headers.append((name, value))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            log.debug(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
                request_id=request_id,
            )


def install_headers(app: FastAPI) -> None:
    app.add_middleware(SecurityHeaders)
