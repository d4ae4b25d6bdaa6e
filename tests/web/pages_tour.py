"""The main pages of each role on data (the first start's world at a small size), to visit in Chromium:
accessibility (axe-core) and render time are measured on the same tour."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")


@dataclass
class Tour:
    """Paths per seeded user (tests/conftest.SEED_USERS), filled from what the loaded world holds."""

    by_user: dict[str, list[str]] = field(default_factory=dict)


def plan_tour(factory: sessionmaker[Session]) -> Tour:
    from mainport.cases.models import Case
    from mainport.custody.models import CustodyPlan, ReleaseRight
    from mainport.shipments.models import ContainerEvent, Declaration, Scan
    from mainport.targeting.models import Selection

    with factory() as s:
        sel = s.scalar(select(Selection).order_by(Selection.id.desc()).limit(1))
        case_id = s.scalar(select(func.max(Case.id)))
        scanned = s.scalar(select(Scan.container_number).order_by(Scan.id.desc()).limit(1))
        box = scanned or s.scalar(select(ContainerEvent.equipment_reference).limit(1))
        plan = s.scalar(select(CustodyPlan).order_by(CustodyPlan.id.desc()).limit(1))
        right_box = s.scalar(select(ReleaseRight.container_number).limit(1))
        goods = s.scalar(select(Declaration.goods_description).limit(1)) or "fruit"
    day: date | None = sel.day if sel else None
    hub = sel.hub if sel else "rotterdam"
    analyst = [
        "/",
        f"/targeting/{hub}" + (f"?day={day}" if day else ""),
        "/alerts",
        "/cases",
        "/scans",
        "/declarations",
        f"/declarations?q={goods.split()[0]}",
        "/containers",
        "/targeting/selections",
        "/targeting/intel",
        "/targeting/rules",
        "/quarantine",
        "/ingest/upload",
        "/monitoring",
        "/custody/board",
    ]
    if case_id:
        analyst.append(f"/cases/{case_id}")
    if box:
        analyst += [f"/containers/{box}", f"/scans/{box}"]
    if plan is not None:
        analyst.append(f"/custody/plans/{plan.id}")
    if right_box:
        analyst.append(f"/release?container={right_box}")
    officer = ["/", "/custody/board", "/release", "/containers", "/monitoring"]
    if plan is not None and plan.facility_code == "ECTDE":
        officer.append(f"/custody/plans/{plan.id}")
    return Tour(
        {
            "customs_analyst": analyst,
            "terminal_officer": officer,
            "police_viewer": ["/", "/containers", "/monitoring", "/release", "/account"],
            "customs_admin": ["/admin/users", "/operations", "/account"],
        }
    )


def load_time_ms(page: Any) -> float:
    """Navigation start to the end of the load event, as the browser measured it."""
    script = (
        "() => { const n = performance.getEntriesByType('navigation')[0];"  # the document just loaded
        " return n.loadEventEnd - n.startTime }"
    )
    return float(page.evaluate(script))


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page as it is now (evaluated through the DevTools
    protocol: the page's own strict CSP stays on)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return [v for v in result if v["impact"] in BLOCKING]


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=20, method="inclusive")[18]
