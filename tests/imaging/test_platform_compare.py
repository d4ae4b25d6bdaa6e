"""Origin/arrival comparison in the platform: alert above the threshold only, safe to re-run."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mainport.audit.models import AuditEntry
from mainport.cases.models import Alert
from mainport.config import Settings
from mainport.errors import PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal
from mainport.imaging import service
from mainport.imaging.jobs import compare_pair, compare_pending
from mainport.imaging.models import DeclaredCheck, ScanComparison
from mainport.imaging.render import PairSample, render_pair
from mainport.imaging.store import image_store
from mainport.ingest.records import Reconciliation
from tests.conftest import PrincipalFactory
from tests.imaging.helpers import declare, write


def _ingest(
    session: Session, actor: Principal, settings: Settings, pair: PairSample, folder: Path
) -> service.ScanIngest:
    total = service.ScanIngest(Reconciliation(kind="scan", source=str(folder)))
    for name, scan in (("origin", pair.origin), ("arrival", pair.arrival)):
        total.add(
            service.ingest_scan_file(
                session=session, actor=actor, path=write(scan, folder, name), settings=settings
            )
        )
    return total


def test_added_material_raises_an_alert_with_overlay(
    session: Session,
    principal_factory: PrincipalFactory,
    test_settings: Settings,
    door_pair: PairSample,
    tmp_path: Path,
) -> None:
    actor = principal_factory()
    result = _ingest(session, actor, test_settings, door_pair, tmp_path)
    assert len(result.comparison_ids) == 1
    row = session.get(ScanComparison, result.comparison_ids[0])
    assert row is not None and row.status == "done"
    assert row.score is not None and row.score >= test_settings.scan_alert_threshold
    assert row.regions and row.regions[0]["sign"] == "added"
    assert image_store(test_settings).read_bytes(row.overlay_uri or "").startswith(b"\x89PNG")
    alert = session.get(Alert, row.alert_id)
    assert alert is not None and alert.source == "imaging" and alert.kind == "scan_difference"
    assert alert.container_number == door_pair.origin.meta.container_id
    assert alert.hub == "rotterdam" and alert.severity in (3, 4)
    assert alert.detail["comparison_id"] == row.id and alert.detail["url"].startswith("/scans/")
    assert result.alert_ids == [alert.id]
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "scan.compare")) is not None


def test_benign_pair_is_compared_without_alert(
    session: Session,
    principal_factory: PrincipalFactory,
    test_settings: Settings,
    benign_pair: PairSample,
    tmp_path: Path,
) -> None:
    result = _ingest(session, principal_factory(), test_settings, benign_pair, tmp_path)
    row = session.get(ScanComparison, result.comparison_ids[0])
    assert row is not None and row.score is not None
    assert row.score < test_settings.scan_alert_threshold
    assert row.alert_id is None and result.alert_ids == []
    assert session.scalar(select(func.count()).select_from(Alert)) == 0


def test_threshold_comes_from_settings(
    session: Session, principal_factory: PrincipalFactory, benign_pair: PairSample, tmp_path: Path
) -> None:
    strict = Settings(environment="test", data_dir=tmp_path, scan_alert_threshold=0.0)
    result = _ingest(session, principal_factory(), strict, benign_pair, tmp_path / "in")
    assert len(result.alert_ids) == 1


def test_rerun_makes_no_second_comparison_or_alert(
    session_factory: sessionmaker[Session],
    session: Session,
    principal_factory: PrincipalFactory,
    test_settings: Settings,
    door_pair: PairSample,
    tmp_path: Path,
) -> None:
    actor = principal_factory()
    result = _ingest(session, actor, test_settings, door_pair, tmp_path)
    session.commit()
    origin_id, arrival_id = result.scan_ids
    again = compare_pair(
        session_factory=session_factory,
        actor=actor,
        origin_scan_id=origin_id,
        arrival_scan_id=arrival_id,
        settings=test_settings,
    )
    assert again == result.comparison_ids[0]
    assert compare_pending(session_factory=session_factory, actor=actor, settings=test_settings) == []
    with session_factory() as check:
        assert check.scalar(select(func.count()).select_from(ScanComparison)) == 1
        alert = check.scalar(select(Alert))
        assert alert is not None and alert.occurrences == 1


def test_origin_ingested_after_the_arrival_still_pairs(
    session: Session,
    principal_factory: PrincipalFactory,
    test_settings: Settings,
    door_pair: PairSample,
    tmp_path: Path,
) -> None:
    actor = principal_factory()
    first = service.ingest_scan_file(
        session=session, actor=actor, path=write(door_pair.arrival, tmp_path, "a"), settings=test_settings
    )
    assert first.comparison_ids == []
    second = service.ingest_scan_file(
        session=session, actor=actor, path=write(door_pair.origin, tmp_path, "o"), settings=test_settings
    )
    row = session.get(ScanComparison, second.comparison_ids[0])
    assert row is not None and (row.origin_scan_id, row.arrival_scan_id) == (
        second.scan_ids[0],
        first.scan_ids[0],
    )


def test_compare_refuses_wrong_pairs_and_users(
    session: Session,
    principal_factory: PrincipalFactory,
    test_settings: Settings,
    door_pair: PairSample,
    tmp_path: Path,
) -> None:
    actor = principal_factory()
    ids = _ingest(session, actor, test_settings, door_pair, tmp_path).scan_ids
    with pytest.raises(ValidationFailed):
        service.compare_scans(
            session=session,
            actor=actor,
            origin_scan_id=ids[1],
            arrival_scan_id=ids[0],
            settings=test_settings,
        )
    with pytest.raises(PermissionDenied):
        service.compare_scans(
            session=session,
            actor=principal_factory(Role.officer, OrgKind.terminal),
            origin_scan_id=ids[0],
            arrival_scan_id=ids[1],
            settings=test_settings,
        )


def test_declared_check_alerts_on_cargo_that_does_not_fit(
    session: Session, principal_factory: PrincipalFactory, test_settings: Settings, tmp_path: Path
) -> None:
    pair = render_pair(104)  # a benign container of ceramic tiles
    assert pair.contents.commodity == "tiles"
    actor = principal_factory()
    decl = declare(session, pair.arrival.meta.container_id, "080390")  # declared as bananas
    service.ingest_scan_file(
        session=session, actor=actor, path=write(pair.arrival, tmp_path, "a"), settings=test_settings
    )
    check = session.scalar(select(DeclaredCheck))
    assert check is not None and check.commodity == "bananas" and check.declaration_id == decl.id
    assert check.score >= service.DECLARED_ALERT_THRESHOLD
    alert = session.get(Alert, check.alert_id)
    assert alert is not None and alert.kind == "scan_declared_mismatch"
    assert alert.severity == service.DECLARED_SEVERITY


def test_declared_check_quiet_when_cargo_fits(
    session: Session, principal_factory: PrincipalFactory, test_settings: Settings, tmp_path: Path
) -> None:
    pair = render_pair(104)
    actor = principal_factory()
    declare(session, pair.arrival.meta.container_id, "690721")  # ceramic tiles
    service.ingest_scan_file(
        session=session, actor=actor, path=write(pair.arrival, tmp_path, "a"), settings=test_settings
    )
    check = session.scalar(select(DeclaredCheck))
    assert check is not None and check.commodity == "tiles"
    assert check.score < service.DECLARED_ALERT_THRESHOLD and check.alert_id is None
    # re-run is a no-op: the stored check comes back
    again = service.check_scan_declared(
        session=session, actor=actor, scan_id=check.scan_id, settings=test_settings
    )
    assert again is not None and again.id == check.id


def test_arrival_without_a_container_is_a_failed_comparison_not_a_failed_ingest(
    session: Session,
    principal_factory: PrincipalFactory,
    test_settings: Settings,
    door_pair: PairSample,
    tmp_path: Path,
) -> None:
    import numpy as np

    from mainport.imaging.meta import ScanImage

    actor = principal_factory()
    a = door_pair.arrival
    empty_lane = ScanImage(np.full_like(a.pixels, 60000), a.meta)  # the beam ran with nothing in it
    total = service.ScanIngest(Reconciliation(kind="scan", source=str(tmp_path)))
    for name, scan in (("origin", door_pair.origin), ("arrival", empty_lane)):
        total.add(
            service.ingest_scan_file(
                session=session, actor=actor, path=write(scan, tmp_path, name), settings=test_settings
            )
        )
    assert total.recon.stored == 2 and len(total.comparison_ids) == 1
    row = session.get(ScanComparison, total.comparison_ids[0])
    assert row is not None and row.status == "failed" and row.score is None and row.alert_id is None
    assert "no container found in the arrival scan" in row.error
    assert session.scalar(select(func.count()).select_from(Alert).where(Alert.kind == "scan_difference")) == 0
