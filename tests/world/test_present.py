"""A world that runs past its generation time (`now`): boxes on their way exist, nothing after `now` is
reported; per-hub volume and a scripted displacement for demos leave the calibrated world as it was."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from mainport.world import RiskRulePolicy, World, WorldConfig, generate_world

START = date(2024, 3, 4)
# Twelve days, "now" at noon of day 7: five days of boxes still on their way.
NOW = datetime(2024, 3, 11, 12, 0, tzinfo=UTC)
PRESENT = WorldConfig(days=12, seed=5, scale=0.004, smuggling_boost=150.0, start=START, now=NOW)


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def _jsonl(root: Path, folder: str) -> list[dict[str, Any]]:
    return [
        orjson.loads(line)
        for p in sorted((root / folder).glob("*.jsonl"))
        for line in p.read_bytes().splitlines()
    ]


@pytest.fixture(scope="module")
def present(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("present")
    return out, generate_world(PRESENT, out)


def test_nothing_after_now_is_reported(present: tuple[Path, dict[str, Any]]) -> None:
    root, summary = present
    decls = _jsonl(root, "declarations")
    assert decls and all(_t(d["filed_at"]) <= NOW for d in decls)
    assert all(not d["amended_at"] or _t(d["amended_at"]) <= NOW for d in decls)
    # Boxes arriving after now were declared already: their declarations are there.
    future_files = [p for p in (root / "declarations").glob("*.jsonl") if p.stem[-10:] > "2024-03-11"]
    assert any(p.read_bytes().strip() for p in future_files)
    access = _jsonl(root, "access")
    assert access and all(_t(a["at"]) <= NOW for a in access)
    eseal = [t for t in _jsonl(root, "telemetry") if t.get("kind") == "eseal_status"]
    assert all(_t(t["reportedAt"]) <= NOW for t in eseal)
    assert all(_t(i["inspected_at"]) <= NOW for i in _jsonl(root, "inspections"))
    assert all(_t(s["seized_at"]) <= NOW for s in _jsonl(root, "seizures"))
    requests = (root / "scans" / "requests.jsonl").read_bytes().splitlines()
    assert all(_t(orjson.loads(r)["scan_time"]) <= NOW for r in requests)
    counts = summary["counts"]
    assert counts["withheld_declarations"] > 0 and counts["withheld_access_logs"] > 0
    # Truth keeps everything: evaluation sees the whole simulated period.
    loads = [orjson.loads(x) for x in (root / "truth" / "loads.jsonl").read_bytes().splitlines()]
    assert max(x["day"] for x in loads) >= 10


def test_a_world_in_the_past_withholds_nothing(tmp_path: Path) -> None:
    summary = generate_world(replace(PRESENT, days=3, now=NOW + timedelta(days=30)), tmp_path)
    assert not [k for k in summary["counts"] if k.startswith("withheld_")]


def test_hub_volume_multiplies_a_hubs_boxes() -> None:
    base = World(replace(PRESENT, now=None)).day_declarations(0)
    more = World(replace(PRESENT, now=None, hub_volume={"north_sea_canal": 10.0})).day_declarations(0)
    assert (more["hub"] == "north_sea_canal").sum() > 4 * max(1, (base["hub"] == "north_sea_canal").sum())
    with pytest.raises(ValueError, match="hub_volume"):
        WorldConfig(hub_volume={"atlantis": 2.0})


def _hubs(config: WorldConfig, days: int) -> list[Counter[str]]:
    world, policy = World(config), RiskRulePolicy(seed=config.seed)
    out = []
    for day in range(days):
        world.step(day, policy)
        out.append(Counter(a.hub for a in world.attempts(day)))
    return out


def test_displacement_moves_loads_from_its_day_on() -> None:
    config = replace(PRESENT, now=None, days=8)
    before = _hubs(config, 8)
    moved = _hubs(replace(config, displacement=((4, "rotterdam", "zeeland_west_brabant", 1.0),)), 8)
    assert before[:4] == moved[:4]  # nothing changes before the day, not even a random draw
    assert sum(c["rotterdam"] for c in moved[4:]) == 0
    zwb = "zeeland_west_brabant"
    assert sum(c[zwb] for c in moved[4:]) > sum(c[zwb] for c in before[4:])
    with pytest.raises(ValueError, match="displacement"):
        WorldConfig(displacement=((1, "rotterdam", "atlantis", 0.5),))
