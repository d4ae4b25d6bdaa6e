"""The API docs (Swagger UI) served by the app itself from the `swagger-ui-py` package's copy of the assets:
no CDN, no inline script, so the pages' strict Content-Security-Policy holds here too."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response

from mainport.errors import NotFound
from mainport.web.templating import render

DOCS = "/api/v1/docs"
STATIC = Path(__file__).parent / "static" / "docs"
ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}


@cache
def swagger_assets() -> Path | None:
    """The folder with Swagger UI's bundle and stylesheet, or None when the package is missing."""
    try:
        import swagger_ui
    except ImportError:
        return None
    folder = Path(swagger_ui.__file__).parent / "static"
    return folder if all((folder / name).is_file() for name in ASSETS) else None


def mount(app: FastAPI) -> None:
    @app.get(DOCS, include_in_schema=False)
    def docs_page(request: Request) -> Response:
        return render(
            request,
            "docs.html",
            {"openapi_url": app.openapi_url, "available": swagger_assets() is not None},
        )

    @app.get(DOCS + "/assets/{name}", include_in_schema=False)
    def docs_asset(name: str) -> Response:
        folder = swagger_assets()
        if name == "init.js":
            return FileResponse(STATIC / "init.js", media_type="text/javascript")
        if folder is None or name not in ASSETS:
            raise NotFound(f"no docs asset {name!r}")
        return FileResponse(
            folder / name, media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=86400"}
        )
