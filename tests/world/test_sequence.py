"""Physically possible sequences across day files: nothing loaded after the vessel left, nothing actual in
the future of the generation time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from mainport.world import generate_world
from tests.world.conftest import SMALL


def _events_in_file_order(root: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in sorted((root / "events").glob("*.json")):
        out.extend(orjson.loads(p.read_bytes()))
    return out


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def _call(e: dict[str, Any]) -> tuple[str, str, str]:
    tc = e["transportCall"]
    return (tc["vessel"]["vesselIMONumber"], tc["exportVoyageNumber"], tc["UNLocationCode"])


def test_no_load_or_discharge_after_the_vessel_departed(small_world: Path) -> None:
    events = _events_in_file_order(small_world)
    departures: dict[tuple[str, str, str], set[datetime]] = {}
    for e in events:
        if e.get("transportEventTypeCode") == "DEPA" and e["eventClassifierCode"] == "ACT":
            departures.setdefault(_call(e), set()).add(_t(e["eventDateTime"]))
    # One departure per call, however many day files repeat it.
    assert departures and all(len(times) == 1 for times in departures.values())
    checked = 0
    for e in events:
        if e.get("equipmentEventTypeCode") in ("LOAD", "DISC") and "transportCall" in e:
            dep = departures.get(_call(e))
            if dep is not None:
                assert _t(e["eventDateTime"]) <= min(dep), (e, dep)
                checked += 1
    assert checked > 100


def test_a_repeated_departure_has_one_event_id(small_world: Path) -> None:
    ids: dict[tuple[str, str, str], set[str]] = {}
    for e in _events_in_file_order(small_world):
        if e.get("transportEventTypeCode") == "DEPA":
            ids.setdefault(_call(e), set()).add(e["eventID"])
    assert all(len(v) == 1 for v in ids.values())


def test_nothing_actual_after_the_generation_time(tmp_path: Path) -> None:
    # Generated "now" in the middle of the last day: discharges, gate-outs and hub departures still ahead.
    start = datetime(SMALL.start.year, SMALL.start.month, SMALL.start.day, tzinfo=UTC)
    now = start + timedelta(days=2, hours=12)
    generate_world(replace(SMALL, days=3, now=now), tmp_path)
    events = _events_in_file_order(tmp_path)
    future = [e for e in events if _t(e["eventDateTime"]) > now]
    assert future, "the world should reach beyond `now` for this test to mean something"
    assert all(e["eventClassifierCode"] == "EST" for e in future)
    assert all(_t(e["eventCreatedDateTime"]) <= now for e in events)
    past = [e for e in events if _t(e["eventDateTime"]) <= now]
    assert past and all(e["eventClassifierCode"] == "ACT" for e in past)
    iot = orjson.loads((tmp_path / "telemetry" / "iot-2024-03-06.json").read_bytes())["events"]
    assert all(_t(e["eventDateTime"]) <= now for e in iot)
    manifest = orjson.loads((tmp_path / "manifest.json").read_bytes())
    assert _t(manifest["now"]) == now
