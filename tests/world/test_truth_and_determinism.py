"""Same seed, same world; the truth stays in truth/ and never reaches what is ingested."""

from __future__ import annotations

import hashlib
import sys
import types
from pathlib import Path
from typing import Any

import orjson
import pytest

from mainport.world import World, generate_world
from mainport.world.enforcement import VIEW_COLUMNS
from mainport.world.generate import ingest_files, load_world

from .conftest import SMALL


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def test_same_seed_gives_byte_identical_files(small_world: Path, tmp_path: Path) -> None:
    generate_world(SMALL, tmp_path / "again")
    assert _digests(small_world) == _digests(tmp_path / "again")


def test_another_seed_gives_another_world(small_world: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    generate_world(replace(SMALL, seed=12, days=1), tmp_path / "other")
    ours = (small_world / "declarations" / "declarations-2024-03-04.jsonl").read_bytes()
    theirs = (tmp_path / "other" / "declarations" / "declarations-2024-03-04.jsonl").read_bytes()
    assert ours != theirs


def test_truth_is_written_and_names_loads_and_insiders(small_world: Path) -> None:
    loads = [orjson.loads(x) for x in (small_world / "truth" / "loads.jsonl").read_bytes().splitlines()]
    assert loads, "a boosted small world must carry some loads"
    assert {"method", "kg", "hub", "outcome", "org"} <= set(loads[0])
    assert (small_world / "truth" / "insiders.jsonl").read_bytes()


def test_no_product_file_carries_truth(small_world: Path) -> None:
    files = ingest_files(small_world)
    assert {k for k, _ in files} == {
        "declarations",
        "events",
        "access",
        "eseal",
        "inspections",
        "seizures",
        "vessel_calls",
    }
    assert all("truth" not in p.parts for _, p in files)
    loads = [orjson.loads(x) for x in (small_world / "truth" / "loads.jsonl").read_bytes().splitlines()]
    markers = {x["id"] for x in loads} | {x["org"] for x in loads} | {"seized_", "rip_on", "front_party"}
    shipment_ids = {x["shipment_id"] for x in loads if x["shipment_id"]}
    for _, path in files:
        text = path.read_text()
        # The modus operandi of a seizure is known once it is found.
        known = {"rip_on", "seized_"} if path.parent.name == "seizures" else set()
        markers_here = markers - known
        for m in markers_here | shipment_ids:
            assert m not in text, f"{m!r} leaks into {path}"


def test_policy_view_shows_only_declaration_fields() -> None:
    world = World(SMALL)
    view = world.day_declarations(0)
    assert tuple(view.columns) == VIEW_COLUMNS
    dirty_rows = {a.row for a in world.attempts(0) if a.row >= 0}
    # shipment ids are positional: nothing in them separates dirty from clean rows.
    assert all(view["shipment_id"].str.match(r"^S0000-\d{6}$"))
    assert len(dirty_rows) <= len(view)


def test_load_world_goes_through_ingest_file_and_never_truth(small_world: Path, monkeypatch: Any) -> None:
    calls: list[tuple[str, Path]] = []

    class Rec:
        def __init__(self) -> None:
            self.n = 1

        def add(self, other: Rec) -> None:
            self.n += other.n

    def ingest_file(*, session_factory: Any, actor: Any, kind: str, path: Path, **_: Any) -> Rec:
        calls.append((kind, path))
        return Rec()

    fake = types.ModuleType("mainport.ingest.jobs")
    fake.ingest_file = ingest_file  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mainport.ingest.jobs", fake)
    results = load_world(small_world, session_factory=lambda: None, actor=object())
    assert calls and all("truth" not in p.parts and p.name != "requests.jsonl" for _, p in calls)
    assert results["declarations"].n == len(list((small_world / "declarations").glob("*.jsonl")))
    assert [k for k, _ in calls].index("events") > [k for k, _ in calls].index("declarations")
    assert any(p.parent.name == "telemetry" for _, p in calls)
    assert {k for k, _ in calls} >= {"access", "eseal", "inspections", "seizures"}
    assert "not_ingested" not in results


def test_load_world_refuses_a_folder_that_is_not_a_world(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a generated world"):
        ingest_files(tmp_path)
