"""The pipelined file job (a reader process) stores exactly what the single-process job stores."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from mainport.identity.principal import system_principal
from mainport.ingest import cli, event_store, jobs
from mainport.ingest.jobs import PIPELINE_MIN_BYTES, IngestFailed, choose_workers, ingest_file
from mainport.ingest.models import QuarantinedRecord
from mainport.ingest.pipeline import ReaderFailed
from mainport.ingest.readers import records_from_objects
from mainport.shipments.models import ContainerEvent
from tests.conftest import FreshDatabase
from tests.ingest.helpers import event


def _depa(i: int, at: str) -> dict[str, Any]:
    return {
        "eventID": f"dep-{i}",
        "eventCreatedDateTime": at,
        "eventType": "TRANSPORT",
        "eventClassifierCode": "ACT",
        "eventDateTime": at,
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


def _mixed_file(path: Path) -> Path:
    """Good events, bad ones of every kind, repeats (in a batch, across batches, of stored ones), events
    out of sequence (against the file and against stored events), a big one, and a truncated end."""
    later_voyage = {**event(0)["transportCall"], "importVoyageNumber": "202N"}
    items: list[Any] = [event(i) for i in range(10)]
    items += [
        event(10, equipmentReference="MSCU0010011"),  # wrong check digit
        event(11, eventLocation={"UNLocationCode": "NLXXX"}),  # unknown UN/LOCODE
        event(12, eventDateTime="2024-03-01T10:00:00"),  # no zone
        [1, 2],  # not an object
        event(3),  # repeat within the batch (batch size 7)
        event(1),  # repeat of an earlier batch
        event(500),  # stored before the run
        _depa(1, "2024-03-02T00:00:00+00:00"),
        event(30),  # DISC on the vessel after it departed: out of sequence
        event(31, changeRemark="x" * 70_000),  # over RAW_LIMIT and out of sequence
        event(16, changeRemark="y" * 70_000, transportCall=later_voyage),  # over RAW_LIMIT, stored
        event(14, eventCreatedDateTime="2099-01-01T00:00:00+00:00"),
        event(15, eventLocation={"UNLocationCode": "NLRTM", "facilityCode": "caf\u00e9"}),
    ]
    items += [event(i, transportCall=later_voyage) for i in range(40, 60)]
    text = "[\n" + ",\n".join(json.dumps(e) for e in items) + ",\n" + json.dumps(event(99))[:-30]
    path.write_text(text, encoding="utf-8")
    return path


def _fresh_db(make: Callable[[], FreshDatabase]) -> sessionmaker[Session]:
    factory = make().factory
    with factory.begin() as s:  # stored before the run: a duplicate and a departure to check against
        event_store.ingest_events(
            session=s,
            actor=system_principal(),
            records=records_from_objects([event(500), _depa(0, "2024-03-01T20:00:00+00:00")]),
            source="earlier",
        )
    return factory


def _snapshot(factory: sessionmaker[Session], source: str | None = None) -> tuple[list[Any], list[Any]]:
    skip = {"id", "received_at"}
    events_q = select(ContainerEvent).order_by(ContainerEvent.id)
    quarantine_q = select(QuarantinedRecord).order_by(QuarantinedRecord.id)
    if source is not None:  # a shared database may hold others' rows
        events_q = events_q.where(ContainerEvent.source == source)
        quarantine_q = quarantine_q.where(QuarantinedRecord.source == source)
    with factory() as s:
        events = [
            {c: getattr(e, c) for c in set(ContainerEvent.__table__.columns.keys()) - skip}
            for e in s.scalars(events_q)
        ]
        quarantined = [
            (q.kind, q.source, q.locator, q.raw, q.raw_size, q.reason, q.status)
            for q in s.scalars(quarantine_q)
        ]
    return events, quarantined


def test_pipelined_job_stores_and_quarantines_exactly_as_one_process(
    tmp_path: Path, make_fresh_db: Callable[[], FreshDatabase]
) -> None:
    path = _mixed_file(tmp_path / "mixed.json")
    results = {}
    for workers in (0, 1):
        factory = _fresh_db(make_fresh_db)
        seen: list[int] = []
        recon = ingest_file(
            session_factory=factory,
            actor=system_principal(),
            kind="events",
            path=path,
            batch_size=7,
            progress=seen.append,
            workers=workers,
        )
        assert gc.isenabled() and recon.balanced
        assert sum(seen) == path.stat().st_size  # the progress bar reaches the end in both modes
        summary = {k: v for k, v in recon.summary().items() if k not in ("elapsed_s", "rate_per_s")}
        results[workers] = (summary, *_snapshot(factory))
        again = ingest_file(
            session_factory=factory, actor=system_principal(), kind="events", path=path, workers=workers
        )
        assert again.stored == 0 and again.duplicates == recon.stored + recon.duplicates  # safe to re-run
    summary, stored, quarantined = results[1]
    assert results[0] == results[1]
    assert (summary["received"], summary["stored"], summary["duplicates"]) == (44, 33, 3)
    reasons = [q[5] for q in quarantined]
    assert any("check digit" in r for r in reasons) and any("unknown UN/LOCODE" in r for r in reasons)
    assert any("after the vessel departed" in r for r in reasons)  # checked against the stored DEPA
    assert "truncated JSON" in reasons[-1]
    big = next(q for q in quarantined if "DISC at 2024-03-02T15:00" in q[5])
    assert big[4] > 70_000 and len(big[3]) == 64 * 1024 and big[3].startswith('{"eventID": "ev-31"')
    assert [e["event_id"] for e in stored][:2] == ["ev-500", "dep-0"]
    assert next(e for e in stored if e["event_id"] == "ev-16")["payload"]["changeRemark"] == "y" * 70_000


def test_workers_are_chosen_by_file_size_and_kind(
    tmp_path: Path, make_fresh_db: Callable[[], FreshDatabase]
) -> None:
    small = tmp_path / "small.json"
    small.write_bytes(b"[\n" + orjson.dumps(event(1)) + b"\n]\n")
    assert choose_workers("events", small) == 0
    with (tmp_path / "big.json").open("wb") as f:
        f.truncate(PIPELINE_MIN_BYTES)
    assert choose_workers("events", tmp_path / "big.json") == 1
    assert choose_workers("declarations", tmp_path / "big.json") == 0
    with pytest.raises(ValueError, match="workers"):
        jobs.ingest_file(
            session_factory=_fresh_db(make_fresh_db),
            actor=system_principal(),
            kind="declarations",
            path=small,
            workers=1,
        )


def test_a_failing_reader_process_fails_the_job_with_its_traceback(
    tmp_path: Path, make_fresh_db: Callable[[], FreshDatabase]
) -> None:
    with pytest.raises(IngestFailed, match=r"reader process failed: FileNotFoundError") as failed:
        ingest_file(
            session_factory=_fresh_db(make_fresh_db),
            actor=system_principal(),
            kind="events",
            path=tmp_path / "missing.json",
            workers=1,
        )
    assert isinstance(failed.value.__cause__, ReaderFailed)
    assert "Traceback" in failed.value.__cause__.traceback
    assert "is marked failed" in failed.value.message and "run the same command again" in failed.value.message


@pytest.mark.postgres
def test_pipelined_job_on_postgresql_stores_the_same_as_one_process(
    pg_session: Session, tmp_path: Path
) -> None:
    """PostgreSQL binds times as UTC text with a zone (COPY); both modes store the same exact values."""
    path = _mixed_file(tmp_path / "mixed.json")
    factory = sessionmaker(bind=pg_session.connection(), join_transaction_mode="create_savepoint")
    results = []
    for workers in (0, 1):
        recon = ingest_file(
            session_factory=factory,
            actor=system_principal(),
            kind="events",
            path=path,
            batch_size=7,
            workers=workers,
        )
        results.append((recon.stored, recon.duplicates, recon.quarantined, *_snapshot(factory, str(path))))
        with factory.begin() as s:  # the next mode starts from the same tables
            s.execute(delete(ContainerEvent).where(ContainerEvent.source == str(path)))
            s.execute(delete(QuarantinedRecord).where(QuarantinedRecord.source == str(path)))
    assert results[0] == results[1]
    stored = results[1][3]
    assert len(stored) == results[1][0] and results[1][:3] == (34, 2, 8)
    ev3 = next(e for e in stored if e["event_id"] == "ev-3")
    assert ev3["event_datetime"] == datetime.fromisoformat(event(3)["eventDateTime"])
    assert ev3["event_created_datetime"] == datetime.fromisoformat(event(3)["eventCreatedDateTime"])


def test_cli_pipelined_with_progress_bar(
    session_factory: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JSON Lines through the reader process, with the Rich progress bar (bytes) of the CLI."""
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    path = tmp_path / "e.jsonl"
    path.write_text("\n".join(json.dumps(event(i)) for i in range(60, 63)) + "\nnot json\n", encoding="utf-8")
    result = CliRunner().invoke(cli.app, ["events", str(path), "--workers", "1"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())  # Rich wraps lines at the terminal width
    assert "received 4, stored 3" in out and "balanced" in out and "line 4: invalid JSON" in out
    assert CliRunner().invoke(cli.app, ["events", str(path), "--workers", "2"]).exit_code != 0
