"""Poison records: whatever one record holds, it is quarantined with its reason and the job goes on.

Each file below mixes good records with one kind of poison (NUL, bad bytes, nesting, size, types, bytes
that are not text at all) and is ingested as a file job on SQLite and PostgreSQL: the job finishes, the
counts reconcile, the good records are stored and the quarantine holds each bad record once, stored safely.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal, system_principal
from mainport.ingest import event_store, readers
from mainport.ingest.declarations import FIELDS, REQUIRED
from mainport.ingest.jobs import ingest_file
from mainport.ingest.models import QuarantinedRecord
from mainport.shipments.models import ContainerEvent, Declaration
from tests.ingest.helpers import declaration, event

Headers = Callable[[Principal], dict[str, str]]


def _jsonl(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _quarantined(factory: sessionmaker[Session]) -> list[QuarantinedRecord]:
    with factory() as s:
        return list(s.scalars(select(QuarantinedRecord).order_by(QuarantinedRecord.id)))


def _ingest(factory: sessionmaker[Session], kind: str, path: Path) -> Any:
    recon = ingest_file(session_factory=factory, actor=system_principal(), kind=kind, path=path)
    assert recon.balanced, recon.summary()
    return recon


EV = {i: orjson.dumps(event(i)) for i in range(1, 10)}


@pytest.mark.parametrize(
    ("name", "line", "reason"),
    [
        ("nul-in-event-id", orjson.dumps(event(50, eventID="ev-\x0050")), "eventID: NUL character"),
        (
            "nul-in-a-nested-field",
            orjson.dumps(event(51, transportCall={**event(51)["transportCall"], "transportCallID": "t\x00"})),
            "transportCall.transportCallID: NUL character",
        ),
        ("nul-in-a-key", orjson.dumps({**event(52), "x\x00": 1}), "(a key): NUL character"),
        ("raw-nul-byte", EV[1][:-1].replace(b"ev-1", b"ev-\x00z") + b"}", "invalid JSON"),
        ("bad-byte-and-nul", EV[2].replace(b"ev-2", b"ev-\xe9\x00"), "not valid UTF-8"),
        ("lone-surrogate", EV[3].replace(b'"ev-3"', b'"ev-\\ud800"'), "invalid JSON"),
        ("too-deep-for-orjson", b"[" * 5000 + b"]" * 5000, "depth limit exceeded"),
        ("types", orjson.dumps(event(53, seals="SL1", eventLocation=[1])), "eventLocation"),
    ],
)
def test_poison_line_in_a_jsonl_events_file(
    session_factory: sessionmaker[Session], tmp_path: Path, name: str, line: bytes, reason: str
) -> None:
    path = _jsonl(tmp_path / f"{name}.jsonl", [EV[5], line, EV[6]])
    recon = _ingest(session_factory, "events", path)
    assert (recon.received, recon.stored, recon.quarantined) == (3, 2, 1)
    assert reason in recon.problems[0].reason, recon.problems[0].reason
    (q,) = _quarantined(session_factory)
    assert "\x00" not in q.raw and q.reason == recon.problems[0].reason


def test_nul_and_surrogates_through_the_exact_decoder(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """A pretty-printed array goes through Python's decoder, which accepts unpaired surrogate escapes."""
    evs = [event(60), event(61, eventID="ev-\ud83d"), event(62, eventID="ev-\x0062"), event(63)]
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps(evs, indent=2), encoding="utf-8")
    recon = _ingest(session_factory, "events", path)
    assert (recon.stored, recon.quarantined) == (2, 2)
    assert [p.reason.split(";")[0] for p in recon.problems] == [
        "eventID: unpaired surrogate U+D83D at character 4",
        "eventID: NUL character (U+0000) at character 4",
    ]


def test_one_element_nested_too_deeply_for_python_is_quarantined(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    deep = '{"a": ' * 3000 + "1" + "}" * 3000  # beyond the recursion limit of Python's decoder
    path = tmp_path / "deep.json"
    path.write_text("[" + ", ".join([json.dumps(event(70)), deep, json.dumps(event(71))]) + "]", "utf-8")
    recon = _ingest(session_factory, "events", path)
    assert (recon.received, recon.stored, recon.quarantined) == (3, 2, 1)
    assert "nested too deeply" in recon.problems[0].reason


def test_nul_in_declarations_of_every_format(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    good, bad = declaration(80), declaration(81, goods_description="bana\x00nas")
    lines = [orjson.dumps(good), orjson.dumps(bad)]
    recon = _ingest(session_factory, "declarations", _jsonl(tmp_path / "d.jsonl", lines))
    assert (recon.stored, recon.quarantined) == (1, 1)
    assert recon.problems[0].reason.startswith("goods_description: NUL character (U+0000) at character 5")
    (q,) = _quarantined(session_factory)
    assert json.loads(q.raw)["goods_description"] == "bana\x00nas"  # kept as the JSON escape \u0000


def test_csv_without_required_columns_and_a_bad_byte(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """This ended the job with a TypeError (the bad byte could not be written as JSON)."""
    path = tmp_path / "short.csv"
    path.write_bytes(b"reference,goods_description\nR1,caf\xe9\nR2,tea\n")
    recon = _ingest(session_factory, "declarations", path)
    assert (recon.received, recon.quarantined) == (2, 2)
    assert recon.flagged is not None and recon.flagged.startswith("no valid header: missing column filed_at")
    raws = [json.loads(q.raw) for q in _quarantined(session_factory)]
    assert raws == [
        {"reference": "R1", "goods_description": "caf\ufffd"},
        {"reference": "R2", "goods_description": "tea"},
    ]


def _csv_line(d: dict[str, Any]) -> str:
    return ",".join(";".join(v) if isinstance(v, list) else str(v) for v in (d.get(h, "") for h in FIELDS))


def test_an_unclosed_quote_does_not_swallow_the_next_rows(tmp_path: Path) -> None:
    broken = _csv_line(declaration(91)).replace("bananas", '"bananas')
    lines = [
        ",".join(FIELDS),
        _csv_line(declaration(90)),
        broken,
        _csv_line(declaration(92)),
        _csv_line(declaration(93)),
    ]
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    records = list(readers.read_declarations(path, required=REQUIRED))
    assert [r.locator for r in records] == [
        "record 1 (line 2)",
        "record 2 (line 3)",
        "record 3 (line 4)",
        "record 4 (line 5)",
    ]
    assert records[1].error is not None and records[1].error.startswith(
        "unclosed quote: a quoted field opened on line 3"
    )
    assert [r.parsed["reference"] for r in records if r.error is None] == [
        declaration(i)["reference"] for i in (90, 92, 93)
    ]


def test_a_quoted_field_over_several_lines_is_still_one_record(tmp_path: Path) -> None:
    multi = _csv_line(declaration(95, goods_description='"bananas\nand\nmore bananas"'))
    path = tmp_path / "multi.csv"
    path.write_text("\n".join([",".join(FIELDS), multi, _csv_line(declaration(96))]) + "\n", encoding="utf-8")
    records = list(readers.read_declarations(path, required=REQUIRED))
    assert [r.error for r in records] == [None, None]
    assert records[0].parsed["goods_description"] == "bananas\nand\nmore bananas"


def test_random_bytes_are_quarantined_in_part_and_flagged(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    import random

    rng = random.Random(23)
    path = tmp_path / "noise.json"
    path.write_bytes(
        b"\n".join(bytes(rng.randrange(256) for _ in range(60)).replace(b"\n", b" ") for _ in range(2500))
    )
    recon = _ingest(session_factory, "events", path)
    assert recon.received == 2500 and recon.quarantined == 2500 and recon.stored == 0
    assert recon.not_kept == 1500 and recon.flagged is not None and "mostly garbage" in recon.flagged
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(QuarantinedRecord)) == 1000


def test_a_mostly_good_file_keeps_every_bad_record(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    lines = []
    for i in range(1, 2401):
        lines.append(orjson.dumps(event(i)) if i % 3 else b"not json %d" % i)
    recon = _ingest(session_factory, "events", _jsonl(tmp_path / "some.jsonl", lines))
    assert (recon.stored, recon.quarantined, recon.not_kept, recon.flagged) == (1600, 800, 0, None)


def test_quarantine_is_idempotent_across_re_runs(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    lines = [EV[1], b"{broken", orjson.dumps(event(2, eventDateTime="yesterday")), EV[3]]
    path = _jsonl(tmp_path / "again.jsonl", lines)
    first = _ingest(session_factory, "events", path)
    second = _ingest(session_factory, "events", path)
    assert (first.stored, first.quarantined) == (2, 2)
    assert (second.stored, second.duplicates, second.quarantined) == (0, 2, 2)
    assert [p.quarantine_id for p in second.problems] == [p.quarantine_id for p in first.problems]
    assert len(_quarantined(session_factory)) == 2


def test_a_line_far_over_the_limit_is_read_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as f:
        f.write(EV[1] + b"\n")
        f.write(b'{"eventID": "' + b"x" * (40 * 1024 * 1024) + b'"}\n')
        f.write(EV[2] + b"\n")
    array = tmp_path / "huge.json"
    with array.open("wb") as f:
        f.write(b"[" + EV[1] + b", " + b'{"eventID": "' + b"y" * (40 * 1024 * 1024) + b'"}, ' + EV[2] + b"]")
    for source in (path, array):
        tracemalloc.start()
        records = list(readers.read_events(source))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert [r.error is None for r in records] == [True, False, True], source
        assert "cut while reading" in (records[1].error or "") and records[1].raw_size >= 40 * 1024 * 1024
        assert peak < 24 * 1024 * 1024, (source, peak)  # the 40 MB record was never held whole


def test_run_row_counts_committed_batches(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    from mainport.ingest.models import IngestRun

    path = _jsonl(tmp_path / "batches.jsonl", [orjson.dumps(event(i)) for i in range(1, 8)])
    recon = ingest_file(
        session_factory=session_factory, actor=system_principal(), kind="events", path=path, batch_size=3
    )
    with session_factory() as s:
        run = s.get(IngestRun, recon.run_id)
        assert run is not None
        assert (run.status, run.batches, run.received, run.stored) == ("finished", 3, 7, 7)


def test_poison_through_the_api_never_answers_5xx(
    app_client: TestClient, principal_factory: Callable[..., Principal], token_for: Headers, session: Session
) -> None:
    officer = token_for(principal_factory(role=Role.officer, kind=OrgKind.customs))
    deep = b'{"a": ' * 300 + b"1" + b"}" * 300  # parses (orjson reads 1,024 levels), cannot be kept as JSON
    parts = [orjson.dumps(event(100)), orjson.dumps(event(101, eventID="ev-\x00101"))]
    parts += [orjson.dumps(event(102))[:-1] + b', "deep": ' + deep + b"}", orjson.dumps(event(103, seals=3))]
    answer = app_client.post("/api/v1/events", content=b"[" + b",".join(parts) + b"]", headers=officer)
    assert answer.status_code == 200, answer.text
    got = answer.json()
    assert (got["received"], got["stored"], got["quarantined"]) == (4, 1, 3)
    reasons = [p["reason"] for p in got["problems"]]
    assert "NUL character" in reasons[0] and "nested too deeply" in reasons[1]
    decl = [declaration(110), declaration(111, goods_description="x\x00"), declaration(112, packages=True)]
    answer = app_client.post("/api/v1/declarations", content=orjson.dumps(decl), headers=officer)
    assert answer.status_code == 200 and answer.json()["stored"] == 1
    cut = app_client.post("/api/v1/events", content=b"[" + orjson.dumps(event(120)), headers=officer)
    assert cut.status_code == 422
    assert (
        session.scalar(
            select(func.count()).select_from(ContainerEvent).where(ContainerEvent.event_id == "ev-100")
        )
        == 1
    )
    assert session.scalar(select(func.count()).select_from(Declaration)) == 1


def test_an_oversized_request_is_refused_before_it_is_read(
    app_client: TestClient, principal_factory: Callable[..., Principal], token_for: Headers
) -> None:
    from mainport.ingest.api import MAX_BODY

    officer = token_for(principal_factory(role=Role.officer, kind=OrgKind.customs))
    headers = {**officer, "content-length": str(MAX_BODY + 1), "content-type": "application/json"}
    answer = app_client.post("/api/v1/events", content=b"[]", headers=headers)
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "payload_too_large"


def test_records_from_the_api_over_the_record_limit_are_quarantined() -> None:
    recs = list(readers.records_from_objects([{"eventID": "x" * (5 * 1024 * 1024)}, event(1)]))
    assert recs[0].error is not None and "limit is" in recs[0].error and len(recs[0].raw_text) <= 64 * 1024
    assert recs[1].error is None


def test_service_batches_store_what_others_stored_meanwhile_as_duplicates(session: Session) -> None:
    """Two batches over the same events in one transaction: the second finds all of them stored."""
    actor = system_principal()
    recs = [event(i) for i in range(200, 205)]
    first = event_store.ingest_events(
        session=session, actor=actor, records=readers.records_from_objects(recs), source="a"
    )
    again = event_store.ingest_events(
        session=session, actor=actor, records=readers.records_from_objects(recs), source="b"
    )
    assert (first.stored, again.stored, again.duplicates) == (5, 0, 5)
