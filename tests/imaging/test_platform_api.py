"""Imaging routes and the pair page: who may see scans, and what they get."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mainport.audit.models import AuditEntry
from mainport.config import Settings
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal
from mainport.imaging import service
from mainport.imaging.render import PairSample
from mainport.ingest.models import QuarantinedRecord
from mainport.ingest.records import Reconciliation
from mainport.shipments.models import Scan
from tests.conftest import PrincipalFactory
from tests.imaging.helpers import write

Headers = Callable[[Principal], dict[str, str]]


@pytest.fixture
def stored_pair(
    session: Session,
    principal_factory: PrincipalFactory,
    test_settings: Settings,
    door_pair: PairSample,
    tmp_path: Path,
) -> service.ScanIngest:
    actor = principal_factory()
    result = service.ScanIngest(Reconciliation(kind="scan", source="test"))
    for name, scan in (("origin", door_pair.origin), ("arrival", door_pair.arrival)):
        result.add(
            service.ingest_scan_file(
                session=session, actor=actor, path=write(scan, tmp_path / "in", name), settings=test_settings
            )
        )
    session.commit()
    return result


def _routes(result: service.ScanIngest, number: str) -> list[str]:
    scan_id, comparison_id = result.scan_ids[0], result.comparison_ids[0]
    return [
        f"/api/v1/scans/container/{number}",
        f"/api/v1/scans/{scan_id}",
        f"/api/v1/scans/{scan_id}/preview.png",
        f"/api/v1/scans/comparisons/{comparison_id}",
        f"/api/v1/scans/comparisons/{comparison_id}/overlay.png",
        f"/scans/{number}",
    ]


def test_routes_refuse_anonymous_terminal_and_viewer(
    app_client: TestClient,
    principal_factory: PrincipalFactory,
    token_for: Headers,
    stored_pair: service.ScanIngest,
    door_pair: PairSample,
) -> None:
    terminal = principal_factory(Role.officer, OrgKind.terminal, facility_code="ECTDE")
    police_viewer = principal_factory(Role.viewer, OrgKind.police)
    for path in _routes(stored_pair, door_pair.origin.meta.container_id):
        anon = app_client.get(path, follow_redirects=False)
        if path.startswith("/api/"):
            assert anon.status_code == 401, path
        else:
            assert anon.status_code in (303, 401), path
        assert app_client.get(path, headers=token_for(terminal)).status_code == 403, path
        assert app_client.get(path, headers=token_for(police_viewer)).status_code == 403, path
    upload = app_client.post("/api/v1/scans", files={"file": ("x.npy", b"nothing")})
    assert upload.status_code == 401
    upload = app_client.post(
        "/api/v1/scans", files={"file": ("x.npy", b"nothing")}, headers=token_for(terminal)
    )
    assert upload.status_code == 403


def test_analyst_reads_scans_comparison_and_images(
    session: Session,
    app_client: TestClient,
    principal_factory: PrincipalFactory,
    token_for: Headers,
    stored_pair: service.ScanIngest,
    door_pair: PairSample,
) -> None:
    h = token_for(principal_factory(Role.analyst, OrgKind.customs))
    number = door_pair.origin.meta.container_id
    listing = app_client.get(f"/api/v1/scans/container/{number}", headers=h)
    assert listing.status_code == 200
    body = listing.json()
    assert [s["phase"] for s in body["scans"]] == ["origin", "arrival"]
    assert body["comparisons"][0]["id"] == stored_pair.comparison_ids[0]
    cmp = app_client.get(f"/api/v1/scans/comparisons/{stored_pair.comparison_ids[0]}", headers=h).json()
    assert cmp["score"] >= 0.5 and cmp["alert_id"] is not None and cmp["regions"][0]["sign"] == "added"
    for path in _routes(stored_pair, number)[2:5:2]:
        png = app_client.get(path, headers=h)
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        assert png.content.startswith(b"\x89PNG")
    assert app_client.get("/api/v1/scans/999999", headers=h).status_code == 404
    assert app_client.get("/api/v1/scans/comparisons/999999/overlay.png", headers=h).status_code == 404
    reads = session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "scan.comparison.read")
    )
    assert reads == 1


def test_pair_page_shows_both_scans_and_the_overlay(
    app_client: TestClient,
    principal_factory: PrincipalFactory,
    token_for: Headers,
    stored_pair: service.ScanIngest,
    door_pair: PairSample,
) -> None:
    h = token_for(principal_factory(Role.analyst, OrgKind.customs))
    number = door_pair.origin.meta.container_id
    page = app_client.get(f"/scans/{number}", headers=h)
    assert page.status_code == 200
    origin_id, arrival_id = stored_pair.scan_ids
    assert f"/api/v1/scans/{origin_id}/preview.png" in page.text
    assert f"/api/v1/scans/{arrival_id}/preview.png" in page.text
    assert f"/api/v1/scans/comparisons/{stored_pair.comparison_ids[0]}/overlay.png" in page.text
    assert (
        'data-testid="regions"' in page.text
        and "added" in page.text
        and 'data-testid="alert-link"' in page.text
    )
    empty = app_client.get("/scans/CSQU3054383", headers=h)
    assert empty.status_code == 200 and 'data-testid="no-scans"' in empty.text


def test_upload_stores_good_and_quarantines_bad(
    session: Session,
    app_client: TestClient,
    principal_factory: PrincipalFactory,
    token_for: Headers,
    door_pair: PairSample,
    test_settings: Settings,
    tmp_path: Path,
) -> None:
    h = token_for(principal_factory(Role.officer, OrgKind.customs))
    path = write(door_pair.origin, tmp_path / "up", "origin", "png")
    files = {
        "file": ("../../origin.png", path.read_bytes(), "image/png"),
        "sidecar": ("origin.json", path.with_suffix(".json").read_bytes(), "application/json"),
    }
    ok = app_client.post("/api/v1/scans", files=files, data={"phase": "origin"}, headers=h)
    assert ok.status_code == 201, ok.text
    assert (ok.json()["stored"], ok.json()["quarantined"]) == (1, 0)
    again = app_client.post("/api/v1/scans", files=files, data={"phase": "origin"}, headers=h)
    assert again.json()["duplicates"] == 1
    bad = app_client.post("/api/v1/scans", files={"file": ("broken.png", b"\x89PNG\r\n\x1a\nxx")}, headers=h)
    assert bad.status_code == 201 and bad.json()["quarantined"] == 1
    assert bad.json()["problems"][0]["reason"] == "missing JSON sidecar broken.json"
    assert session.scalar(select(func.count()).select_from(Scan)) == 1
    record = session.scalar(select(QuarantinedRecord).where(QuarantinedRecord.kind == "scan"))
    assert record is not None and record.locator == "broken.png"
    assert list((test_settings.data_dir / "quarantine" / "scans").glob("broken-*/broken.png"))
    assert not any((test_settings.data_dir / "incoming").iterdir())  # temporary upload folders removed
