"""Outcomes of compared pairs and the self-calibrated alert threshold per scanner pairing (service, API)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mainport.audit.models import AuditEntry
from mainport.config import Settings
from mainport.database import utcnow
from mainport.errors import NotFound, PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal
from mainport.imaging import calibration, selfcal, service
from mainport.imaging.compare import CompareParams
from mainport.imaging.models import ScanComparison, ScanPairCalibration, ScanPairOutcome
from mainport.imaging.render import PairSample
from mainport.shipments.models import Inspection, Scan
from tests.conftest import FreshDatabase, PrincipalFactory
from tests.imaging.helpers import write

Headers = Callable[[Principal], dict[str, str]]
PAIRING = ("ECGYE-P1", "NLRTM-G2")


def _pair(
    session: Session, n: int, score: float | None, pairing: tuple[str, str] = PAIRING, version: str = "v1"
) -> ScanComparison:
    """An origin and an arrival scan row of container n and their comparison (no images needed)."""
    number = f"MSCU{n:07d}"[:11]
    t0 = utcnow() - timedelta(days=20)
    scans = [
        Scan(
            container_number=number,
            scanner_id=scanner,
            unlocode=loc,
            phase=phase,
            scanned_at=t0 + timedelta(days=day),
            image_uri=f"local://x/{n}-{phase}.npy",
            meta={},
        )
        for scanner, loc, phase, day in (
            (pairing[0], "ECGYE", "origin", 0),
            (pairing[1], "NLRTM", "arrival", 14),
        )
    ]
    session.add_all(scans)
    session.flush()
    row = ScanComparison(
        origin_scan_id=scans[0].id,
        arrival_scan_id=scans[1].id,
        container_number=number,
        params_version=version,
        status="done" if score is not None else "failed",
        score=score,
        error=None if score is not None else "no container found",
    )
    session.add(row)
    session.flush()
    return row


def test_clean_outcomes_move_the_pairings_threshold_and_are_audited(
    session: Session, principal_factory: PrincipalFactory
) -> None:
    actor = principal_factory(Role.officer)
    rows = [_pair(session, i, 0.05 + 0.01 * i) for i in range(12)]
    assert calibration.alert_threshold(
        session=session,
        origin_scanner=PAIRING[0],
        arrival_scanner=PAIRING[1],
        params_version="v1",
        default=0.5,
    ) == (0.5, 0)
    for row in rows:
        calibration.record_outcome(session=session, actor=actor, comparison_id=row.id, outcome="clean")
    cal = calibration.calibration_for(session, *PAIRING, "v1")
    assert cal is not None and cal.n_clean == 12 and cal.prior_threshold == 0.5
    scores = [float(r.score or 0) for r in rows]
    assert cal.threshold == pytest.approx(selfcal.threshold(scores, 0.05, 0.5))
    assert cal.threshold < 0.5  # this pairing's clean pairs score low: the bar comes down
    assert calibration.alert_threshold(
        session=session,
        origin_scanner=PAIRING[0],
        arrival_scanner=PAIRING[1],
        params_version="v1",
        default=0.5,
    ) == (cal.threshold, 12)
    # another parameter version or pairing starts at the configured threshold again
    assert calibration.alert_threshold(
        session=session,
        origin_scanner=PAIRING[0],
        arrival_scanner=PAIRING[1],
        params_version="v2",
        default=0.5,
    ) == (0.5, 0)
    actions = dict(
        session.execute(
            select(AuditEntry.action, func.count())
            .group_by(AuditEntry.action)
            .where(AuditEntry.action.in_(("scan.outcome", "scan.calibration.update")))
        ).all()
    )
    assert actions == {"scan.outcome": 12, "scan.calibration.update": 12}


def test_found_outcome_leaves_the_threshold_alone(
    session: Session, principal_factory: PrincipalFactory
) -> None:
    actor = principal_factory()
    row = _pair(session, 1, 0.97)
    rec = calibration.record_outcome(
        session=session, actor=actor, comparison_id=row.id, outcome="found", note="bag behind the doors"
    )
    assert rec.outcome == "found" and rec.recorded_by == actor.username
    assert calibration.calibration_for(session, *PAIRING, "v1") is None


def test_mistakes_get_one_line_reasons(session: Session, principal_factory: PrincipalFactory) -> None:
    actor = principal_factory()
    row = _pair(session, 1, 0.2)
    failed = _pair(session, 2, None)
    with pytest.raises(ValidationFailed, match="'clean' or 'found'"):
        calibration.record_outcome(session=session, actor=actor, comparison_id=row.id, outcome="maybe")
    with pytest.raises(NotFound, match="comparison 999999"):
        calibration.record_outcome(session=session, actor=actor, comparison_id=999999, outcome="clean")
    with pytest.raises(ValidationFailed, match="no score"):
        calibration.record_outcome(session=session, actor=actor, comparison_id=failed.id, outcome="clean")
    with pytest.raises(NotFound, match="inspection 424242"):
        calibration.record_outcome(
            session=session, actor=actor, comparison_id=row.id, outcome="clean", inspection_id=424242
        )
    calibration.record_outcome(session=session, actor=actor, comparison_id=row.id, outcome="clean")
    with pytest.raises(ValidationFailed, match="already has outcome 'clean'"):
        calibration.record_outcome(session=session, actor=actor, comparison_id=row.id, outcome="found")


def test_wrong_users_are_refused(session: Session, principal_factory: PrincipalFactory) -> None:
    row = _pair(session, 1, 0.2)
    for who in (
        principal_factory(Role.officer, OrgKind.terminal),
        principal_factory(Role.viewer, OrgKind.police),
    ):
        with pytest.raises(PermissionDenied):
            calibration.record_outcome(session=session, actor=who, comparison_id=row.id, outcome="clean")
        with pytest.raises(PermissionDenied):
            calibration.confirm_from_inspections(session=session, actor=who)
        with pytest.raises(PermissionDenied):
            calibration.list_calibrations(session=session, actor=who)
    assert session.scalar(select(func.count()).select_from(ScanPairOutcome)) == 0


def test_outcomes_from_inspection_records(session: Session, principal_factory: PrincipalFactory) -> None:
    actor = principal_factory()
    clean, found, late, none = (_pair(session, i, s) for i, s in ((1, 0.1), (2, 0.9), (3, 0.3), (4, 0.2)))
    arrivals = {r.id: session.get(Scan, r.arrival_scan_id) for r in (clean, found, late)}

    def inspect(row: ScanComparison, days: float, result: str) -> None:
        arrival = arrivals[row.id]
        assert arrival is not None
        session.add(
            Inspection(
                container_number=row.container_number,
                kind="physical",
                inspected_at=arrival.scanned_at + timedelta(days=days),
                result=result,
                recorded_by="officer",
            )
        )

    inspect(clean, 1, "not_found")
    inspect(found, 0.5, "found")
    inspect(late, 45, "not_found")  # too long after the arrival scan to speak for it
    session.flush()
    recs = calibration.confirm_from_inspections(session=session, actor=actor)
    assert {(r.comparison_id, r.outcome) for r in recs} == {(clean.id, "clean"), (found.id, "found")}
    assert all(r.inspection_id is not None for r in recs)
    assert calibration.confirm_from_inspections(session=session, actor=actor) == []  # safe to re-run
    cal = calibration.calibration_for(session, *PAIRING, "v1")
    assert cal is not None and cal.n_clean == 1
    assert none.id not in {r.comparison_id for r in recs}


def test_compare_judges_a_pair_against_its_pairings_threshold(
    session: Session,
    principal_factory: PrincipalFactory,
    test_settings: Settings,
    benign_pair: PairSample,
    tmp_path: Path,
) -> None:
    """A pairing whose confirmed-clean pairs all scored very low alerts on a pair the configured
    threshold lets through (and the threshold used is stored with the comparison)."""
    o, a = benign_pair.origin.meta.scanner_id, benign_pair.arrival.meta.scanner_id
    session.add(
        ScanPairCalibration(
            origin_scanner=o,
            arrival_scanner=a,
            params_version=service.params_version(CompareParams()),
            target_fa=0.05,
            prior_threshold=test_settings.scan_alert_threshold,
            threshold=0.001,
            n_clean=50,
            clean_scores=[0.0005] * 50,
            updated_by="test",
        )
    )
    session.flush()
    actor = principal_factory()
    ids = []
    for name, scan in (("origin", benign_pair.origin), ("arrival", benign_pair.arrival)):
        ids += service.ingest_scan_file(
            session=session, actor=actor, path=write(scan, tmp_path, name), settings=test_settings
        ).comparison_ids
    row = session.get(ScanComparison, ids[0])
    assert row is not None and row.score is not None
    assert row.score < test_settings.scan_alert_threshold  # the configured threshold would not alert
    assert row.alert_threshold == pytest.approx(0.001) and row.alert_id is not None


def test_api_outcome_and_calibration_listing(
    session: Session, app_client: TestClient, principal_factory: PrincipalFactory, token_for: Headers
) -> None:
    row = _pair(session, 1, 0.12)
    other = _pair(session, 2, 0.3)
    session.commit()
    analyst = token_for(principal_factory(Role.analyst, OrgKind.customs))
    url = f"/api/v1/scans/comparisons/{row.id}/outcome"
    ok = app_client.post(url, json={"outcome": "clean", "note": "opened, nothing"}, headers=analyst)
    assert ok.status_code == 201, ok.text
    assert ok.json()["outcome"] == "clean" and ok.json()["comparison_id"] == row.id
    again = app_client.post(url, json={"outcome": "found"}, headers=analyst)
    assert again.status_code in (409, 422) and "already has outcome" in again.text
    bad = app_client.post(
        f"/api/v1/scans/comparisons/{other.id}/outcome", json={"outcome": "dunno"}, headers=analyst
    )
    assert 400 <= bad.status_code < 500 and "'clean' or 'found'" in bad.text
    missing = app_client.post(
        "/api/v1/scans/comparisons/999999/outcome", json={"outcome": "clean"}, headers=analyst
    )
    assert missing.status_code == 404
    listing = app_client.get("/api/v1/scans/calibration", headers=analyst)
    assert listing.status_code == 200
    (cal,) = listing.json()
    assert (cal["origin_scanner"], cal["arrival_scanner"], cal["n_clean"]) == (*PAIRING, 1)
    terminal = token_for(principal_factory(Role.officer, OrgKind.terminal, facility_code="ECTDE"))
    assert app_client.get("/api/v1/scans/calibration").status_code == 401
    assert app_client.get("/api/v1/scans/calibration", headers=terminal).status_code == 403
    refused = app_client.post(
        f"/api/v1/scans/comparisons/{other.id}/outcome", json={"outcome": "clean"}, headers=terminal
    )
    assert refused.status_code == 403


def test_cli_outcome_calibration_and_confirm_clean(configured_db: FreshDatabase) -> None:
    from typer.testing import CliRunner

    from mainport.database import Base
    from mainport.database.runtime import get_engine
    from mainport.imaging.cli import app

    Base.metadata.create_all(get_engine())
    with configured_db.factory() as s:
        ids = [_pair(s, i, 0.1 * i).id for i in (1, 2)]
        s.commit()
    runner = CliRunner()
    r = runner.invoke(app, ["calibration"])
    assert r.exit_code == 0 and "no scanner pairing has confirmed-clean pairs yet" in r.output
    r = runner.invoke(app, ["outcome", str(ids[0]), "clean", "--note", "opened"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["outcome", str(ids[1]), "perhaps"])
    assert r.exit_code == 2 and "'clean' or 'found'" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["outcome", "999999", "clean"])
    assert r.exit_code == 2 and "comparison 999999 not found" in r.output
    r = runner.invoke(app, ["calibration", "--json"])
    assert r.exit_code == 0 and '"n_clean": 1' in r.output
    r = runner.invoke(app, ["confirm-clean"])
    assert r.exit_code == 0 and "0 outcome(s) from inspections" in r.output
