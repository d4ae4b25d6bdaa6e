"""Diver inspections chosen by the vessel score vs at random, in the world's hull-load process.

    .venv/bin/python benchmarks/vessel_dives.py                 # 10 seeds x 364 days
    .venv/bin/python benchmarks/vessel_dives.py --seeds 3 --days 120   # quick

Generator: mainport.world.hulls (port calls of the world's liner services from the Latin American lanes at
the Dutch sea hubs; hidden hull/sea-chest loads; compromised crews). Capacity: one dive per 50 calls from
source/transit countries (a budget that accrues per call, spent on a week's announced arrivals at a time).
Both policies run on the same seed's calls, each in its own copy of the world (a find can lead to an
arrest, which changes later calls). The score is the product's (mainport.vessels.score + selection, 20%
exploration), learning from its own dive outcomes only; random dives pick uniformly among the week's
calls; "records" is the ablation: the score without its prior terms (route, waits, crew changes), learning
from the dive records alone.

HONESTY: the hull process and the score were written by the same engineer: the score's prior terms (waits
at anchor, crew changes in source ports) are the traces this generator gives loaded calls, so the figure
measures the score on its own assumptions, not on an independent generator or real dive data.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime

import numpy as np

from mainport.vessels.score import CallInput, History, PortCall, score_calls
from mainport.vessels.selection import choose
from mainport.world.hulls import Call, HullWorld
from mainport.world.network import build_network

CALLS_PER_DIVE = 50
POLICIES = ("score", "random", "records")
PLAN_DAYS = 7  # the dive plan covers a week of announced arrivals


def _input(i: int, c: Call) -> CallInput:
    return CallInput(
        call_id=i,
        vessel_imo=c.imo,
        port_calls=[PortCall(p["unlocode"], p["anchorage_hours"]) for p in c.port_calls],
        crew_change_ports=[x["unlocode"] for x in c.crew_changes],
    )


def run(seed: int, days: int, policy: str) -> dict[str, float]:
    net = build_network(seed)
    epoch0 = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
    world = HullWorld(seed, net, epoch0)
    rng = np.random.default_rng([seed, 77, POLICIES.index(policy)])
    history = History()
    budget = 0.0
    out = {"calls": 0, "loads": 0, "dives": 0, "found": 0, "kg": 0.0}
    # Diver teams plan a week ahead from the arrival notices of the week's calls.
    for week_start in range(0, days, PLAN_DAYS):
        calls = [c for day in range(week_start, min(days, week_start + PLAN_DAYS)) for c in world.calls(day)]
        out["calls"] += len(calls)
        out["loads"] += sum(1 for c in calls if c.load_kg)
        budget += len(calls) / CALLS_PER_DIVE
        cap = min(int(budget), len(calls))
        budget -= cap
        if not cap:
            continue
        inputs = [_input(i, c) for i, c in enumerate(calls)]
        if policy in ("score", "records"):
            scored = score_calls(inputs, history, priors=policy == "score")
            picks = [p.call_id for p in choose(scored, cap, seed=rng)]
        else:
            picks = [int(i) for i in rng.choice(len(calls), size=cap, replace=False)]
        for i in picks:
            kg = world.dive(calls[i], rng)
            history.add(calls[i].imo, [p.unlocode for p in inputs[i].port_calls], kg > 0)
            out["dives"] += 1
            out["found"] += int(kg > 0)
            out["kg"] += kg
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--days", type=int, default=364)
    args = ap.parse_args(argv)
    started = time.perf_counter()
    rows = []
    records = 0
    print(f"{'seed':>4} {'calls':>6} {'loads':>5} {'dives':>5} {'score':>5} {'random':>6} {'records':>7}")
    for seed in range(1, args.seeds + 1):
        s = run(seed, args.days, "score")
        r = run(seed, args.days, "random")
        o = run(seed, args.days, "records")
        rows.append((s, r))
        records += o["found"]
        line = f"{seed:>4} {s['calls']:>6} {s['loads']:>5} {s['dives']:>5} {s['found']:>5} {r['found']:>6}"
        print(f"{line} {o['found']:>7}")
    found_s = sum(s["found"] for s, _ in rows)
    found_r = sum(r["found"] for _, r in rows)
    dives = sum(s["dives"] for s, _ in rows)
    ratios = [s["found"] / r["found"] for s, r in rows if r["found"]]
    print(
        f"\n{args.seeds} seeds x {args.days} days, 1 dive per {CALLS_PER_DIVE} calls from source/transit "
        f"countries ({dives} dives per policy)"
    )
    print(f"hull loads found: vessel score {found_s}, random {found_r}")
    print(
        "ablation: the score without its prior terms (dive records of vessels and ports only) found "
        f"{records}"
        f" = {records / found_r if found_r else float('inf'):.2f}x random"
    )
    ratio = found_s / found_r if found_r else float("inf")
    print(
        f"ratio score/random (pooled): {ratio:.2f}x; median per seed {statistics.median(ratios):.2f}x"
        if ratios
        else f"ratio {ratio}"
    )
    print(
        "generator: mainport.world.hulls (same author as the score: not a held-out generator); "
        f"{time.perf_counter() - started:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
