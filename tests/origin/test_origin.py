"""Reading origin scans before sailing: queue ranked by the single-scan check and the risk score, verdicts,
hold / inspect-at-origin requests and their answers feeding outcomes, cases and custody."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport import flows
from mainport.cases.models import Alert, Case
from mainport.config import Settings
from mainport.custody.models import CustodyPlan
from mainport.errors import Conflict, PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind, Role
from mainport.origin import holds, service
from mainport.origin.jobs import SCHEDULED
from mainport.origin.models import HoldRequest, OriginReview
from mainport.recurring import JobContext
from mainport.shipments.models import ContainerEvent, Declaration, Inspection, Scan, Seizure
from mainport.targeting.models import RiskScore
from tests.shipments.factories import party

NOW = datetime.now(UTC).replace(microsecond=0)
BOXES = ("MSCU1234565", "CSQU3054383")


def _decl(session: Session, number: str, n: int) -> Declaration:
    decl = Declaration(
        reference=f"26NLORIG{n:010d}",
        filed_at=NOW - timedelta(days=3),
        bill_of_lading=f"BL{number}",
        consignor=party(session, f"EC{n:012d}", "Exportadora SA", "EC"),
        consignee=party(session, f"NL{n:012d}", "Import BV", "NL"),
        carrier="MSCU",
        vessel_imo="9321483",
        voyage_number="2103N",
        place_of_loading="ECGYE",
        place_of_discharge="NLRTM",
        countries_of_routing=["EC", "NL"],
        hs_code="080390",
        goods_description="Fresh bananas",
        packages=1080,
        gross_mass_kg=23500.0,
        container_number=number,
        seal_numbers=[],
        hub="rotterdam",
        source="test",
    )
    session.add(decl)
    session.flush()
    return decl


def _scan(session: Session, number: str, at: datetime) -> Scan:
    scan = Scan(
        container_number=number,
        scanner_id="EC-GYE-1",
        unlocode="ECGYE",
        phase="origin",
        scanned_at=at,
        image_uri=f"scans/{number}.npy",
        meta={},
    )
    session.add(scan)
    session.flush()
    return scan


def _event(
    session: Session, number: str, code: str, at: datetime, unlocode: str, facility: str | None
) -> None:
    session.add(
        ContainerEvent(
            event_id=str(uuid.uuid4()),
            event_type="EQUIPMENT",
            event_classifier="EST" if at > NOW else "ACT",
            type_code=code,
            event_datetime=at,
            event_created_datetime=min(at, NOW),
            equipment_reference=number,
            unlocode=unlocode,
            facility_code=facility,
            seals=[],
            hub="rotterdam" if unlocode.startswith("NL") else None,
            source="test",
            payload={},
        )
    )
    session.flush()


def _fake_check(scores: dict[str, float]) -> Any:
    def check(scan: Scan, decl: Declaration | None) -> tuple[float, list[str]] | None:
        return scores[scan.container_number], ["dense block behind the doors"]

    return check


@pytest.fixture
def people(principal_factory: Any) -> dict[str, Any]:
    return {
        "analyst": principal_factory(role=Role.analyst),
        "viewer": principal_factory(role=Role.viewer),
        "terminal": principal_factory(role=Role.officer, kind=OrgKind.terminal, facility_code="ECTDE"),
        "line": principal_factory(role=Role.officer, kind=OrgKind.shipping_line, carrier_code="MSCU"),
    }


@pytest.fixture
def queued(session: Session, people: dict[str, Any]) -> list[OriginReview]:
    decls = [_decl(session, b, i) for i, b in enumerate(BOXES)]
    for b in BOXES:
        _scan(session, b, NOW - timedelta(hours=6))
        _event(session, b, "LOAD", NOW + timedelta(hours=10), "ECGYE", "CGSA")
        _event(session, b, "DISC", NOW + timedelta(days=14), "NLRTM", "ECTDE")
    # Targeting scored the second box high; the image of the first looks off.
    session.add(
        RiskScore(declaration_id=decls[1].id, hub="rotterdam", day=date.today(), score=0.9, rule_score=0.9)
    )
    session.flush()
    return service.enqueue(
        session=session, actor=people["analyst"], check=_fake_check({BOXES[0]: 0.5, BOXES[1]: 0.2})
    )


def test_queue_ranks_by_single_scan_and_risk(session: Session, people: dict[str, Any], queued: Any) -> None:
    assert len(queued) == 2
    rows = service.queue(session=session, actor=people["analyst"])
    assert [r.container_number for r in rows] == [BOXES[1], BOXES[0]]
    top = rows[0]
    assert top.priority == pytest.approx(1 - 0.8 * 0.1)
    assert top.target_score == 0.9 and top.single_score == 0.2 and top.load_by == NOW + timedelta(hours=10)
    assert rows[1].target_score is None and rows[1].priority == pytest.approx(0.5)
    # Safe to re-run; the wrong users are refused.
    assert service.enqueue(session=session, actor=people["analyst"], check=_fake_check({})) == []
    for who in ("viewer", "terminal", "line"):
        with pytest.raises(PermissionDenied):
            service.queue(session=session, actor=people[who])


def test_suspicious_verdict_plans_custody_on_arrival(
    session: Session, people: dict[str, Any], queued: Any
) -> None:
    review = queued[0]
    service.record_verdict(
        session=session, actor=people["analyst"], review_id=review.id, verdict="suspicious"
    )
    alert = session.get(Alert, review.alert_id)
    assert alert is not None and alert.kind == "origin.suspicious_scan" and alert.source == "origin"
    run = flows.plan_physical_checks(session=session, actor=people["analyst"])
    plan = session.get(CustodyPlan, run.opened[0])
    assert plan is not None and plan.container_number == review.container_number
    assert plan.facility_code == "ECTDE"
    with pytest.raises(Conflict):
        service.record_verdict(session=session, actor=people["analyst"], review_id=review.id, verdict="clear")
    with pytest.raises(ValidationFailed, match="verdict must be one of"):
        service.record_verdict(
            session=session, actor=people["analyst"], review_id=queued[1].id, verdict="maybe"
        )


def test_hold_found_at_origin_feeds_outcome_and_case(
    session: Session, people: dict[str, Any], queued: Any
) -> None:
    review = queued[1]
    hold = holds.request_hold(
        session=session,
        actor=people["analyst"],
        review_id=review.id,
        kind="do_not_load",
        reason="check the doors",
    )
    assert (hold.control_unit, hold.load_by, hold.status) == ("CU-ECGYE", review.load_by, "open")
    assert review.verdict == "hold" and review.status == "reviewed"
    with pytest.raises(Conflict, match="open hold request"):
        holds.request_hold(session=session, actor=people["analyst"], review_id=review.id, reason="again")
    with pytest.raises(ValidationFailed, match="kg"):
        flows.answer_hold(session=session, actor=people["analyst"], hold_id=hold.id, answer="found")
    with pytest.raises(PermissionDenied):
        flows.answer_hold(session=session, actor=people["viewer"], hold_id=hold.id, answer="cleared")
    flows.answer_hold(session=session, actor=people["analyst"], hold_id=hold.id, answer="found", kg=212.5)
    insp = session.get(Inspection, hold.inspection_id)
    assert insp is not None and insp.result == "found" and insp.declaration_id == review.declaration_id
    assert "at origin ECGYE by CU-ECGYE" in insp.notes
    seizure = session.scalars(select(Seizure).where(Seizure.inspection_id == insp.id)).one()
    assert seizure.kg == 212.5
    alert = session.get(Alert, hold.alert_id)
    assert alert is not None and alert.kind == "origin.found_at_origin" and alert.severity == 4
    case = session.get(Case, alert.case_id)
    assert case is not None and "Found at origin" in case.title
    # A retried answer changes nothing; a different one is refused.
    flows.answer_hold(session=session, actor=people["analyst"], hold_id=hold.id, answer="found", kg=212.5)
    assert len(session.scalars(select(Inspection)).all()) == 1
    with pytest.raises(Conflict):
        flows.answer_hold(session=session, actor=people["analyst"], hold_id=hold.id, answer="cleared")


def test_inspected_and_cleared_answers(session: Session, people: dict[str, Any], queued: Any) -> None:
    first = holds.request_hold(session=session, actor=people["analyst"], review_id=queued[0].id, reason="x")
    flows.answer_hold(
        session=session, actor=people["analyst"], hold_id=first.id, answer="inspected", note="ok"
    )
    insp = session.get(Inspection, first.inspection_id)
    assert insp is not None and insp.result == "not_found"
    second = holds.request_hold(
        session=session, actor=people["analyst"], declaration_id=queued[1].declaration_id, reason="y"
    )
    flows.answer_hold(session=session, actor=people["analyst"], hold_id=second.id, answer="cleared")
    assert second.inspection_id is None and second.status == "answered"
    with pytest.raises(ValidationFailed):
        holds.request_hold(session=session, actor=people["analyst"], reason="no subject")
    with pytest.raises(ValidationFailed, match="kind"):
        holds.request_hold(
            session=session, actor=people["analyst"], review_id=queued[0].id, kind="x", reason="y"
        )


def test_no_answer_by_loading_asks_for_arrival_check(
    session: Session, people: dict[str, Any], queued: Any
) -> None:
    hold = holds.request_hold(
        session=session, actor=people["analyst"], review_id=queued[0].id, reason="doors"
    )
    assert holds.expire_unanswered(session=session, actor=people["analyst"], now=NOW) == []
    [alert] = holds.expire_unanswered(session=session, actor=people["analyst"], now=NOW + timedelta(hours=11))
    assert (hold.status, hold.answer, alert.kind) == ("no_answer", "no_answer", "origin.hold_unanswered")
    run = flows.plan_physical_checks(session=session, actor=people["analyst"])
    assert len(run.opened) == 1
    with pytest.raises(Conflict):
        flows.answer_hold(session=session, actor=people["analyst"], hold_id=hold.id, answer="cleared")


def test_jobs(session: Session, people: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    _decl(session, BOXES[0], 7)
    _scan(session, BOXES[0], NOW - timedelta(hours=1))
    jobs = {j.name: j for j in SCHEDULED}
    monkeypatch.setattr(service, "imaging_check", lambda scan, decl, settings=None: (0.3, ["checked"]))
    ctx = JobContext(session=session, actor=people["analyst"], now=NOW, since=None)
    assert jobs["origin-queue"].run(ctx) == {"queued": 1}
    assert jobs["origin-queue"].run(ctx) == {"queued": 0}
    assert jobs["origin-hold-deadlines"].run(ctx) == {"no_answer": 0}


def test_real_single_scan_check(
    session: Session, people: dict[str, Any], test_settings: Settings, tmp_path: Path
) -> None:
    """The default check runs imaging's single-scan check on the stored origin image."""
    from mainport.imaging import service as imaging
    from mainport.imaging.render import render_pair
    from tests.imaging.helpers import declare, write

    pair = render_pair(104)
    decl = declare(session, pair.origin.meta.container_id, "690721")  # ceramic tiles
    imaging.ingest_scan_file(
        session=session,
        actor=people["analyst"],
        path=write(pair.origin, tmp_path, "o"),
        settings=test_settings,
    )
    scan = session.scalars(select(Scan)).one()
    decl.filed_at = scan.scanned_at - timedelta(days=1)  # this trip's declaration
    [review] = service.enqueue(session=session, actor=people["analyst"], settings=test_settings)
    assert review.single_score is not None and 0.0 <= review.single_score <= 1.0
    assert review.single_reasons[0] == "declared tiles"
    assert review.priority == pytest.approx(review.single_score)


def test_api_and_pages(
    session: Session, app_client: TestClient, people: dict[str, Any], queued: Any, token_for: Any
) -> None:
    session.commit()
    analyst = token_for(people["analyst"])
    for path in ("/api/v1/origin/queue", "/api/v1/origin/holds", f"/api/v1/origin/reviews/{queued[0].id}"):
        assert app_client.get(path).status_code == 401
        assert app_client.get(path, headers=token_for(people["terminal"])).status_code == 403
    rows = app_client.get("/api/v1/origin/queue", headers=analyst).json()
    assert [r["container_number"] for r in rows] == [BOXES[1], BOXES[0]]
    bad = app_client.post(
        f"/api/v1/origin/reviews/{queued[0].id}/verdict", json={"verdict": "x"}, headers=analyst
    )
    assert bad.status_code == 422 and "verdict must be one of" in bad.text
    r = app_client.post(
        "/api/v1/origin/holds", json={"review_id": queued[1].id, "reason": "doors"}, headers=analyst
    )
    assert r.status_code == 201, r.text
    hold_id = r.json()["id"]
    wrong = app_client.post(
        f"/api/v1/origin/holds/{hold_id}/answer", json={"answer": "found"}, headers=analyst
    )
    assert wrong.status_code == 422
    page = app_client.get("/origin", headers=analyst)
    assert page.status_code == 200 and f'data-testid="review-{queued[0].id}"' in page.text
    assert app_client.get("/origin", headers=token_for(people["terminal"])).status_code == 403
    # Page forms (bearer requests need no CSRF token).
    r = app_client.post(
        f"/origin/reviews/{queued[0].id}/verdict",
        data={"verdict": "clear"},
        headers=analyst,
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = app_client.post(
        f"/origin/holds/{hold_id}/answer", data={"answer": "found", "kg": "abc"}, headers=analyst
    )
    assert r.status_code == 422 and "is not a number" in r.text
    r = app_client.post(
        f"/origin/holds/{hold_id}/answer",
        data={"answer": "inspected"},
        headers=analyst,
        follow_redirects=False,
    )
    assert r.status_code == 303
    holds_page = app_client.get("/origin/holds", headers=analyst)
    assert holds_page.status_code == 200 and "inspected" in holds_page.text
    assert session.scalar(select(HoldRequest.status).where(HoldRequest.id == hold_id)) == "answered"
