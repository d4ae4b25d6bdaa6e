"""Template rendering with the principal, CSRF token and navigation in every page's context."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from mainport.api.deps import csrf_token
from mainport.identity.principal import Principal

TEMPLATE_DIRS = [Path(__file__).parent / "templates"]
templates = Jinja2Templates(directory=[str(d) for d in TEMPLATE_DIRS])

# (label, path, permission needed to see the link, group). Groups follow the work: an analyst's day, the
# terminal's control, the data behind it, intelligence, monitoring, administration.
NAV: list[tuple[str, str, str, str]] = [
    ("Overview", "/", "overview:read", "Today"),
    ("Declarations", "/declarations", "declarations:read", "Data"),
    ("Containers", "/containers", "containers:read", "Data"),
    ("Quarantine", "/quarantine", "quarantine:read", "Data"),
    ("Users", "/admin/users", "users:admin", "Admin"),
]
GROUPS = ("Today", "Control", "Data", "Intelligence", "Monitoring", "Admin")
# The group a role's work starts in comes first: officers at a terminal control containers, viewers outside
# government (a steering group) follow the figures.
_FIRST: dict[str, str] = {"terminal": "Control", "municipality": "Monitoring"}
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


# A page that needs more than its permission (e.g. a terminal's own facility) names the extra condition here,
# so that the menu never offers a page that would answer 403.
NAV_CHECKS: dict[str, Callable[[Principal], bool]] = {}


def add_nav(
    label: str,
    path: str,
    permission: str,
    group: str = "Today",
    *,
    when: Callable[[Principal], bool] | None = None,
) -> None:
    if group not in GROUPS:
        raise ValueError(f"unknown navigation group {group!r}")
    if (label, path, permission, group) not in NAV:
        NAV.append((label, path, permission, group))
    if when is not None:
        NAV_CHECKS[path] = when


def _offered(principal: Principal, path: str, permission: str) -> bool:
    check = NAV_CHECKS.get(path)
    return principal.can(permission) and (check is None or check(principal))


def navigation(principal: Principal | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The links this principal may open, grouped by the work; a link is offered only with its permission."""
    if principal is None:
        return []
    first = _FIRST.get(principal.org_kind.value)
    if first is None and not principal.is_government and principal.role.value == "viewer":
        first = "Monitoring"
    order = [first] if first else []
    order += [g for g in GROUPS if g != first]
    out = []
    for group in order:
        links = [
            (label, path) for label, path, perm, g in NAV if g == group and _offered(principal, path, perm)
        ]
        if links:
            out.append((group, links))
    return out


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
        "nav": navigation(principal),
        "path": request.url.path,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
