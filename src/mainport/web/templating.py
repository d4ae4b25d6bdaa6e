"""Template rendering with the principal, CSRF token and navigation in every page's context."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from mainport.api.deps import csrf_token
from mainport.identity.principal import Principal

TEMPLATE_DIRS = [Path(__file__).parent / "templates"]
templates = Jinja2Templates(directory=[str(d) for d in TEMPLATE_DIRS])

# (label, path, permission needed to see the link)
NAV: list[tuple[str, str, str]] = [
    ("Overview", "/", "overview:read"),
    ("Declarations", "/declarations", "declarations:read"),
    ("Containers", "/containers", "containers:read"),
    ("Quarantine", "/quarantine", "quarantine:read"),
    ("Users", "/admin/users", "users:admin"),
]
# A local path: one slash, then no slash or backslash (browsers read "/\\host" as "//host"), no scheme,
# no control characters or spaces.
_LOCAL = re.compile(r"^/(?![/\\])[^\\\s\x00-\x1f\x7f]*$")


def local_url(target: object) -> str | None:
    """The target if it is a path on this site, else None: links and redirects never lead off-site."""
    if not isinstance(target, str) or len(target) > 2000 or not _LOCAL.match(target):
        return None
    return target


templates.env.filters["local_url"] = local_url


def add_template_dir(path: Path) -> None:
    """Let a domain ship its own templates (e.g. monitoring/templates)."""
    if path not in TEMPLATE_DIRS:
        TEMPLATE_DIRS.append(path)
        templates.env.loader.searchpath.append(str(path))  # type: ignore[union-attr]


def add_nav(label: str, path: str, permission: str) -> None:
    if (label, path, permission) not in NAV:
        NAV.append((label, path, permission))


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    principal: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "principal": principal,
        "csrf_token": csrf_token(request),
        "nav": [(label, path) for label, path, perm in NAV if principal is not None and principal.can(perm)],
        "path": request.url.path,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
