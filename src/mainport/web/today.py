"""The work of the day on the overview page, per role: an analyst's selections per hub, alerts to triage,
open cases and scans awaiting review; a terminal's guarded area; everyone's figures. Counts come from the
domains' own services (with their rights and audit); only what the user may open is listed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from mainport.cases import search as cases
from mainport.custody import service as custody
from mainport.database.sorting import Sort
from mainport.identity.principal import Principal
from mainport.imaging import lists as scans
from mainport.reference.nodes import NODES
from mainport.targeting import lists as selections


@dataclass(frozen=True)
class WorkItem:
    label: str
    count: int | None  # None: a link without a figure
    href: str


def work_items(*, session: Session, actor: Principal) -> list[WorkItem]:
    items: list[WorkItem] = []
    today = datetime.now(UTC).date()
    if actor.can("intel:read"):
        newest = Sort("day", True)
        done, _ = selections.search_selections(session=session, actor=actor, since=today, sort=newest)
        made = {r.hub for r in done}
        for hub in NODES:
            selected = next((r.selected for r in done if r.hub == hub), None)
            label = f"Selection {hub.replace('_', ' ')} today" + ("" if hub in made else ": not run yet")
            items.append(WorkItem(label, selected, f"/targeting/{hub}?day={today}"))
        _, new = cases.search_alerts(
            session=session,
            actor=actor,
            f=cases.AlertFilter(status="new"),
            sort=Sort("severity", True),
            limit=1,
        )
        items.append(WorkItem("Alerts to triage", new, "/alerts?status=new"))
        _, open_cases = cases.search_cases(
            session=session,
            actor=actor,
            f=cases.CaseFilter(status="open"),
            sort=Sort("opened_at", True),
            limit=1,
        )
        items.append(WorkItem("Open cases", open_cases, "/cases"))
    if actor.can("imaging:read"):
        _, waiting = scans.search_scans(
            session=session, actor=actor, awaiting_review=True, sort=Sort("scanned_at", True), limit=1
        )
        items.append(WorkItem("Scans awaiting review", waiting, "/scans?awaiting=true"))
    if actor.facility_code and actor.can("custody:read"):
        board = custody.board(session=session, actor=actor, facility_code=actor.facility_code)
        items.append(WorkItem("Under control in the guarded area", len(board), "/custody/board"))
        items.append(WorkItem("Release checks", None, "/release"))
    if actor.can("insider:read"):
        items.append(WorkItem("Insider look-ups", None, "/insider"))
    if actor.can("monitoring:read"):
        items.append(WorkItem("Monitoring: seizures, hit rates, displacement", None, "/monitoring"))
    return items
