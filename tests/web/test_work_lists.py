"""Scans, selections and quarantine as lists (filters, sort, search, CSV) on both databases; the selection
is run from the hub page; the wrong users are refused."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from mainport.database.sorting import parse_sort
from mainport.errors import PermissionDenied
from mainport.identity.models import OrgKind, Role
from mainport.imaging import lists as scan_lists
from mainport.imaging.models import ScanComparison, ScanPairOutcome
from mainport.ingest import lists as quarantine_lists
from mainport.ingest.models import QuarantinedRecord
from mainport.shipments.models import Scan
from mainport.targeting import lists as selection_lists
from tests.conftest import PrincipalFactory
from tests.targeting.seed import seed_flow
from tests.web.test_navigation import login

T = datetime(2026, 3, 2, 8, tzinfo=UTC)


def _scans(session: Session) -> tuple[int, int]:
    rows = []
    for i, (box, phase, place) in enumerate(
        [
            ("MSCU1234565", "origin", "ECGYE"),
            ("MSCU1234565", "arrival", "NLRTM"),
            ("CSQU3054383", "arrival", "NLRTM"),
        ]
    ):
        s = Scan(
            container_number=box,
            scanner_id=f"SC-{place}",
            unlocode=place,
            phase=phase,
            scanned_at=T + timedelta(hours=i),
            image_uri=f"mem://{i}",
            meta={},
        )
        session.add(s)
        rows.append(s)
    session.flush()
    pair = ScanComparison(
        origin_scan_id=rows[0].id,
        arrival_scan_id=rows[1].id,
        container_number="MSCU1234565",
        status="done",
        score=0.71,
        params_version="v1",
    )
    session.add(pair)
    session.flush()
    return pair.id, rows[2].id


def test_scans_list_shows_pairs_awaiting_review(
    session: Session, principal_factory: PrincipalFactory
) -> None:
    pair_id, lone = _scans(session)
    analyst = principal_factory(Role.analyst, OrgKind.customs)
    order = parse_sort(None, scan_lists.SCAN_SORTS, "-scanned_at")
    rows, total = scan_lists.search_scans(session=session, actor=analyst, sort=order)
    assert total == 3 and rows[0].id == lone and rows[0].comparison_id is None
    rows, total = scan_lists.search_scans(session=session, actor=analyst, awaiting_review=True, sort=order)
    assert total == 2 and {r.comparison_id for r in rows} == {pair_id}
    session.add(ScanPairOutcome(comparison_id=pair_id, outcome="clean", recorded_by="x"))
    session.flush()
    assert scan_lists.search_scans(session=session, actor=analyst, awaiting_review=True, sort=order)[1] == 0
    rows, _ = scan_lists.search_scans(session=session, actor=analyst, q="csqu", phase="arrival", sort=order)
    assert [r.container_number for r in rows] == ["CSQU3054383"]
    by_score = parse_sort("-score", scan_lists.SCAN_SORTS, "-scanned_at")
    rows, _ = scan_lists.search_scans(session=session, actor=analyst, sort=by_score)
    assert rows[0].score == pytest.approx(0.71) and rows[-1].score is None  # empty last
    with pytest.raises(PermissionDenied):
        scan_lists.search_scans(
            session=session, actor=principal_factory(Role.viewer, OrgKind.customs), sort=order
        )
    with pytest.raises(PermissionDenied):
        terminal = principal_factory(Role.officer, OrgKind.terminal, facility_code="ECTDE")
        scan_lists.search_scans(session=session, actor=terminal, sort=order)


def _quarantine(session: Session, source: str, reason: str, n: int) -> None:
    for i in range(n):
        session.add(
            QuarantinedRecord(
                key=f"{abs(hash((source, reason))) % 10**12}-{i}",
                kind="event",
                source=source,
                locator=str(i),
                raw="{}",
                raw_size=2,
                reason=reason,
            )
        )
    session.flush()


def test_quarantine_list_search_and_need_to_know(
    session: Session, principal_factory: PrincipalFactory
) -> None:
    terminal = principal_factory(Role.analyst, OrgKind.terminal, facility_code="ECTDE", username="ect_feed")
    _quarantine(session, "api:ect_feed", "facilityCode: not yours", 2)
    _quarantine(session, "/data/events.jsonl", "eventDateTime: not a time", 3)
    order = parse_sort(None, list(quarantine_lists.QUARANTINE_SORTS), "id")
    analyst = principal_factory(Role.analyst, OrgKind.customs)
    assert quarantine_lists.search_quarantine(session=session, actor=analyst, sort=order)[1] == 5
    rows, total = quarantine_lists.search_quarantine(
        session=session, actor=analyst, q="EVENTDATETIME", sort=order
    )
    assert total == 3 and all("eventDateTime" in r.reason for r in rows)
    rows, total = quarantine_lists.search_quarantine(session=session, actor=terminal, sort=order)
    assert total == 2 and {r.source for r in rows} == {"api:ect_feed"}
    with pytest.raises(PermissionDenied):
        quarantine_lists.search_quarantine(session=session, actor=principal_factory(Role.viewer), sort=order)


def test_selections_list_and_run_from_the_page(
    app_client: TestClient, session: Session, principal_factory: PrincipalFactory
) -> None:
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    seed_flow(session, n=20, seed=5, day=day)
    principal_factory(Role.analyst, OrgKind.customs, username="sel_analyst", node_code="rotterdam")
    session.commit()
    login(app_client, "sel_analyst")
    page = app_client.get(f"/targeting/rotterdam?day={day.date()}").text
    assert 'data-testid="run-selection"' in page and 'data-testid="no-selection"' in page
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    r = app_client.post(
        "/targeting/rotterdam/run",
        data={"csrf_token": csrf, "day": str(day.date()), "capacity_scan": "4", "capacity_physical": "1"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = app_client.get(f"/targeting/rotterdam?day={day.date()}").text
    assert 'data-testid="selection"' in page
    again = app_client.post("/targeting/rotterdam/run", data={"csrf_token": csrf, "day": str(day.date())})
    assert again.status_code == 409 and "exists already" in again.text
    rows = list(csv.DictReader(io.StringIO(app_client.get("/targeting/selections?format=csv").text)))
    assert [(x["hub"], x["selected"], x["recorded"]) for x in rows] == [("rotterdam", "5", "0")]
    assert app_client.get("/targeting/selections?sort=-found").status_code == 200
    moved = app_client.get(f"/targeting/rotterdam?switch=schiphol&day={day.date()}", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == f"/targeting/schiphol?day={day.date()}"
    app_client.cookies.clear()
    principal_factory(Role.viewer, OrgKind.customs, username="sel_viewer")
    session.commit()
    login(app_client, "sel_viewer")
    assert app_client.get("/targeting/selections", headers={"accept": "text/html"}).status_code == 403
    assert (
        app_client.post(
            "/targeting/rotterdam/run", data={"csrf_token": csrf, "day": str(day.date())}
        ).status_code
        == 403
    )


def test_selection_list_refuses_private_parties(
    session: Session, principal_factory: PrincipalFactory
) -> None:
    order = parse_sort(None, selection_lists.SELECTION_SORTS, "-day")
    with pytest.raises(PermissionDenied):
        selection_lists.search_selections(
            session=session, actor=principal_factory(Role.analyst, OrgKind.shipping_line), sort=order
        )
