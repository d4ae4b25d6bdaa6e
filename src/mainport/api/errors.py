"""One error shape for every API failure: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from mainport.errors import MainportError, NotAuthenticated


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(MainportError)
    async def _domain(request: Request, exc: MainportError) -> Response:
        if isinstance(exc, NotAuthenticated) and _wants_html(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        details = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()
        ]
        return JSONResponse(error_body("validation_failed", "request is not valid", details), status_code=422)

    # The database refused a value the request carried (out of range, too long, a NUL character): the
    # client's input, not a server fault. Services should refuse such values first, with a clearer message;
    # this is the net under them, so that no input ever answers 500.
    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        reason = str(exc.orig).splitlines()[0] if exc.orig else "value not accepted"
        return JSONResponse(
            error_body("validation_failed", f"a value in the request cannot be stored: {reason}"),
            status_code=422,
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        # A reference to a record that does not exist, or a second record where one is allowed.
        reason = str(exc.orig).splitlines()[0] if exc.orig else "refused by a database constraint"
        return JSONResponse(
            error_body("conflict", f"the request conflicts with stored data: {reason}"), status_code=409
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return JSONResponse(
            error_body(f"http_{exc.status_code}", str(exc.detail)), status_code=exc.status_code
        )
