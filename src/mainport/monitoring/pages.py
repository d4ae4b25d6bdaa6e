"""The monitoring dashboard page; its charts are drawn in the browser from /api/v1/monitoring/overview."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from mainport.api.deps import CurrentUser, SessionDep
from mainport.custody import guarded
from mainport.database import utcnow
from mainport.monitoring import figures
from mainport.reference.nodes import NODES
from mainport.sharing import figures as sharing_figures
from mainport.web.templating import add_nav, add_template_dir, render

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")
add_nav("Monitoring", "/monitoring", "monitoring:read", "Monitoring")
STATIC = Path(__file__).parent / "static"


@router.get("/monitoring")
def dashboard(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    principal.require("monitoring:read")
    ctx = {
        "hubs": list(NODES),
        "metrics": [(m, figures.LABELS[m]) for m in figures.METRICS if m != "decision_hours"],
        "freqs": list(figures.FREQS),
        "may_see_detail": principal.can("monitoring:detail"),
        # Selected boxes outside their guarded area after discharge, last 30 days (custody.guarded).
        "unguarded": guarded.by_hub(
            session=session, actor=principal, start=utcnow() - timedelta(days=30), end=utcnow()
        ),
        # Data shared per partner pair and category, the last three months stored (sharing-figures job).
        "sharing": [
            f
            for f in sharing_figures.figures(session=session, actor=principal)
            if f.month >= (utcnow() - timedelta(days=62)).strftime("%Y-%m")
        ],
    }
    return render(request, "monitoring/dashboard.html", ctx, principal=principal)


@router.get("/monitoring/static/dashboard.js")
def dashboard_js(principal: CurrentUser) -> Response:
    principal.require("monitoring:read")
    return FileResponse(STATIC / "dashboard.js", media_type="text/javascript")
