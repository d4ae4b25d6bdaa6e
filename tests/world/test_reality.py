"""The world answers inspection orders from its truth: finds in dirty boxes only, the same answer twice,
and the later account of a found load dropped from the seizure feed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from mainport.world import WorldConfig, generate_world
from mainport.world.config import CAPACITY_SHARE
from mainport.world.reality import InspectionOrder, WorldInspections
from mainport.world.scans import pair_requests

# Rotterdam scans a tenth of its boxes here: enough arrival re-scans of boxes scanned at the origin port.
WORLD = WorldConfig(
    days=6, seed=3, scale=0.004, smuggling_boost=300.0, capacity_share={**CAPACITY_SHARE, "rotterdam": 0.1}
)
AT = datetime(2024, 3, 9, 12, tzinfo=UTC)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in path.read_bytes().splitlines()]


@pytest.fixture
def world(tmp_path: Path) -> Path:
    generate_world(WORLD, tmp_path)
    return tmp_path


def test_orders_find_loads_only_where_there_are_loads(world: Path) -> None:
    loads = [x for x in _lines(world / "truth" / "loads.jsonl") if x["reference"] and x["method"] != "hull"]
    loads = [x for x in loads if x["outcome"] != "seized_inspection"]
    dirty = {x["reference"] for x in loads}
    clean = [
        d["reference"]
        for p in sorted((world / "declarations").glob("*.jsonl"))
        for d in _lines(p)
        if d["reference"] not in dirty
    ][:40]
    assert len(loads) >= 5 and len(clean) == 40
    orders = [InspectionOrder(x["reference"], x["container_number"] or None, "physical", AT) for x in loads]
    orders += [InspectionOrder(ref, None, "scan", AT) for ref in clean]
    inspections = WorldInspections(world)
    first = inspections.inspect(orders)
    assert not any(f.found for f in first[len(loads) :])  # nothing in a clean box
    found = [f for f in first if f.found]
    assert found and all(f.kg > 0 and f.modus_operandi for f in found)
    assert len(found) < len(loads) or len(loads) < 8  # detection is not certain
    again = WorldInspections(world).inspect(orders)
    assert [f.found for f in again] == [f.found for f in first]
    trail = _lines(world / "truth" / "ordered_inspections.jsonl")
    assert len(trail) == 2 * len(orders)
    with pytest.raises(ValueError, match="timezone"):
        inspections.inspect([replace(orders[0], at=AT.replace(tzinfo=None))])


def test_a_found_load_leaves_the_seizure_feed(world: Path) -> None:
    seized = [
        s for p in sorted((world / "seizures").glob("*.jsonl")) for s in _lines(p) if s.get("reference")
    ]
    later = [s for s in seized if s["found_by"] != "inspection"]
    if not later:
        pytest.skip("this world has no load seized by a tip or the consignee")
    inspections = WorldInspections(world)
    refs = [s["reference"] for s in later]
    findings = inspections.inspect([InspectionOrder(r, None, "physical", AT) for r in refs])
    found = {f.order.reference for f in findings if f.found}
    dropped = inspections.settle_seizures()
    assert dropped == len([s for s in later if s["reference"] in found])
    left = {s.get("reference") for p in (world / "seizures").glob("*.jsonl") for s in _lines(p)}
    assert not found & left


def test_scan_pairs_are_origin_and_later_arrival_of_one_box(world: Path) -> None:
    chosen = pair_requests(world, limit=3)
    by_box: dict[str, list[dict[str, Any]]] = {}
    for r in chosen:
        by_box.setdefault(r["container_number"], []).append(r)
    assert chosen and len(by_box) <= 3
    for pair in by_box.values():
        phases = [r["phase"] for r in sorted(pair, key=lambda r: r["scan_time"])]
        assert phases == ["origin", "arrival"]
