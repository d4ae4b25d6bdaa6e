"""Login, logout, static files, and the page routers of every domain (`mainport.<domain>.pages`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from mainport.api.deps import SessionDep, _check_csrf
from mainport.domains import domain_modules
from mainport.errors import NotAuthenticated
from mainport.identity import service as identity
from mainport.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only local paths: never redirect a freshly logged-in user to another site.
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    _check_csrf(request, csrf_token)
    try:
        user = identity.login(session=session, username=username, password=password)
    except NotAuthenticated as exc:
        return render(
            request, "login.html", {"next": _safe_next(next), "error": exc.message}, status_code=401
        )
    request.session.clear()  # a new session id on login: no session fixation
    request.session["user_id"] = user.id
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()]) -> Response:
    _check_csrf(request, csrf_token)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def mount(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    app.include_router(router)
    for _domain, module in domain_modules("pages"):
        app.include_router(module.router)
