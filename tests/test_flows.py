"""One flow records an outcome: whichever path it comes by (case API, case page, targeting API, targeting
page, the inspections feed), the inspection is written once by shipments, the selection item that asked for
it is closed (what learning reads), the box's custody plan is concluded and its waiting case decided."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mainport import flows
from mainport.cases import service as cases
from mainport.cases.models import Case
from mainport.custody.models import CustodyPlan
from mainport.errors import ValidationFailed
from mainport.identity.models import Role
from mainport.identity.principal import Principal
from mainport.ingest import service as ingest
from mainport.ingest.records import RawRecord
from mainport.shipments.models import Declaration, Inspection, Seizure
from mainport.targeting import service as targeting
from mainport.targeting.models import SelectionItem
from mainport.targeting.selection import Capacity
from tests.targeting.seed import seed_flow

TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass
class Selected:
    analyst: Principal
    item: SelectionItem
    decl: Declaration
    case: Case
    plan: CustodyPlan


def _selected(session: Session, principal_factory: Callable[..., Principal]) -> Selected:
    """A declaration selected by targeting, its alert taken into a case, its box under custody."""
    analyst = principal_factory(role=Role.analyst)
    seed_flow(session, n=40, day=TODAY, seed=8)
    sel = targeting.run_selection(
        session=session, actor=analyst, hub="rotterdam", day=TODAY.date(), capacity=Capacity(scan=4), seed=1
    )
    item = sel.items[0]
    decl = session.get(Declaration, item.declaration_id)
    assert decl is not None and decl.container_number
    alert_id = item.alert_id
    assert alert_id is not None
    case = cases.open_case(session=session, actor=analyst, alert_ids=[alert_id], title="selected box")
    _alert, plan = flows.select_for_control(
        session=session,
        actor=analyst,
        container_number=decl.container_number,
        facility_code="ECTDE",
        source="targeting",
        reason="selected",
        hub="rotterdam",
        declaration_id=decl.id,
    )
    return Selected(analyst, item, decl, case, plan)


def _consequences(session: Session, s: Selected, *, found: bool, seizure: bool | None = None) -> Inspection:
    session.expire_all()
    inspections = session.scalars(select(Inspection).where(Inspection.declaration_id == s.decl.id)).all()
    assert len(inspections) == 1  # written once, whatever the path
    insp = inspections[0]
    item = session.get(SelectionItem, s.item.id)
    assert item is not None and item.inspection_id == insp.id  # learning sees it
    case = session.get(Case, s.case.id)
    assert case is not None and case.status == "decided" and case.inspection_id == insp.id
    assert case.outcome == ("found" if found else "not_found")
    plan = session.get(CustodyPlan, s.plan.id)
    assert plan is not None and plan.state == ("seized" if found else "released")
    seizures = session.scalar(
        select(func.count()).select_from(Seizure).where(Seizure.inspection_id == insp.id)
    )
    assert seizures == (1 if (found if seizure is None else seizure) else 0)
    return insp


def test_outcome_through_the_case_api(
    session: Session, principal_factory: Any, app_client: TestClient, token_for: Any
) -> None:
    s = _selected(session, principal_factory)
    session.commit()
    r = app_client.post(
        f"/api/v1/cases/{s.case.id}/outcome",
        headers=token_for(s.analyst),
        json={"result": "found", "kg_seized": 80.0, "modus_operandi": "rip_on"},
    )
    assert r.status_code == 200, r.text
    insp = _consequences(session, s, found=True)
    assert insp.kind == "physical" and insp.kg_found == 80.0


def test_outcome_through_the_targeting_api(
    session: Session, principal_factory: Any, app_client: TestClient, token_for: Any
) -> None:
    s = _selected(session, principal_factory)
    session.commit()
    r = app_client.post(
        f"/api/v1/targeting/declarations/{s.decl.id}/outcome",
        headers=token_for(s.analyst),
        json={"result": "not_found"},
    )
    assert r.status_code == 201, r.text
    insp = _consequences(session, s, found=False)
    assert insp.kind == s.item.kind  # the check the selection asked for


def test_outcome_through_the_targeting_page(
    session: Session, principal_factory: Any, app_client: TestClient, token_for: Any
) -> None:
    s = _selected(session, principal_factory)
    session.commit()
    r = app_client.post(
        f"/targeting/declarations/{s.decl.id}/outcome",
        headers=token_for(s.analyst),
        data={"result": "found", "kg_found": "12.5"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    _consequences(session, s, found=True)


def test_outcome_through_the_case_page(
    session: Session, principal_factory: Any, app_client: TestClient, token_for: Any
) -> None:
    s = _selected(session, principal_factory)
    session.commit()
    r = app_client.post(
        f"/cases/{s.case.id}/outcome",
        headers=token_for(s.analyst),
        data={"result": "not_found", "kg_seized": "0"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    _consequences(session, s, found=False)


def test_outcome_through_the_inspections_feed(session: Session, principal_factory: Any) -> None:
    s = _selected(session, principal_factory)
    at = TODAY + timedelta(hours=15)
    rows = [
        {
            "reference": s.decl.reference,
            "hub": "rotterdam",
            "kind": "physical",
            "inspected_at": at.isoformat(),
            "result": "found",
            "kg_found": 40.0,
        },
        {  # customs' own inspection of another box, the day before any selection: nothing to link
            "reference": None,
            "container_number": "MSKU0000006",
            "hub": "rotterdam",
            "kind": "scan",
            "inspected_at": (TODAY - timedelta(days=1)).isoformat(),
            "result": "not_found",
            "kg_found": 0,
        },
    ]
    records = [RawRecord(f"f:{i}", orjson.dumps(r).decode(), r) for i, r in enumerate(rows)]
    recon = ingest.ingest_feed(
        session=session, actor=s.analyst, kind="inspections", records=records, source="f"
    )
    assert recon.stored == 2 and recon.quarantined == 0
    # The feed reports inspections only: its seizure comes from the seizures feed (none here).
    _consequences(session, s, found=True, seizure=False)


def test_a_feed_inspection_before_the_selection_day_does_not_close_the_item(
    session: Session, principal_factory: Any
) -> None:
    s = _selected(session, principal_factory)
    row = {
        "reference": s.decl.reference,
        "hub": "rotterdam",
        "kind": "scan",
        "inspected_at": (TODAY - timedelta(days=2)).isoformat(),
        "result": "not_found",
        "kg_found": 0,
    }
    records = [RawRecord("f:0", orjson.dumps(row).decode(), row)]
    ingest.ingest_feed(session=session, actor=s.analyst, kind="inspections", records=records, source="f")
    session.expire_all()
    item = session.get(SelectionItem, s.item.id)
    assert item is not None and item.inspection_id is None


def test_nothing_is_written_when_the_outcome_is_refused(session: Session, principal_factory: Any) -> None:
    s = _selected(session, principal_factory)
    for kwargs in (
        {"result": "found", "kg": 0.0},
        {"result": "not_found", "kg": 3.0},
        {"result": "maybe"},
        {"result": "found", "kg": 1.0, "modus_operandi": "x" * 40},
        {"result": "found", "kg": float("nan")},
    ):
        with pytest.raises(ValidationFailed):
            flows.record_outcome(session=session, actor=s.analyst, declaration_id=s.decl.id, **kwargs)
    with pytest.raises(ValidationFailed):
        flows.record_outcome(session=session, actor=s.analyst, result="not_found")
    assert session.scalar(select(func.count()).select_from(Inspection)) == 0
    assert session.get(CustodyPlan, s.plan.id).state == s.plan.state  # type: ignore[union-attr]


def test_an_officer_without_intelligence_rights_is_refused(session: Session, principal_factory: Any) -> None:
    from mainport.errors import PermissionDenied
    from mainport.identity.models import OrgKind

    s = _selected(session, principal_factory)
    terminal = principal_factory(kind=OrgKind.terminal, role=Role.officer)
    with pytest.raises(PermissionDenied):
        flows.record_outcome(session=session, actor=terminal, declaration_id=s.decl.id, result="not_found")
    with pytest.raises(PermissionDenied):
        flows.inspections_recorded(session=session, actor=terminal, inspection_ids=[1])


# -- the screening register and insider's look-ups meet in flows (neither domain reads the other's tables) --


def _looked_up(session: Session, account: str, at: datetime) -> None:
    from mainport.insider.models import StaffLookup

    session.add(
        StaffLookup(
            key=f"k-{account}-{at.timestamp()}",
            at=at,
            username=account,
            org_code="TERM-ECT",
            hub="rotterdam",
            facility_code="ECTDE",
            container_number="MSKU0000006",
            kind="position",
            source="test",
        )
    )
    session.flush()


def test_a_person_timeline_shows_the_accounts_look_ups(session: Session, principal_factory: Any) -> None:
    from tests.screening.helpers import actors, planner

    who = actors(principal_factory)
    p = planner(session, who["pso"])
    assert p.account
    _looked_up(session, p.account, datetime.now(UTC) - timedelta(hours=1))
    timeline = flows.person_timeline(session=session, actor=who["pso"], alias=p.alias)
    looks = [e for e in timeline.events if e["what"].startswith("looked up")]
    assert len(looks) == 1 and looks[0]["container"] == "MSKU0000006" and looks[0]["where"] == "ECTDE"
    assert [e["at"] for e in timeline.events] == sorted((e["at"] for e in timeline.events), reverse=True)


def test_the_sweep_alerts_a_banned_person_still_looking_up_boxes(
    session: Session, principal_factory: Any
) -> None:
    from mainport.cases.models import Alert
    from mainport.identity.principal import system_principal
    from mainport.screening import service as screening
    from tests.screening.helpers import actors, planner

    who = actors(principal_factory)
    p = planner(session, who["pso"])
    screening.issue_ban(session=session, actor=who["police"], alias=p.alias, reason="court order 2026/18")
    assert p.account
    _looked_up(session, p.account, datetime.now(UTC) + timedelta(minutes=1))
    found = flows.screening_sweep(
        session=session, actor=system_principal(), now=datetime.now(UTC) + timedelta(minutes=2)
    )
    assert found.banned_seen == 1
    assert session.scalar(
        select(func.count()).select_from(Alert).where(Alert.kind == "screening.banned_seen")
    )
