"""Reader and format cases: CSV quirks, the events wrapper, 3.0.0 IOT door events, exact fast paths."""

from __future__ import annotations

import copy
import json
import random
import string
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.identity.principal import system_principal
from mainport.ingest import declaration_store, event_store, readers
from mainport.ingest.checks import _canonical_ok
from mainport.ingest.declarations import FIELDS, REQUIRED
from mainport.ingest.models import QuarantinedRecord
from mainport.ingest.prepare import sqlite_time as _sqlite_time
from mainport.reference.containers import is_valid_container_number, make_container_number
from mainport.shipments.models import ContainerEvent
from tests.ingest.helpers import declaration, event


def _csv_line(d: dict[str, Any]) -> str:
    return ",".join(";".join(v) if isinstance(v, list) else str(v) for v in (d.get(h, "") for h in FIELDS))


def test_ragged_csv_rows_are_quarantined_alone(session: Session, tmp_path: Path) -> None:
    good, short, long_ = _csv_line(declaration(1)), _csv_line(declaration(2)), _csv_line(declaration(3))
    short = short.rsplit(",", 2)[0]  # two fields missing
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join([",".join(FIELDS), good, short, long_ + ",extra", ""]), encoding="utf-8")
    recon = declaration_store.ingest_declarations(
        session=session,
        actor=system_principal(),
        source="ragged",
        records=readers.read_declarations(path, required=REQUIRED),
    )
    assert (recon.received, recon.stored, recon.quarantined) == (3, 1, 2) and recon.balanced
    reasons = [p.reason for p in recon.problems]
    n = len(FIELDS)
    assert reasons == [
        f"ragged row: {n - 2} fields, the header has {n}",
        f"ragged row: {n + 1} fields, the header has {n}",
    ]
    assert [p.locator for p in recon.problems] == ["record 2 (line 3)", "record 3 (line 4)"]


def test_nul_byte_in_csv_quarantines_that_record_and_reading_goes_on(
    session: Session, tmp_path: Path
) -> None:
    lines = [
        ",".join(FIELDS),
        _csv_line(declaration(4)),
        _csv_line(declaration(5)),
        _csv_line(declaration(6)),
    ]
    lines[2] = lines[2].replace("bananas", "ban\x00anas")
    path = tmp_path / "nul.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    records = list(readers.read_declarations(path, required=REQUIRED))
    recon = declaration_store.ingest_declarations(
        session=session, actor=system_principal(), source="nul", records=records
    )
    assert (recon.received, recon.stored, recon.quarantined) == (3, 2, 1) and recon.balanced
    problem = recon.problems[0]
    assert (problem.locator, problem.reason) == (
        "record 2 (line 3)",
        "goods_description: NUL byte at character 4 (binary data?)",
    )
    stored = session.get(QuarantinedRecord, problem.quarantine_id)
    assert stored is not None and stored.kind == "declaration" and stored.status == "open"
    # PostgreSQL text cannot hold NUL: the raw record is kept as JSON, where NUL is the escape \u0000
    assert "\x00" not in stored.raw and "ban\\u0000anas" in stored.raw
    assert json.loads(stored.raw)["goods_description"] == "ban\x00anas"


def test_events_wrapper_file_is_streamed(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "wrapped.json"
    items = b",\n".join(orjson.dumps(event(i)) for i in range(100, 105))
    path.write_bytes(b'{"events": [\n' + items + b"\n]}\n")
    records = list(readers.read_events(path))
    assert [r.parsed["eventID"] for r in records] == [f"ev-{i}" for i in range(100, 105)]
    recon = event_store.ingest_events(session=session, actor=system_principal(), records=records, source="w")
    assert (recon.received, recon.stored) == (5, 5)


def test_array_layouts_read_the_same_elements(tmp_path: Path) -> None:
    """One per line (the fast path), pretty-printed, several per line and the last beside ']' agree."""
    evs: list[Any] = [event(i) for i in range(5)] + [[1], "x"]
    layouts = {
        "lines": "[\n" + ",\n".join(json.dumps(e) for e in evs) + "\n]",
        "pretty": json.dumps(evs, indent=2),
        "packed": json.dumps(evs),
        "mixed": "[" + json.dumps(evs[0]) + ",\n" + ", ".join(json.dumps(e) for e in evs[1:]) + "]",
    }
    for name, text in layouts.items():
        path = tmp_path / f"{name}.json"
        path.write_text(text, encoding="utf-8")
        records = list(readers.read_events(path))
        assert [r.parsed for r in records[:5]] == evs[:5], name
        assert [json.loads(r.raw_text) for r in records] == evs, name  # raw text is exactly the element
        errors = [r.error for r in records[5:]]
        assert errors == ["not a JSON object (got list)", "not a JSON object (got str)"], name
        assert [r.locator.split(" at ")[0] for r in records] == [f"record {i}" for i in range(1, 8)], name
        offset = int(records[2].locator.rsplit(" ", 1)[1])
        assert json.loads(text[offset : offset + len(records[2].raw_text)]) == evs[2], name


def _iot(i: int, code: str) -> dict[str, Any]:
    return {
        "eventID": f"iot-{i}",
        "eventDateTime": "2024-03-01T10:00:00Z",
        "eventUpdatedDateTime": "2024-03-01T10:05:00Z",
        "eventLocation": {"locationName": "Stack", "UNLocationCode": "NLRTM"},
        "eventClassification": {
            "eventTypeCode": "IOT",
            "eventClassifierCode": "ACT",
            "iotEventTypeCode": "DETC",
        },
        "equipmentDetails": {
            "equipmentReference": make_container_number("APZ", 4000 + i),
            "ISOEquipmentCode": "22GP",
        },
        "iotDetails": {"iotEventCode": code},
    }


def test_v3_iot_door_events_are_mapped_into_container_event(session: Session) -> None:
    evs = [_iot(1, "DRO"), _iot(2, "DRC"), _iot(3, "GNSS")]
    recon = event_store.ingest_events(
        session=session,
        actor=system_principal(),
        records=readers.records_from_objects(copy.deepcopy(evs)),
        source="iot",
    )
    assert (recon.stored, recon.quarantined) == (2, 1) and recon.balanced
    assert "only door events DRO/DRC" in recon.problems[0].reason
    rows = {
        r.event_id: r for r in session.scalars(select(ContainerEvent).where(ContainerEvent.source == "iot"))
    }
    opened = rows["iot-1"]
    assert (opened.event_type, opened.type_code, opened.event_classifier) == ("IOT", "DRO", "ACT")
    assert opened.equipment_reference == evs[0]["equipmentDetails"]["equipmentReference"]
    assert opened.event_datetime == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert opened.event_created_datetime == datetime(2024, 3, 1, 10, 5, tzinfo=UTC)  # eventUpdatedDateTime
    assert opened.unlocode == "NLRTM" and opened.hub == "rotterdam"
    assert rows["iot-2"].type_code == "DRC" and opened.payload["iotDetails"] == {"iotEventCode": "DRO"}


def test_fast_container_check_agrees_with_the_reference() -> None:
    rng = random.Random(6346)
    numbers = [make_container_number("MSC", n) for n in range(0, 999_999, 9973)]
    for _ in range(20_000):
        owner = "".join(rng.choice(string.ascii_uppercase) for _ in range(3))
        numbers.append(owner + rng.choice("UJZX") + "".join(rng.choice(string.digits) for _ in range(7)))
    numbers += ["MSCU 123456 5", "mscu1234565", "MSCU12345", ""]
    for number in numbers:
        if _canonical_ok(number):  # the fast path may only accept what the reference accepts
            assert is_valid_container_number(number), number
        elif number == number.strip().upper() and " " not in number and number:
            assert not is_valid_container_number(number), number
    assert sum(map(_canonical_ok, numbers)) > 1_500


def test_sqlite_time_text_is_the_same_as_formatting() -> None:
    texts = [
        "2024-01-01T00:00:30+00:00",
        "2024-01-01T00:00:30Z",
        "2024-01-01 00:00:30+00:00",
        "2024-01-01T00:00:30.123456+00:00",
        "2024-01-01T00:00:30.123456Z",
        "2024-01-01T00:00:30.12+00:00",
        "2024-01-01T02:00:30+02:00",
        "2024-01-01T00:00:30-00:00",
        " 2024-01-01T00:00:30+00:00",
        "2024-W01-1T00:00:30+00:00",
    ]
    for text in texts:
        value = datetime.fromisoformat(text.strip()).astimezone(UTC)
        assert (
            _sqlite_time(value, text)
            == _sqlite_time(value)
            == value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        ), text
