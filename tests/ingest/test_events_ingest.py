from __future__ import annotations

import gc
import json
from pathlib import Path

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mainport.identity.principal import system_principal
from mainport.ingest import event_store, readers, writes
from mainport.ingest.jobs import ingest_file
from mainport.ingest.models import IngestRun, QuarantinedRecord
from mainport.shipments.models import Container, ContainerEvent
from tests.ingest.helpers import event


def _write_array(path: Path, events: list[object]) -> Path:
    path.write_bytes(b"[\n" + b",\n".join(orjson.dumps(e) for e in events) + b"\n]\n")
    return path


def _reasons(session: Session) -> list[str]:
    return list(session.scalars(select(QuarantinedRecord.reason).order_by(QuarantinedRecord.id)))


def test_good_file_is_stored_and_reconciled(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    path = _write_array(tmp_path / "ev.json", [event(i) for i in range(30)])
    recon = ingest_file(
        session_factory=session_factory, actor=system_principal(), kind="events", path=path, batch_size=7
    )
    assert (recon.received, recon.stored, recon.duplicates, recon.quarantined) == (30, 30, 0, 0)
    assert gc.isenabled()  # the job pauses the cyclic collector while it streams, and restores it
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(ContainerEvent)) == 30
        row = s.scalars(select(ContainerEvent).where(ContainerEvent.event_id == "ev-3")).one()
        assert row.hub == "rotterdam" and row.seals == ["SL3"] and row.payload["eventID"] == "ev-3"
        run = s.get(IngestRun, recon.run_id)
        assert run is not None and run.stored == 30 and run.finished_at is not None
    again = ingest_file(session_factory=session_factory, actor=system_principal(), kind="events", path=path)
    assert (again.received, again.stored, again.duplicates) == (30, 0, 30)


def test_broken_events_each_quarantined_with_precise_reason(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    bad: list[object] = [
        event(1, equipmentReference="MSCU0010011"),  # wrong check digit
        event(
            2,
            transportCall={
                "transportCallID": "t",
                "modeOfTransport": "VESSEL",
                "vessel": {"vesselIMONumber": "9321484"},
            },
        ),
        event(3, eventLocation={"UNLocationCode": "NLXXX"}),
        event(4, eventDateTime="2024-03-01T10:00:00"),
        event(5, eventDateTime="2099-01-01T00:00:00+00:00", eventCreatedDateTime="2099-01-01T00:00:00+00:00"),
        event(6, eventCreatedDateTime="2020-01-01T00:00:00+00:00"),
        event(7, equipmentEventTypeCode="FOO"),
        event(8, eventType="REEFER"),
        [1, 2],
        event(0),
        event(0),  # duplicate in the file
    ]
    path = _write_array(tmp_path / "bad.json", bad)
    recon = ingest_file(session_factory=session_factory, actor=system_principal(), kind="events", path=path)
    assert recon.balanced and (recon.received, recon.stored, recon.duplicates, recon.quarantined) == (
        11,
        1,
        1,
        9,
    )
    with session_factory() as s:
        reasons = _reasons(s)
    expected = [
        "check digit",
        "vesselIMONumber",
        "unknown UN/LOCODE",
        "no time zone",
        "in the future",
        "created",
        "equipmentEventTypeCode",
        "eventType",
        "not a JSON object",
    ]
    for fragment, reason in zip(expected, reasons, strict=True):
        assert fragment in reason, (fragment, reason)


def test_truncated_array_keeps_complete_events(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    text = "[" + ",".join(json.dumps(event(i)) for i in range(5))
    path.write_text(text[: len(text) - 40], encoding="utf-8")
    recs = list(readers.read_events(path))
    assert [r.error is None for r in recs] == [True] * 4 + [False]
    assert "truncated JSON" in (recs[-1].error or "") and "record 5" in recs[-1].locator


def test_latin1_bytes_and_huge_field_quarantine_only_that_record(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [
        orjson.dumps(event(1)),
        orjson.dumps(event(2, changeRemark="caf\u00e9")).replace(b"\xc3\xa9", b"\xe9"),
        orjson.dumps(event(3, changeRemark="x" * 10_000_000)),
        b"",
        orjson.dumps(event(4)),
    ]
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n")
    recs = list(readers.read_events(path))
    assert len(recs) == 4
    assert recs[0].error is None and recs[3].error is None
    assert "not valid UTF-8: byte 0xE9" in (recs[1].error or "")
    # A line over the record limit (4 MiB) is cut while it is read: only its head is kept, with its size.
    assert "record is over the limit of 4194304 bytes (10000" in (recs[2].error or "")
    assert recs[2].raw_size == len(lines[2]) + 1 and len(recs[2].raw_text) <= 64 * 1024


def test_huge_field_fails_schema_and_raw_is_bounded(session: Session, tmp_path: Path) -> None:
    path = _write_array(tmp_path / "h.json", [event(1, changeRemark="x" * 10_000_000), event(2)])
    recon = event_store.ingest_events(
        session=session, actor=system_principal(), records=readers.read_events(path), source=str(path)
    )
    assert (recon.stored, recon.quarantined) == (1, 1)
    q = session.scalars(select(QuarantinedRecord)).one()
    assert "record is" in q.reason and q.raw_size > 10_000_000 and len(q.raw) <= 64 * 1024


def test_sequence_load_after_departure_is_refused(session: Session) -> None:
    depa = {
        "eventID": "dep-1",
        "eventCreatedDateTime": "2024-03-01T12:00:00+00:00",
        "eventType": "TRANSPORT",
        "eventClassifierCode": "ACT",
        "eventDateTime": "2024-03-01T12:00:00+00:00",
        "transportEventTypeCode": "DEPA",
        "transportCall": {
            "transportCallID": "tc-1",
            "modeOfTransport": "VESSEL",
            "UNLocationCode": "NLRTM",
            "exportVoyageNumber": "101N",
            "importVoyageNumber": "101N",
            "vessel": {"vesselIMONumber": "9321483"},
        },
    }
    late = event(20)  # 2024-03-02T04:00, DISC from the same vessel/voyage after it left
    recs = list(readers.records_from_objects([depa, late]))
    recon = event_store.ingest_events(session=session, actor=system_principal(), records=recs, source="t")
    assert (recon.stored, recon.quarantined) == (1, 1)
    assert "after the vessel departed" in recon.problems[0].reason


def test_containers_are_registered_from_events(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """Every stored event makes its container known, once (the container list is never empty)."""
    path = _write_array(tmp_path / "ev.json", [event(i) for i in range(12)])
    ingest_file(session_factory=session_factory, actor=system_principal(), kind="events", path=path)
    with session_factory() as s:
        numbers = set(s.scalars(select(ContainerEvent.equipment_reference)))
        assert numbers and set(s.scalars(select(Container.number))) == numbers
    with session_factory() as s:
        writes.register_containers(s, dict.fromkeys(numbers))  # again: nothing new, nothing lost
        assert set(s.scalars(select(Container.number))) == numbers


def test_declaration_fills_a_missing_size_type(session: Session) -> None:
    writes.register_containers(session, {"CSQU3054383": None, "MSKU9070323": "45R1"})
    writes.register_containers(session, {"CSQU3054383": "22G1", "MSKU9070323": None})
    got = dict(session.execute(select(Container.number, Container.size_type)).all())
    assert got == {"CSQU3054383": "22G1", "MSKU9070323": "45R1"}
