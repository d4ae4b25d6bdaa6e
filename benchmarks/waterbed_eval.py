"""Validate the waterbed detector: true/false alarm rates and delay over many seeds, and the real series.

    .venv/bin/python benchmarks/waterbed_eval.py --seeds 200            # own displacement simulator
    .venv/bin/python benchmarks/waterbed_eval.py --source world         # mainport.world, once it exists
    .venv/bin/python benchmarks/waterbed_eval.py --real-only            # only the public yearly series

The simulator here is a MINIMAL DISPLACEMENT SIMULATOR of this benchmark (not mainport.world): weekly
smuggling loads per hub driven by a common supply factor (trend, season, AR(1) shocks) and hub noise;
customs intercepts each load with a hub-specific probability. In 'shift' runs enforcement at the source hub
rises on a known week and, after a lag of 1-3 weeks, 25-45% of its loads move to one other hub (ramping in
over 3 weeks). In 'null' runs the enforcement rises just the same but nothing moves ('no shift'); in 'quiet'
runs nothing changes at all and the detector is asked about the same week without enforcement data.
The detector sees only weekly seizure counts (and inspections per hub), never the truth.
"""

from __future__ import annotations

import argparse
import math
import pickle
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mainport.monitoring.waterbed import DetectorConfig, EnforcementChange, Finding, detect, excess_path
from mainport.reference.nodes import NODES

HUBS = list(NODES)
# Loads attempted per week and the share customs intercepts, per hub (orders of magnitude only).
BASE_LOADS = {
    "rotterdam": 24.0,
    "zeeland_west_brabant": 5.0,
    "north_sea_canal": 2.5,
    "schiphol": 8.0,
    "flower_auctions": 1.5,
}
INTERCEPT = {
    "rotterdam": 0.22,
    "zeeland_west_brabant": 0.25,
    "north_sea_canal": 0.3,
    "schiphol": 0.25,
    "flower_auctions": 0.3,
}
INSPECTIONS_PER_WEEK = {
    "rotterdam": 1000.0,
    "zeeland_west_brabant": 200.0,
    "north_sea_canal": 100.0,
    "schiphol": 300.0,
    "flower_auctions": 60.0,
}
SOURCE = "rotterdam"
TARGETS = ("zeeland_west_brabant", "north_sea_canal")
PRE_WEEKS, POST_WEEKS = 104, 12


@dataclass
class Run:
    seizures: pd.DataFrame
    inspections: pd.DataFrame
    change: EnforcementChange
    target: str | None  # the hub smuggling truly moved to (most); None when nothing moved
    moved: set[str] = field(default_factory=set)  # every hub that truly received displacement (world)
    load_ratio: dict[str, float] = field(default_factory=dict)  # truth: loads after / before per hub
    indicators: pd.DataFrame | None = None  # world: combined product-visible indicators per hub (+ abroad)
    signals: dict[str, pd.DataFrame] = field(default_factory=dict)  # world: each indicator on its own


def simulate(seed: int, *, shift: bool, enforce: bool = True) -> Run:
    rng = np.random.default_rng(seed)
    weeks = pd.date_range("2024-01-01", periods=PRE_WEEKS + POST_WEEKS, freq="W-MON")
    n, t0 = len(weeks), PRE_WEEKS
    # Common drivers: supply trend, yearly season, AR(1) shocks shared by every hub.
    common = np.zeros(n)
    for t in range(1, n):
        common[t] = 0.85 * common[t - 1] + rng.normal(0, 0.08)
    trend = np.linspace(0, rng.normal(0.2, 0.15), n)
    season = 0.15 * np.sin(2 * np.pi * np.arange(n) / 52 + rng.uniform(0, 2 * np.pi))
    target = str(rng.choice(TARGETS)) if shift else None
    moved_share = rng.uniform(0.25, 0.45)
    lag = int(rng.integers(1, 4))  # weeks before smugglers react
    seizures, inspections = {}, {}
    loads = {}
    for hub in HUBS:
        own = np.zeros(n)
        for t in range(1, n):
            own[t] = 0.6 * own[t - 1] + rng.normal(0, 0.06)
        loads[hub] = BASE_LOADS[hub] * np.exp(common + trend + season + own)
    intercept = {h: np.full(n, INTERCEPT[h]) for h in HUBS}
    effort = {h: np.full(n, INSPECTIONS_PER_WEEK[h]) for h in HUBS}
    if enforce:
        intercept[SOURCE][t0:] = min(0.6, INTERCEPT[SOURCE] * 1.8)
        effort[SOURCE][t0:] *= 1.8
    if target is not None:
        ramp = (
            np.clip((np.arange(n) - t0 - lag + 1) / 3.0, 0, 1) * moved_share
        )  # reaches full share in 3 weeks
        moved = loads[SOURCE] * ramp
        loads[SOURCE] = loads[SOURCE] - moved
        loads[target] = loads[target] + moved
    for hub in HUBS:
        seizures[hub] = rng.poisson(loads[hub] * intercept[hub])
        inspections[hub] = rng.poisson(effort[hub])
    return Run(
        seizures=pd.DataFrame(seizures, index=weeks),
        inspections=pd.DataFrame(inspections, index=weeks),
        change=EnforcementChange(SOURCE, weeks[t0]),
        target=target,
    )


# --- mainport.world runs ------------------------------------------------------------------------------
# The world at a scale that runs a few minutes for many seeds on 2 cores; the boost makes enough loads for
# weekly counts at the small hubs (it changes the dirty ratio, not the mechanics). Burn-in weeks let the
# organisations' risk estimates settle before the pre-period starts.
WORLD_SCALE, WORLD_BOOST = 0.005, 600.0
# 10 burn-in weeks: the rule policy's first-seen register and the organisations' declaration profiles settle
# over the first months (Rotterdam's seizure fraction rises from ~0.11 to ~0.17 over about 15 weeks).
WORLD_BURN_IN, WORLD_PRE, WORLD_POST = 10, 16, 12
# Seizures show displacement only where the receiving hub inspects: at the default 0.65% Zeeland and the
# North Sea Canal inspect well under one box a day at this scale, so the smaller hubs get a 3% share in every
# run kind (shift, null, quiet alike).
WORLD_BASE_SHARE = {"zeeland_west_brabant": 0.03, "north_sea_canal": 0.03, "schiphol": 0.03}
WORLD_RAISE = 3.0  # enforcement (inspection capacity share) at a Dutch source hub from the change day
WORLD_RAISE_ABROAD = 2.0  # a crackdown at a neighbouring source port: its interdiction probability x2
WORLD_HUBS = ("rotterdam", "zeeland_west_brabant", "north_sea_canal", "schiphol")
# Neighbour ports whose authorities' seizure counts monitoring compares with (displacement abroad).
WORLD_NEIGHBOURS = ("BEANR", "DEHAM")
CALIBRATION_SEED0 = 100  # null/quiet runs that set the z threshold; never among the reported seeds
MOVED_RATIO = 1.25  # truth: a hub "received" displacement when its loads rose by at least this factor


def world_source(seed: int) -> str:
    """The source hub rotates: Rotterdam, Antwerp (a crackdown abroad pushing flow into the Dutch hubs, as in
    2024), Schiphol; so the detector is not tuned to one source."""
    return ("rotterdam", "BEANR", "schiphol")[seed % 3]


def world_run(seed: int, *, shift: bool, enforce: bool = True) -> Run:
    """One mainport.world run, closed loop with the customs-like rule policy.

    shift: enforcement x WORLD_RAISE at the source hub on a known day (Antwerp: interdiction x
      WORLD_RAISE_ABROAD) and organisations adapt (displacement is
      emergent: they re-plan from seizure news). null (shift=False, enforce=True): the same enforcement rise
      but adaptation off, so nothing moves. quiet (enforce=False): nothing changes.
    The detector gets, per week and hub, product-visible records only (mainport.monitoring.indicators):
    seizures from every channel the authorities know (and the seizures neighbour authorities report for
    Antwerp and Hamburg), out-of-hours look-ups in the access logs, seals changed between declaration and
    discharge, declarations from source/transit countries to consignees first seen days ago; plus inspections
    per Dutch hub for the source-rise check. The truth (where loads went) is read here only to judge.
    """
    from mainport.monitoring import indicators
    from mainport.world import RiskRulePolicy, World, WorldConfig, visible
    from mainport.world.config import CAPACITY_SHARE, NEIGHBOUR_HUBS, NEIGHBOUR_INTERDICTION

    source = world_source(seed)
    weeks = WORLD_BURN_IN + WORLD_PRE + WORLD_POST
    change_day = (WORLD_BURN_IN + WORLD_PRE) * 7
    shares = {**CAPACITY_SHARE, **WORLD_BASE_SHARE}
    abroad = source in NEIGHBOUR_HUBS
    schedule: dict[str, tuple[tuple[int, float], ...]] = (
        {source: ((change_day, shares[source] * WORLD_RAISE),)} if enforce and not abroad else {}
    )
    crackdown: dict[str, tuple[tuple[int, float], ...]] = (
        {source: ((change_day, NEIGHBOUR_INTERDICTION[source] * WORLD_RAISE_ABROAD),)}
        if enforce and abroad
        else {}
    )
    config = WorldConfig(
        days=weeks * 7,
        seed=seed,
        scale=WORLD_SCALE,
        smuggling_boost=WORLD_BOOST,
        adaptation_rate=0.15 if (shift or not enforce) else 0.0,
        capacity_share=shares,
        capacity_schedule=schedule,
        interdiction_schedule=crackdown,
    )
    world = World(config)
    policy = RiskRulePolicy(seed=seed)
    watch = indicators.NewConsigneeWatch()
    hubs = (*WORLD_HUBS, *WORLD_NEIGHBOURS)
    col = {h: i for i, h in enumerate(hubs)}
    counts = {s: np.zeros((weeks, len(hubs))) for s in (*indicators.SIGNALS, "inspections", "loads")}
    elsewhere = np.zeros(weeks)

    def add(signal: str, w: int, per_hub: dict[str, int]) -> None:
        for hub, n in per_hub.items():
            if hub in col:
                counts[signal][w, col[hub]] += n

    for day in range(config.days):
        outcome = world.step(day, policy)
        w = day // 7
        add("seizures", w, Counter(str(s["hub"]) for s in outcome.seizures))
        add("inspections", w, Counter(i.hub for i in outcome.inspections))
        add("night_lookups", w, indicators.night_lookups(visible.access_logs(world, day)))
        add("seal_changes", w, indicators.seal_changes(visible.discharge_seals(world, day)))
        add("new_consignee_source", w, watch.observe(day, world.day_declarations(day)))
        for a in world.attempts(day):  # truth, for judging only
            if a.hub in col:
                counts["loads"][w, col[a.hub]] += 1
            if a.hub in NEIGHBOUR_HUBS:
                elsewhere[w] += 1
    index = pd.date_range("2024-03-04", periods=weeks, freq="7D")[WORLD_BURN_IN:]
    keep = slice(WORLD_BURN_IN, None)
    pre, post = slice(0, WORLD_PRE), slice(WORLD_PRE, None)

    def frame(signal: str, columns: tuple[str, ...]) -> pd.DataFrame:
        idx = [col[h] for h in columns]
        return pd.DataFrame(counts[signal][keep][:, idx], index=index, columns=list(columns))

    true_loads = counts["loads"][keep]
    ratio = true_loads[post].mean(axis=0) / np.maximum(true_loads[pre].mean(axis=0), 1e-9)
    moved = [h for h in hubs if h != source and ratio[col[h]] >= MOVED_RATIO]
    target = max(moved, key=lambda h: ratio[col[h]]) if (shift and moved) else None
    signals = {"seizures": frame("seizures", hubs)}
    signals.update({s: frame(s, WORLD_HUBS) for s in indicators.SIGNALS if s != "seizures"})
    run = Run(
        seizures=frame("seizures", WORLD_HUBS),
        inspections=frame("inspections", WORLD_HUBS),
        change=EnforcementChange(source, index[WORLD_PRE]),
        target=target,
    )
    run.indicators = indicators.combine(signals)[list(hubs)]
    run.signals = signals
    run.moved = set(moved) if shift else set()
    run.load_ratio = {h: round(float(ratio[col[h]]), 2) for h in hubs}
    ab = elsewhere[keep]
    run.load_ratio["abroad"] = round(float(ab[post].mean() / max(ab[pre].mean(), 1e-9)), 2)
    return run


RUN_CACHE = Path("var/waterbed_runs")  # world runs are ~20 s each: keep them to re-judge detector settings


def cached_world_run(seed: int, kind: str) -> Run:
    """world_run for kind shift | null | quiet, kept on disk by (kind, seed, world settings)."""
    key = f"{kind}-{seed}-s{WORLD_SCALE}-b{WORLD_BOOST}-w{WORLD_BURN_IN}.{WORLD_PRE}.{WORLD_POST}.pkl"
    path = RUN_CACHE / key
    if path.exists():
        with path.open("rb") as fh:
            stored = pickle.load(fh)  # our own cache, written below
        # Stored as plain fields: the Run class may live in __main__ or in the imported module.
        return Run(**(stored if isinstance(stored, dict) else vars(stored)))
    run = world_run(seed, shift=kind == "shift", enforce=kind != "quiet")
    RUN_CACHE.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        pickle.dump(dict(vars(run)), fh)
    return run


def _make_runs(args: tuple[int, str]) -> str:
    cached_world_run(*args)
    return f"{args[1]}-{args[0]}"


@dataclass
class Outcome:
    kind: str
    alarm: bool
    right: bool
    delay: int | None


def judge(run: Run, findings: list[Finding], kind: str, within: int) -> Outcome:
    flagged = [f for f in findings if f.flagged and f.delay_periods is not None and f.delay_periods <= within]
    top = flagged[0] if flagged else None
    # World runs: displacement is emergent and can reach several hubs; any hub that truly received it counts.
    right = top is not None and (
        (run.target is not None and top.target_hub == run.target) or top.target_hub in run.moved
    )
    return Outcome(kind, top is not None, right, top.delay_periods if (top and right) else None)


def _judge_seed(args: tuple[int, int, str, DetectorConfig]) -> tuple[list[Outcome], list[dict[str, float]]]:
    seed, within, source, config = args
    kw: dict[str, Any] = {"metric": "seizures", "unit": "seizures", "config": config}
    make = simulate if source == "sim" else world_run
    out = []
    shift_run = make(seed, shift=True)
    null_run = make(10_000 + seed, shift=False)
    out.append(
        judge(
            shift_run,
            detect(shift_run.seizures, [shift_run.change], enforcement=shift_run.inspections, **kw),
            "shift",
            within,
        )
    )
    out.append(
        judge(
            null_run,
            detect(null_run.seizures, [null_run.change], enforcement=null_run.inspections, **kw),
            "null",
            within,
        )
    )
    quiet = make(20_000 + seed, shift=False, enforce=False)
    out.append(judge(quiet, detect(quiet.seizures, [quiet.change], **kw), "quiet", within))
    info = {**shift_run.load_ratio, "moved": float(bool(shift_run.moved))} if shift_run.load_ratio else None
    return out, [info] if info else []


def evaluate(seeds: int, within: int, source: str, config: DetectorConfig, jobs: int = 1) -> dict[str, float]:
    outcomes: list[Outcome] = []
    ratios: list[dict[str, float]] = []
    started = time.perf_counter()
    tasks = [(seed, within, source, config) for seed in range(seeds)]
    if jobs > 1:
        from multiprocessing import get_context

        with get_context("spawn").Pool(jobs) as pool:
            results = []
            for res in pool.imap(_judge_seed, tasks):
                results.append(res)
                print(
                    f"  seed {len(results) - 1}: {[(o.kind, o.alarm, o.right, o.delay) for o in res[0]]}",
                    res[1],
                    flush=True,
                )
    else:
        results = [_judge_seed(t) for t in tasks]
    for o, r in results:
        outcomes.extend(o)
        ratios.extend(r)
    shift = [o for o in outcomes if o.kind == "shift"]
    null = [o for o in outcomes if o.kind == "null"]
    quiet = [o for o in outcomes if o.kind == "quiet"]
    delays = [o.delay for o in shift if o.delay is not None]
    return {
        "seeds": seeds,
        "true_alarm_rate": sum(o.right for o in shift) / len(shift),
        "wrong_hub_rate": sum(o.alarm and not o.right for o in shift) / len(shift),
        "false_alarm_rate_enforcement_no_shift": sum(o.alarm for o in null) / len(null),
        "false_alarm_rate_no_change": (sum(o.alarm for o in quiet) / len(quiet)) if quiet else float("nan"),
        "median_delay_weeks": statistics.median(delays) if delays else float("nan"),
        "p90_delay_weeks": float(np.percentile(delays, 90)) if delays else float("nan"),
        "seconds": time.perf_counter() - started,
        **(
            {
                f"truth_load_ratio_{hub}_median": float(np.median([r[hub] for r in ratios]))
                for hub in ratios[0]
                if hub != "moved"
            }
            if ratios
            else {}
        ),
        **(
            {"truth_shift_runs_with_a_receiving_dutch_hub": float(np.mean([r["moved"] for r in ratios]))}
            if ratios
            else {}
        ),
    }


def _world_values(run: Run, signal: str) -> pd.DataFrame:
    if signal == "seizures":
        return run.seizures
    assert run.indicators is not None
    return run.indicators


def _max_quiet_z(run: Run, signal: str, config: DetectorConfig) -> float:
    """The largest z over targets and looks (with the ratio rule met) in a run without displacement."""
    values = _world_values(run, signal)
    best = -math.inf
    for target in values.columns:
        if target == run.change.hub:
            continue
        for _k, z, ratio in excess_path(values, run.change, str(target), config=config):
            if ratio >= config.min_ratio:
                best = max(best, z)
    return best


def world_evaluate(seeds: int, calibration: int, within: int, jobs: int, signal: str) -> dict[str, Any]:
    """Calibrate the z threshold on null/quiet runs with their own seeds, then judge the reported seeds."""
    kinds = ("shift", "null", "quiet")
    report = [(s, k) for s in range(seeds) for k in kinds]
    calib = [
        (s, k) for s in range(CALIBRATION_SEED0, CALIBRATION_SEED0 + calibration) for k in ("null", "quiet")
    ]
    started = time.perf_counter()
    if jobs > 1:
        from multiprocessing import get_context

        with get_context("spawn").Pool(jobs) as pool:
            for name in pool.imap_unordered(_make_runs, calib + report):
                print(f"  world run {name} ready", flush=True)
    base = DetectorConfig(window=within)
    calib_z = sorted(_max_quiet_z(cached_world_run(s, k), signal, base) for s, k in calib)
    # The largest z any calibration run reached (+0.05): with n calibration runs the false alarm rate per run
    # is then about 1 / (n + 1); no floor, so the threshold is what the world's own noise allows.
    threshold = math.ceil(calib_z[-1] * 20) / 20 + 0.05
    config = replace(base, z_threshold=threshold)
    outcomes: list[Outcome] = []
    ratios = []
    for s, k in report:
        run = cached_world_run(s, k)
        values = _world_values(run, signal)
        enforcement = run.inspections if k != "quiet" else None
        findings = detect(values, [run.change], enforcement=enforcement, metric=signal, config=config)
        o = judge(run, findings, k, within)
        outcomes.append(o)
        if k == "shift":
            ratios.append(bool(run.moved))
            top = next((f for f in findings if f.flagged), None)
            print(
                f"  seed {s} shift: moved={sorted(run.moved)} flagged="
                f"{top.target_hub if top else None} delay={o.delay} ratios={run.load_ratio}"
            )
        elif o.alarm:
            print(f"  seed {s} {k}: FALSE ALARM {[f.target_hub for f in findings if f.flagged]}")
    shift = [o for o in outcomes if o.kind == "shift"]
    null = [o for o in outcomes if o.kind == "null"]
    quiet = [o for o in outcomes if o.kind == "quiet"]
    delays = [o.delay for o in shift if o.delay is not None]
    return {
        "signal": signal,
        "calibration_runs": len(calib),
        "calibration_max_z_quantiles": [round(float(q), 2) for q in np.quantile(calib_z, [0.5, 0.9, 1.0])],
        "z_threshold": threshold,
        "shift_runs": len(shift),
        "shift_runs_where_a_hub_truly_received": sum(ratios),
        "true_alarm_rate": f"{sum(o.right for o in shift)}/{len(shift)}",
        "true_alarm_rate_where_a_hub_truly_received": (
            f"{sum(o.right for o, r in zip(shift, ratios, strict=True) if r)}/{sum(ratios)}"
        ),
        "wrong_hub_rate": f"{sum(o.alarm and not o.right for o in shift)}/{len(shift)}",
        "false_alarm_rate_enforcement_no_shift": f"{sum(o.alarm for o in null)}/{len(null)}",
        "false_alarm_rate_no_change": f"{sum(o.alarm for o in quiet)}/{len(quiet)}",
        "median_delay_weeks": statistics.median(delays) if delays else float("nan"),
        "max_delay_weeks": max(delays) if delays else float("nan"),
        "seconds": round(time.perf_counter() - started, 1),
    }


def real_series() -> list[Finding]:
    """The detector on the public yearly series: after Rotterdam's peak, Vlissingen (and the others)."""
    from mainport.monitoring.public import packaged_text, read_public_series

    rows, _ = read_public_series(packaged_text())
    frame = pd.DataFrame([(r.port, r.year, r.kg) for r in rows], columns=["port", "year", "kg"])
    matrix = frame.pivot_table(index="year", columns="port", values="kg", aggfunc="sum").sort_index()
    matrix = matrix[["Rotterdam", "Vlissingen", "Antwerp", "Hamburg"]].loc[2014:2024]
    cfg = DetectorConfig(window=3, min_post=1, pre=8)
    return detect(
        matrix,
        [EnforcementChange("Rotterdam", 2022, "Rotterdam peak 2021, plan funding from 2022")],
        metric="cocaine kg seized",
        unit="kg",
        config=cfg,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--within", type=int, default=12, help="weeks after the change within which to flag")
    parser.add_argument("--source", choices=("sim", "world"), default="sim")
    parser.add_argument("--real-only", action="store_true")
    parser.add_argument(
        "--signal",
        choices=("indicators", "seizures"),
        default="indicators",
        help="world: the combined product-visible indicators, or seizures alone (the earlier signal)",
    )
    parser.add_argument(
        "--calibration", type=int, default=8, help="world: seeds of null+quiet runs that set the z threshold"
    )
    parser.add_argument("--jobs", type=int, default=1, help="processes (world runs are ~15 s each)")
    args = parser.parse_args(argv)
    if not args.real_only:
        config = DetectorConfig(window=args.within)
        label = "own minimal displacement simulator" if args.source == "sim" else "mainport.world"
        if args.source == "sim":
            print(
                f"Validation on {label}: source {SOURCE}, enforcement x1.8 at week {PRE_WEEKS}, "
                f"shift to one of {', '.join(TARGETS)}; flag within {args.within} weeks"
            )
        else:
            print(
                f"Validation on {label} (scale {WORLD_SCALE}, boost {WORLD_BOOST}): "
                f"at week {WORLD_PRE} after {WORLD_BURN_IN} burn-in weeks the source's enforcement rises: "
                f"Rotterdam or Schiphol scanning x{WORLD_RAISE}, "
                f"or Antwerp's interdiction x{WORLD_RAISE_ABROAD} "
                f"(source by seed mod 3); signal: {args.signal} per hub (Dutch + Antwerp, Hamburg); "
                f"flag within {args.within} weeks; z threshold calibrated on {args.calibration} null+quiet "
                f"seed pairs from {CALIBRATION_SEED0}"
            )
        result = (
            evaluate(args.seeds, args.within, args.source, config, args.jobs)
            if args.source == "sim"
            else world_evaluate(args.seeds, args.calibration, args.within, args.jobs, args.signal)
        )
        for key, value in result.items():
            print(f"  {key:40s} {value:.3f}" if isinstance(value, float) else f"  {key:40s} {value}")
    print(
        "\nReal public yearly series (kg), change = Rotterdam from 2022, donors = ports without the change:"
    )
    for f in real_series():
        print(
            f"  {f.source_hub} -> {f.target_hub}: flagged={f.flagged} ratio={f.ratio:.2f} "
            f"[{f.ratio_low:.2f}, {f.ratio_high:.2f}] p={f.p_value:.3g} n_pre={f.n_pre}"
        )
        print(f"    {f.explanation}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
