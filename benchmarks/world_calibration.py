"""Calibration of the synthetic world against public figures (evaluation code: reads the world's truth).

    .venv/bin/python benchmarks/world_calibration.py          # 365 d x 3 seeds, scale 0.03, boost 30, ~3 min
    .venv/bin/python benchmarks/world_calibration.py --quick  # 91 days, one seed

Runs `World` in closed loop with the customs-like `RiskRulePolicy` and scales the figures back to full
volume and one year: units divide by `scale`, seizures by `scale x smuggling_boost`, everything by
`days / 365`. The boost only raises the number of loads so that a small-scale run has enough of them; it
does not change load sizes or methods; organisations re-plan on news counted in full-volume loads, so it
does not change how they adapt either. Public figures: ../shared/README.md and
shared/data/seizures/cocaine_seizures_by_port_year.csv (per port: the range over 2022-2023, the plan's
years). PASS within the stated tolerance, else WARN.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from mainport.world import RiskRulePolicy, World, WorldConfig
from mainport.world.config import DUTCH_HUBS, DUTCH_SEA_HUBS

ROOT = Path(__file__).resolve().parents[1]
# The shared copy where it exists; else the copy packaged with mainport (the same file, used by monitoring).
_SHARED_SERIES = ROOT.parent / "shared" / "data" / "seizures" / "cocaine_seizures_by_port_year.csv"
_PACKAGED_SERIES = ROOT / "src" / "mainport" / "monitoring" / "data" / "cocaine_seizures_by_port_year.csv"
SEIZURE_SERIES = _SHARED_SERIES if _SHARED_SERIES.exists() else _PACKAGED_SERIES
# World hub -> row of the public series (Zeeland/West-Brabant: the series has Vlissingen only).
SERIES_PORT = {
    "rotterdam": "Rotterdam",
    "zeeland_west_brabant": "Vlissingen",
    "schiphol": "Schiphol",
    "north_sea_canal": "Amsterdam port",
}
FACTOR = 1.5  # tolerance for volumes and seizure figures: within a factor 1.5 either way


@dataclass(frozen=True)
class Row:
    figure: str
    simulated: str
    public: str
    ok: bool
    tolerance: str


YEARS = (2022, 2023)  # the plan's years; one year alone is a poor yardstick (Vlissingen: 4.0 t, then 11.3 t)


def public_kg(years: tuple[int, ...] = YEARS) -> dict[str, tuple[float, float]]:
    """Public cocaine kg per world hub (and Antwerp): (lowest, highest) over `years` from the shared series.

    A clear error without the shared folder."""
    if not SEIZURE_SERIES.exists():
        raise SystemExit(f"public seizure series not found: {SEIZURE_SERIES} (needs the shared/ folder)")
    by_port: dict[str, list[float]] = {}
    with SEIZURE_SERIES.open(newline="") as fh:
        for rec in csv.DictReader(fh):
            if int(rec["year"]) in years:
                by_port.setdefault(rec["port"], []).append(float(rec["cocaine_kg"]))
    ports = {**SERIES_PORT, "BEANR": "Antwerp"}
    return {hub: (min(by_port[p]), max(by_port[p])) for hub, p in ports.items() if p in by_port}


def within_range(sim: float, low: float, high: float, factor: float = FACTOR) -> bool:
    return low / factor <= sim <= high * factor


def within(sim: float, public: float, factor: float = FACTOR) -> bool:
    if public <= 0:
        return sim <= 0
    return public / factor <= sim <= public * factor


def run_world(days: int, scale: float, boost: float, seed: int) -> dict:
    """Run the closed loop once and collect raw (unscaled) totals."""
    world = World(WorldConfig(days=days, scale=scale, seed=seed, smuggling_boost=boost))
    policy = RiskRulePolicy(seed=seed)
    units: Counter[str] = Counter()
    inspected: Counter[str] = Counter()
    seizures: list[tuple[str, float, str, str]] = []  # hub, kg, channel, method
    t0 = time.perf_counter()
    for day in range(days):
        outcome = world.step(day, policy)
        units.update(outcome.units)
        inspected.update(i.hub for i in outcome.inspections)
        seizures += [(a.hub, a.kg, a.outcome, a.method) for a in world.attempts(day) if a.seized]
        if day % 28 == 27:
            print(f"  day {day + 1}/{days}  {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return {"units": units, "inspected": inspected, "seizures": seizures, "seconds": time.perf_counter() - t0}


def pooled(runs: list[dict]) -> dict:
    """Several seeds pooled as one longer run (call calibration_rows with days x len(runs))."""
    out: dict = {"units": Counter(), "inspected": Counter(), "seizures": [], "seconds": 0.0}
    for raw in runs:
        out["units"].update(raw["units"])
        out["inspected"].update(raw["inspected"])
        out["seizures"] += raw["seizures"]
        out["seconds"] += raw["seconds"]
    return out


def calibration_rows(raw: dict, days: int, scale: float, boost: float) -> list[Row]:
    """Rows of the table; `days`: simulated days in `raw` (all seeds together)."""
    year = 365.0 / days
    per_unit = year / scale
    per_load = year / (scale * boost)
    units, inspected, seizures = raw["units"], raw["inspected"], raw["seizures"]
    rows: list[Row] = []

    rtm_units = units["rotterdam"] * per_unit
    rows.append(
        Row(
            "Rotterdam containers / year",
            f"{rtm_units / 1e6:.2f} M",
            "8.5 M",
            within(rtm_units, 8.5e6, 1.1),
            "x1.1",
        )
    )
    sea_units = sum(units[h] for h in DUTCH_SEA_HUBS)
    share = sum(inspected[h] for h in DUTCH_SEA_HUBS) / max(sea_units, 1)
    rtm_share = inspected["rotterdam"] / max(units["rotterdam"], 1)
    rows.append(
        Row(
            "Share scanned (Rotterdam; sea hubs)",
            f"{rtm_share:.2%}; {share:.2%}",
            "0.65%",
            within(rtm_share, 0.0065, 1.1),
            "x1.1",
        )
    )

    dutch = [s for s in seizures if s[0] in DUTCH_HUBS]
    t_dutch = sum(s[1] for s in dutch) * per_load / 1000
    rows.append(
        Row(
            "Dutch seizures t / year (all hubs)",
            f"{t_dutch:.1f} t",
            "51-60 t",
            51 / FACTOR <= t_dutch <= 60 * FACTOR,
            f"x{FACTOR}",
        )
    )
    port = [s for s in seizures if s[0] in DUTCH_SEA_HUBS]
    n_port = len(port) * per_load
    rows.append(
        Row(
            "Dutch port consignments / year",
            f"{n_port:.0f}",
            "> 140",
            140 <= n_port <= 140 * FACTOR * 2,
            f">=140, <{140 * FACTOR * 2:.0f}",
        )
    )

    rtm = [s[1] for s in seizures if s[0] == "rotterdam"]
    small = sum(kg < 100 for kg in rtm) * per_load
    big = sum(kg > 1000 for kg in rtm) * per_load
    n_rtm = max(len(rtm), 1)
    rows.append(
        Row(
            "Rotterdam finds < 100 kg / year",
            f"{small:.0f} ({sum(kg < 100 for kg in rtm) / n_rtm:.0%})",
            "81",
            within(small, 81),
            f"x{FACTOR}",
        )
    )
    rows.append(
        Row(
            "Rotterdam finds > 1,000 kg / year",
            f"{big:.0f} ({sum(kg > 1000 for kg in rtm) / n_rtm:.0%})",
            "13",
            within(big, 13),
            f"x{FACTOR}",
        )
    )

    methods = Counter(s[3] for s in port)
    ranking = [m for m, _ in methods.most_common()]
    total = max(sum(methods.values()), 1)
    shown = ", ".join(f"{m} {c / total:.0%}" for m, c in methods.most_common(4))
    rows.append(
        Row(
            "Hiding place ranking (NL port finds)",
            shown,
            "reefer unit, then cargo",
            ranking[:2] == ["reefer_unit", "cargo"],
            "top two in order",
        )
    )

    span = f"{YEARS[0]}-{YEARS[-1]}"
    for hub, (low, high) in public_kg().items():
        kg = sum(s[1] for s in seizures if s[0] == hub) * per_load
        name = (
            "Antwerp kg / year (border, fixed rate)"
            if hub == "BEANR"
            else f"{SERIES_PORT[hub]} kg / year ({hub})"
        )
        rows.append(
            Row(
                name,
                f"{kg:,.0f}",
                f"{low:,.0f}-{high:,.0f} ({span})",
                within_range(kg, low, high),
                f"range x{FACTOR}",
            )
        )
    return rows


def render(rows: list[Row]) -> str:
    head = ("figure", "simulated (full volume, per year)", "public", "tolerance", "check")
    body = [(r.figure, r.simulated, r.public, r.tolerance, "PASS" if r.ok else "WARN") for r in rows]
    widths = [max(len(x[i]) for x in (head, *body)) for i in range(len(head))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)) + " |" for x in (head, *body)
    ]
    lines.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="91 days, one seed (~15 s, noisy)")
    ap.add_argument("--days", type=int)
    ap.add_argument("--scale", type=float)
    ap.add_argument("--boost", type=float, default=30.0)
    ap.add_argument("--seeds", type=int, help="independent runs pooled (default 3, --quick 1)")
    args = ap.parse_args(argv)
    days = args.days or (91 if args.quick else 365)
    scale = args.scale or 0.03
    seeds = range(1, 1 + (args.seeds or (1 if args.quick else 3)))
    head = f"{days} days x {len(seeds)} seed(s), scale {scale}, smuggling_boost {args.boost}, RiskRulePolicy"
    print(f"world calibration: {head}", file=sys.stderr)
    runs = [run_world(days, scale, args.boost, seed) for seed in seeds]
    for seed, raw in zip(seeds, runs, strict=True):  # seed spread of the headline figures
        dutch_t = sum(s[1] for s in raw["seizures"] if s[0] in DUTCH_HUBS) / (scale * args.boost) / 1000
        rtm_t = sum(s[1] for s in raw["seizures"] if s[0] == "rotterdam") / (scale * args.boost) / 1000
        print(
            f"seed {seed}: Dutch {dutch_t * 365 / days:.1f} t/year, Rotterdam {rtm_t * 365 / days:.1f} t/year"
        )
    raw = pooled(runs)
    print(f"{head}; {raw['seconds']:.0f} s; seeds pooled, scaled to full volume and 365 days")
    print(render(calibration_rows(raw, days * len(seeds), scale, args.boost)))


if __name__ == "__main__":
    main()
