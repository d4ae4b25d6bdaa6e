"""One error shape for every API failure: {"error": {"code", "message", "details"}}; browsers asking for a
page get the same message as an HTML page instead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from mainport.errors import MainportError, NotAuthenticated
from mainport.logs import get_logger

log = get_logger("mainport.http")

TITLES = {
    400: "Bad request",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Not valid",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Try again in a moment",
}
HTTP_CODES = {413: "payload_too_large", 404: "not_found", 405: "method_not_allowed"}
RETRY_AFTER_S = 2  # what a client is told to wait after a database fault
UNAVAILABLE = (PoolTimeout, DisconnectionError, OperationalError, InterfaceError, psycopg.OperationalError)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    if _wants_html(request):
        from mainport.web.templating import templates

        html = templates.get_template("error.html").render(
            status=status,
            title=TITLES.get(status, "Error"),
            message=message,
            principal=None,
            nav=[],
            path=request.url.path,
            csrf_token="",
        )
        return HTMLResponse(html, status_code=status, headers=headers)
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(MainportError)
    async def _domain(request: Request, exc: MainportError) -> Response:
        if isinstance(exc, NotAuthenticated) and _wants_html(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
        return error_response(request, exc.status_code, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        details = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()
        ]
        first = details[0] if details else {"loc": [], "msg": ""}
        where = ".".join(str(p) for p in first["loc"] if p not in ("body", "query", "path"))
        message = f"request is not valid: {where}: {first['msg']}" if where else "request is not valid"
        return error_response(request, 422, "validation_failed", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return error_response(request, exc.status_code, code, str(exc.detail), None, exc.headers)

    # A number too large for the database (a whole number beyond 64 bits in a body, a value out of a
    # column's range) is bad input: 422, never 500.
    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> Response:
        return error_response(request, 422, "validation_failed", "a number in the request is out of range")

    # The database refused a value the request carried (out of range, too long, a NUL character): the
    # client's input, not a server fault. Services should refuse such values first, with a clearer message;
    # this is the net under them, so that no input ever answers 500.
    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        reason = str(exc.orig).splitlines()[0] if exc.orig else "value not accepted"
        return error_response(
            request, 422, "validation_failed", f"a value in the request cannot be stored: {reason}"
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        from mainport.database.core import missing_reference

        # A reference to a record that does not exist: the request's mistake (services check the ids
        # they are given first, 404; this is the net under them). Else a second record where one is allowed.
        missing = missing_reference(exc)
        if missing is not None:
            return error_response(
                request,
                422,
                "validation_failed",
                f"the request refers to a record that does not exist: {missing}",
            )
        reason = str(exc.orig).splitlines()[0] if exc.orig else "refused by a database constraint"
        return error_response(request, 409, "conflict", f"the request conflicts with stored data: {reason}")

    # The database went away, is busy (a deadlock, a lock timeout, SQLite busy), is not usable (disk full)
    # or handed out a connection that died: not the request's fault, and the next attempt may well succeed
    # (the pool reconnects; the server needs no restart). 503 in the error shape with Retry-After. Errors
    # the driver raises itself (a COPY) are read the same way.
    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)
    @app.exception_handler(DisconnectionError)
    @app.exception_handler(psycopg.Error)
    async def _database(request: Request, exc: Exception) -> Response:
        from mainport.database.core import is_transient

        orig = getattr(exc, "orig", None) or exc
        unavailable = is_transient(exc) or isinstance(exc, UNAVAILABLE)
        log.warning(
            "database fault" if unavailable else "database error",
            path=request.url.path,
            error=f"{type(orig).__name__}: {str(orig)[:300]}",
        )
        if not unavailable:
            return error_response(
                request, 500, "internal_error", "the server failed on this request; it has been logged"
            )
        return error_response(
            request,
            503,
            "database_unavailable",
            f"the database is not answering or is busy; retry in {RETRY_AFTER_S} s",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error(
            "unhandled error", path=request.url.path, error=f"{type(exc).__name__}: {exc}", exc_info=exc
        )
        return error_response(
            request, 500, "internal_error", "the server failed on this request; it has been logged"
        )
