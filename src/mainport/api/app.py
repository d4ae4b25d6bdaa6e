"""The FastAPI application factory: every domain's router under /api/v1, the web UI at /."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.sessions import SessionMiddleware

from mainport import __version__
from mainport.api.errors import install_error_handlers
from mainport.api.middleware import install_headers, install_middleware
from mainport.config import Settings, get_settings
from mainport.database import build_engine, make_session_factory
from mainport.domains import domain_modules
from mainport.logs import configure_logging


def create_app(
    settings: Settings | None = None, session_factory: sessionmaker[Session] | None = None
) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    app = FastAPI(
        title="mainport",
        version=__version__,
        description="Targeting, scan comparison, custody, data sharing and monitoring against drug smuggling "
        "via mainports. Every route needs a bearer token or a browser session.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served by mainport.web.docs from the package's own copy of Swagger UI
        redoc_url=None,
    )
    if session_factory is None:
        session_factory = make_session_factory(build_engine(settings.database_url))
    app.state.session_factory = session_factory
    app.state.settings = settings
    # Innermost first: the request guard sees the decoded session cookie and nothing has read the body.
    install_middleware(app)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="mainport_session",
        max_age=settings.session_max_age_s,
        same_site="strict",
        https_only=settings.secure_cookies,
    )
    install_headers(app)
    install_error_handlers(app)
    for _domain, module in domain_modules("api"):
        app.include_router(module.router, prefix="/api/v1")
    from mainport.web import routes as web_routes

    web_routes.mount(app)
    return app
