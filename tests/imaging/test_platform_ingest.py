"""Scan ingest into the platform: store good files, quarantine bad ones, count everything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mainport.audit.models import AuditEntry
from mainport.config import Settings
from mainport.errors import PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind, Role
from mainport.imaging import service
from mainport.imaging.jobs import ingest_scans
from mainport.imaging.render import PairSample
from mainport.imaging.store import image_store
from mainport.ingest.models import IngestRun, QuarantinedRecord
from mainport.shipments.models import Scan
from tests.conftest import PrincipalFactory
from tests.imaging.helpers import with_scanner, write


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_good_file_is_stored_with_location_and_phase(
    session: Session,
    principal_factory: PrincipalFactory,
    test_settings: Settings,
    benign_pair: PairSample,
    tmp_path: Path,
) -> None:
    actor = principal_factory(Role.analyst, OrgKind.customs)
    path = write(benign_pair.origin, tmp_path / "in", "origin")
    result = service.ingest_scan_file(session=session, actor=actor, path=path, settings=test_settings)
    assert (result.recon.received, result.recon.stored, result.recon.quarantined) == (1, 1, 0)
    scan = session.get(Scan, result.scan_ids[0])
    assert scan is not None
    meta = benign_pair.origin.meta
    assert scan.container_number == meta.container_id
    assert scan.scanned_at == meta.scan_time
    # scanner table: the origin scanners stand abroad -> origin phase without being told
    assert scan.phase == "origin" and scan.unlocode in ("ECGYE", "COSMR")
    store = image_store(test_settings)
    assert store.exists(scan.image_uri) and store.exists(scan.meta["sidecar_uri"])
    assert path.exists()  # the original is copied, not moved
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "scan.ingest")) is not None


def test_sidecar_location_and_phase_argument_win(
    session: Session,
    principal_factory: PrincipalFactory,
    test_settings: Settings,
    benign_pair: PairSample,
    tmp_path: Path,
) -> None:
    actor = principal_factory()
    path = write(benign_pair.origin, tmp_path, "o")
    side = path.with_suffix(".json")
    side.write_text(json.dumps({**json.loads(side.read_text()), "unlocode": "NLVLI"}))
    result = service.ingest_scan_file(
        session=session, actor=actor, path=path, phase="origin", settings=test_settings
    )
    scan = session.get(Scan, result.scan_ids[0])
    assert scan is not None and (scan.unlocode, scan.phase) == ("NLVLI", "origin")


def test_corrupt_file_is_quarantined_with_a_reason(
    session: Session,
    principal_factory: PrincipalFactory,
    test_settings: Settings,
    benign_pair: PairSample,
    tmp_path: Path,
) -> None:
    actor = principal_factory()
    path = write(benign_pair.arrival, tmp_path / "in", "truncated")
    path.write_bytes(path.read_bytes()[:500])  # truncated
    result = service.ingest_scan_file(session=session, actor=actor, path=path, settings=test_settings)
    assert (result.recon.received, result.recon.stored, result.recon.quarantined) == (1, 0, 1)
    record = session.get(QuarantinedRecord, result.recon.problems[0].quarantine_id)
    assert record is not None and record.kind == "scan" and record.locator == "truncated.npy"
    assert record.reason and record.reason == result.recon.problems[0].reason
    raw = json.loads(record.raw)
    assert raw["file"] == "truncated.npy" and "container_id" in raw["sidecar"]
    # the file and its sidecar left the folder for quarantine/scans/<stem>-<time>/ with a reason.json
    assert not path.exists() and not path.with_suffix(".json").exists()
    folder = Path(raw["quarantined_to"])
    assert folder.parent == test_settings.data_dir / "quarantine" / "scans"
    assert (folder / "truncated.npy").exists() and json.loads((folder / "reason.json").read_text())["reason"]
    assert _count(session, Scan) == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"container_id": "CSQU3054384"}, "check digit"),
        ({"scan_time": "2026-01-01T10:00:00"}, "time zone"),
        ({"scanner_id": "UNKNOWN-9"}, "no known location"),
        ({"phase": "transit"}, "phase"),
    ],
)
def test_inconsistent_sidecar_is_quarantined(
    session: Session,
    principal_factory: PrincipalFactory,
    test_settings: Settings,
    benign_pair: PairSample,
    tmp_path: Path,
    change: dict[str, str],
    expected: str,
) -> None:
    path = write(benign_pair.origin, tmp_path, "bad")
    side = path.with_suffix(".json")
    side.write_text(json.dumps({**json.loads(side.read_text()), **change}))
    result = service.ingest_scan_file(
        session=session, actor=principal_factory(), path=path, settings=test_settings
    )
    assert result.recon.quarantined == 1
    assert expected in result.recon.problems[0].reason
    assert not path.exists()


def test_folder_ingest_reconciles_and_rerun_counts_duplicates(
    session_factory: sessionmaker[Session],
    session: Session,
    principal_factory: PrincipalFactory,
    test_settings: Settings,
    benign_pair: PairSample,
    tmp_path: Path,
) -> None:
    actor = principal_factory()
    session.commit()
    folder = tmp_path / "scans"
    write(benign_pair.origin, folder, "a-origin", "png")
    write(benign_pair.arrival, folder, "b-arrival", "png")
    other = "RTM-DT6" if benign_pair.arrival.meta.scanner_id != "RTM-DT6" else "RTM-GANTRY9"
    write(with_scanner(benign_pair.arrival, other), folder, "c-other-scanner")
    (folder / "requests.jsonl").write_text("{}\n")  # not a scan: skipped, not counted
    bad = folder / "d-broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    bad.with_suffix(".json").write_text("{")
    first = ingest_scans(session_factory=session_factory, actor=actor, path=folder, settings=test_settings)
    s = first.summary()
    assert (s["received"], s["stored"], s["duplicates"], s["quarantined"]) == (4, 3, 0, 1)
    assert s["balanced"] and s["run_id"] is not None
    assert not bad.exists()
    # two arrival scans after one origin scan: two comparisons
    assert len(first.comparison_ids) == 2
    second = ingest_scans(session_factory=session_factory, actor=actor, path=folder, settings=test_settings)
    s2 = second.summary()
    assert (s2["received"], s2["stored"], s2["duplicates"], s2["quarantined"]) == (3, 0, 3, 0)
    assert second.comparison_ids == []
    with session_factory() as check:
        assert _count(check, Scan) == 3
        run = check.get(IngestRun, s["run_id"])
        assert run is not None and (run.kind, run.received, run.quarantined) == ("scan", 4, 1)
        assert _count(check, QuarantinedRecord) == 1


def test_ingest_needs_imaging_write(
    session: Session,
    principal_factory: PrincipalFactory,
    test_settings: Settings,
    benign_pair: PairSample,
    tmp_path: Path,
) -> None:
    path = write(benign_pair.origin, tmp_path, "o")
    terminal = principal_factory(Role.officer, OrgKind.terminal)
    with pytest.raises(PermissionDenied):
        service.ingest_scan_file(session=session, actor=terminal, path=path, settings=test_settings)
    viewer = principal_factory(Role.viewer, OrgKind.customs)
    with pytest.raises(PermissionDenied):
        service.ingest_scan_file(session=session, actor=viewer, path=path, settings=test_settings)
    with pytest.raises(ValidationFailed):
        service.ingest_scan_file(
            session=session, actor=principal_factory(), path=path, phase="transit", settings=test_settings
        )
    assert path.exists() and _count(session, Scan) == 0
