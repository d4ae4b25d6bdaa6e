"""Login (password, then the second factor where it is on), logout, static files, and the page routers of
every domain (`mainport.<domain>.pages`) plus the account, user-management and API-docs pages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from mainport.api.deps import SessionDep, _check_csrf, client_address
from mainport.domains import domain_modules
from mainport.errors import NotAuthenticated, TooManyRequests
from mainport.identity import sessions
from mainport.web.templating import local_url, render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only local paths: never redirect a freshly logged-in user to another site.
    return local_url(target) or "/"


def _max_age(request: Request) -> int:
    return int(request.app.state.settings.session_max_age_s)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    _check_csrf(request, csrf_token)
    try:
        result = sessions.login(
            session=session,
            username=username,
            password=password,
            address=client_address(request),
            user_agent=request.headers.get("user-agent", ""),
            max_age_s=_max_age(request),
        )
    except (NotAuthenticated, TooManyRequests) as exc:
        ctx = {"next": _safe_next(next), "error": exc.message}
        return render(request, "login.html", ctx, status_code=exc.status_code)
    request.session.clear()  # a new session id on login: no session fixation
    request.session["sid"] = result.session_id
    if result.second_factor_pending:
        request.session["next"] = _safe_next(next)
        return RedirectResponse("/login/second-factor", status_code=303)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.get("/login/second-factor")
def second_factor_form(request: Request, session: SessionDep) -> Response:
    sid = request.session.get("sid")
    try:
        sessions.resolve(session, sid if isinstance(sid, str) else "", allow_pending=True)
    except NotAuthenticated:
        return RedirectResponse("/login", status_code=303)
    return render(request, "second_factor.html", {"error": None})


@router.post("/login/second-factor")
def second_factor(
    request: Request,
    session: SessionDep,
    code: Annotated[str, Form(max_length=20)],
    csrf_token: Annotated[str, Form(max_length=200)],
) -> Response:
    _check_csrf(request, csrf_token)
    sid = request.session.get("sid")
    try:
        result = sessions.second_factor(
            session=session,
            pending_id=sid if isinstance(sid, str) else "",
            code=code,
            address=client_address(request),
            max_age_s=_max_age(request),
        )
    except (NotAuthenticated, TooManyRequests) as exc:
        return render(request, "second_factor.html", {"error": exc.message}, status_code=exc.status_code)
    target = _safe_next(request.session.get("next"))
    request.session.clear()
    request.session["sid"] = result.session_id
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(
    request: Request, session: SessionDep, csrf_token: Annotated[str, Form(max_length=200)]
) -> Response:
    _check_csrf(request, csrf_token)
    sid = request.session.get("sid")
    if isinstance(sid, str):
        sessions.logout(session=session, plain=sid)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def mount(app: FastAPI) -> None:
    from mainport.web import account, docs, users

    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    app.include_router(router)
    app.include_router(account.router)
    app.include_router(users.router)
    docs.mount(app)
    for _domain, module in domain_modules("pages"):
        app.include_router(module.router)
