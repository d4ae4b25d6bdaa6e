"""`make run` on an empty database: a world that ends today, loaded through ingest, then the product at work.

Two sides, kept apart:
- the world (`mainport.world`): generates the files, renders a few scans, and answers the inspections the
  officers order (`world.reality.WorldInspections`: it alone reads its ground truth);
- the product: ingest loads the files, `driver.Demo` uses the domain services as the cast of users would.

Order matters where the world's account depends on what the product did: seizures are loaded last, after
the world has dropped the later account of the loads the ordered inspections found.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.orm import Session, sessionmaker

from mainport.demo.driver import Demo
from mainport.demo.plan import DemoPlan, Timeline, timeline, world_config
from mainport.identity.principal import system_principal
from mainport.world.generate import INGEST_INPUTS, generate_world, load_world
from mainport.world.reality import WorldInspections

FEEDS_FIRST = tuple(dict.fromkeys(k for k, _, _ in INGEST_INPUTS if k != "seizures"))


class _Rendering:
    """`python -m mainport.world.scans OUT PAIRS` in the background; `result()` waits for its files."""

    def __init__(self, out: Path, pairs: int) -> None:
        self.cmd = [sys.executable, "-m", "mainport.world.scans", str(out), str(pairs)]

    def __enter__(self) -> _Rendering:
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return self

    def result(self) -> list[Path]:
        stdout, stderr = self.proc.communicate()
        if self.proc.returncode != 0:
            raise RuntimeError(f"rendering the scans failed: {stderr.decode(errors='replace')[-2000:]}")
        return [Path(p) for p in orjson.loads(stdout)]

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@dataclass
class FirstStart:
    timeline: Timeline
    world: dict[str, Any]  # generate_world's summary
    ingest: dict[str, Any]  # kind -> Reconciliation (summed over its files)
    counts: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)  # wall clock per step
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # this process's CPU per step

    @property
    def total_seconds(self) -> float:
        return round(sum(self.seconds.values()), 1)


def run_first_start(
    factory: sessionmaker[Session],
    out: Path,
    *,
    plan: DemoPlan | None = None,
    now: datetime | None = None,
    log: Callable[[str], None] = lambda _msg: None,
) -> FirstStart:
    plan = plan or DemoPlan()
    tl = timeline(plan, now)
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    t, c = time.perf_counter(), time.process_time()

    def lap(name: str) -> None:
        nonlocal t, c
        seconds[name] = round(time.perf_counter() - t, 2)
        cpu[name] = round(time.process_time() - c, 2)
        t, c = time.perf_counter(), time.process_time()

    if out.exists():  # an earlier first start's files (another date range) must not be loaded with these
        shutil.rmtree(out)
    summary = generate_world(world_config(plan, tl), out)
    counts = summary["counts"]
    log(
        f"world: {tl.start} .. {tl.today} (+{plan.horizon_days} days on their way), "
        f"{counts.get('declarations', 0):,} declarations, {counts.get('events', 0):,} events"
    )
    # Rendering scans is the world's side and needs no database: it runs in a process of its own (a fresh
    # interpreter: nothing of this one is shared) while the files are loaded and the targeting runs.
    with _Rendering(out, plan.scan_pairs) as rendering:
        lap("generate")
        ingest = load_world(out, factory, system_principal(), kinds=FEEDS_FIRST, merged=True)
        lap("load")
        demo = Demo(factory, plan, tl, log=log)
        demo.people()
        demo.measure()
        demo.select()
        lap("targeting")
        demo.follow()
        demo.check_seals()
        lap("seals")
        world = WorldInspections(out)
        targeted = demo.orders()
        picked = demo.alert_orders()
        findings = world.inspect([*targeted, *(o for _, _, o in picked)])
        demo.record_outcomes(findings[: len(targeted)])
        demo.cases_from_alerts(picked, findings[len(targeted) :])
        demo.counts["world_seizures_settled"] = world.settle_seizures()
        ingest.update(load_world(out, factory, system_principal(), kinds=("seizures",), merged=True))
        lap("inspections")
        demo.custody()
        demo.release_rights()
        lap("custody")
        scan_files = rendering.result()
    demo.scans(scan_files)
    lap("scans")
    demo.waterbed()
    lap("monitoring")
    return FirstStart(tl, summary, ingest, dict(demo.counts), seconds, cpu)
