"""The calibration benchmark runs at a tiny scale and scales its figures back to full volume."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "world_calibration.py"


def _bench():
    spec = importlib.util.spec_from_file_location("world_calibration", BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def test_tiny_run_scales_volumes_back_to_full_size() -> None:
    bench = _bench()
    raw = bench.pooled([bench.run_world(7, 0.01, 10.0, seed) for seed in (1, 2)])
    rows = {r.figure: r for r in bench.calibration_rows(raw, 14, 0.01, 10.0)}
    # 14 days of Rotterdam at scale 0.01 (~3,300 boxes) must come back as ~8.5 M a year.
    assert rows["Rotterdam containers / year"].ok, rows["Rotterdam containers / year"]
    assert rows["Share scanned (Rotterdam; sea hubs)"].ok
    assert "Rotterdam kg / year (rotterdam)" in rows
    # read from the shared series: Rotterdam 46,789 kg in 2022 and 45,506 kg in 2023
    assert rows["Rotterdam kg / year (rotterdam)"].public == "45,506-46,789 (2022-2023)"
    assert rows["Antwerp kg / year (border, fixed rate)"].public == "109,900-116,000 (2022-2023)"
    table = bench.render(list(rows.values()))
    assert table.count("\n") == len(rows) + 1 and ("PASS" in table)


def test_tolerance_is_a_factor_either_way() -> None:
    bench = _bench()
    assert bench.within(100, 140) and bench.within(200, 140)
    assert not bench.within(90, 140) and not bench.within(220, 140)
    assert bench.within_range(3000, 4000, 11300) and bench.within_range(16000, 4000, 11300)
    assert not bench.within_range(2000, 4000, 11300) and not bench.within_range(17500, 4000, 11300)
