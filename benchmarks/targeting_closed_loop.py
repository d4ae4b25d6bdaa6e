"""Closed loop in the synthetic world: does targeting keep finding loads when smugglers adapt?

Four policies run on identical worlds (same seed, one World each, so each sees its own smugglers adapt to its
own seizures): ``random``; ``rules`` (the shipped YAML profiles); ``greedy`` (model, top-k, no exploration);
``explore`` (model, 10% exploration half random audit half uncertainty, IPW retraining on the recorded
propensities). Capacity per hub and day is the world's (0.65% of declared boxes at the sea hubs, 1% Schiphol,
0.5% flower auctions). Model policies start with a warm-up week (rules + 10% random audit), then retrain every
week on the labels revealed by their OWN inspections only. Features are built as of the morning of the
selection day from the declarations received so far.

Ground truth (``world.attempts``) is read here only, to report how many loads came through the Dutch hubs.

Run: .venv/bin/python benchmarks/targeting_closed_loop.py [--quick] [--seeds 1 2 3] [--weeks 12]
     [--scale 0.05] [--boost 60] [--exploration 0.1] [--rounds 80] [--csv daily.csv]
     [--from-csv s1.csv s2.csv ...]   (report on runs made per seed in parallel)
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pandas as pd

from mainport.targeting.adapter import declarations_for_features, party_register
from mainport.targeting.features import build_features
from mainport.targeting.learning import ipw_weights
from mainport.targeting.model import RiskModel, train
from mainport.targeting.rules import Rule, apply_rules, load_profiles
from mainport.targeting.selection import combine, select
from mainport.world import World, WorldConfig
from mainport.world.config import DUTCH_HUBS

POLICIES = ("random", "rules", "greedy", "explore")
HISTORY_DAYS = 100  # enough for the 90-day volumes


@dataclass
class Loop:
    """One policy's memory: what it has received and what its own inspections revealed."""

    name: str
    seed: int
    rules: list[Rule]
    exploration: float
    rounds: int
    rng: np.random.Generator = field(init=False)
    history: list[pd.DataFrame] = field(default_factory=list)
    parties: pd.DataFrame | None = None
    outcomes: list[pd.DataFrame] = field(default_factory=list)
    labelled: list[pd.DataFrame] = field(default_factory=list)  # features at selection + found + propensity
    model: RiskModel | None = None
    trainings: int = 0

    def __post_init__(self) -> None:
        # greedy and explore share one stream: the same warm-up week (same random audit) on the same world.
        stream = 2 if self.name in ("greedy", "explore") else POLICIES.index(self.name)
        self.rng = np.random.default_rng([self.seed, stream, 99])

    def features(self, decl: pd.DataFrame, view: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
        new = party_register(view)
        both = new if self.parties is None else pd.concat([self.parties, new], ignore_index=True)
        self.parties = both.sort_values("first_seen", kind="stable").drop_duplicates("party_id")
        hist = pd.concat(self.history, ignore_index=True) if self.history else None
        outs = pd.concat(self.outcomes, ignore_index=True) if self.outcomes else None
        f = build_features(decl, parties=self.parties, history=hist, outcomes=outs, as_of=as_of)
        self.history = [*self.history[-HISTORY_DAYS:], decl]
        return f

    def choose(self, day: int, f: pd.DataFrame, hub: str, cap: int) -> pd.DataFrame:
        """The hub's selection: declaration_id, propensity, strategy."""
        cols = ["declaration_id", "propensity", "strategy"]
        if cap <= 0 or f.empty:
            return pd.DataFrame(columns=cols)
        if self.name == "random":
            ids = self.rng.choice(f["declaration_id"].to_numpy(), size=min(cap, len(f)), replace=False)
            return pd.DataFrame(
                {"declaration_id": ids, "propensity": min(cap, len(f)) / len(f), "strategy": "random"}
            )
        on = f["filed_at"].iloc[0].date()
        rule_score = apply_rules(self.rules, f, on=on).score
        cands = pd.DataFrame({"declaration_id": f["declaration_id"].to_numpy(), "score": rule_score})
        if self.name == "rules":
            share, strategy = 0.0, "mixed"
        elif self.model is None:  # warm-up: rules plus a random audit
            share, strategy = 0.10, "random"
        else:
            p = self.model.predict(f)
            cands["model_p"] = p
            cands["score"] = combine(p, rule_score)
            share, strategy = (0.0, "mixed") if self.name == "greedy" else (self.exploration, "mixed")
        sel = select(cands, cap, exploration_share=share, strategy=strategy, seed=self.rng)
        return sel[cols]

    def learn(self, f: pd.DataFrame, sel: pd.DataFrame, found: dict[str, bool], at: pd.Timestamp) -> None:
        if sel.empty:
            return
        ids = sel["declaration_id"].to_numpy()
        hits = np.array([found.get(str(i), False) for i in ids])
        self.outcomes.append(pd.DataFrame({"declaration_id": ids, "inspected_at": at, "found": hits}))
        rows = f.set_index("declaration_id").loc[ids].reset_index()
        rows["found"] = hits
        rows["propensity"] = sel["propensity"].to_numpy(dtype=float)
        self.labelled.append(rows)

    def retrain(self) -> None:
        if self.name not in ("greedy", "explore") or not self.labelled:
            return
        data = pd.concat(self.labelled, ignore_index=True).sort_values("filed_at", kind="stable")
        y = data["found"].to_numpy(dtype=float)
        if y.sum() < 3 or y.sum() == len(y):
            return  # too few revealed hits to learn from: keep the current scoring
        # Greedy fits its labels as they come; explore re-weights them by 1 / selection propensity.
        w = ipw_weights(data["propensity"].to_numpy()) if self.name == "explore" else None
        self.model = train(data, y, weights=w, rounds=self.rounds)
        self.trainings += 1


def run_policy(name: str, args: argparse.Namespace, seed: int, rules: list[Rule]) -> pd.DataFrame:
    days = args.weeks * 7
    cfg = WorldConfig(days=days, seed=seed, scale=args.scale, smuggling_boost=args.boost)
    world = World(cfg)
    loop = Loop(name, seed, rules, args.exploration, args.rounds)
    start = pd.Timestamp(cfg.start, tz="UTC")
    rows = []
    for day in range(days):
        if day > 0 and day % 7 == 0:
            loop.retrain()
        morning = start + timedelta(days=day)
        view = world.day_declarations(day)
        decl = declarations_for_features(view, id_column="shipment_id")
        f = loop.features(decl, view, morning) if name != "random" else decl
        inspections = finds = 0
        kg = 0.0
        for hub in DUTCH_HUBS:
            sub = f[(f["hub"] == hub).to_numpy()]
            sel = loop.choose(day, sub, hub, world.capacity(day, hub))
            outs = world.inspect(day, [str(i) for i in sel["declaration_id"]])
            found = {o.shipment_id: o.found for o in outs}
            if name != "random":
                loop.learn(sub, sel, found, morning + timedelta(hours=12))
            inspections += len(outs)
            finds += sum(o.found for o in outs)
            kg += sum(o.kg for o in outs)
        world.end_day(day)
        # Truth, for the report only: loads declared through a Dutch hub that day, and how many of them the
        # organisations had moved off their usual declaration profile (another port or lane, a hijacked
        # importer instead of a front company).
        loads = [a for a in world.attempts(day) if a.row >= 0 and a.hub in DUTCH_HUBS and a.traits]
        declared = len(loads)
        orgs = {o.code: o for o in world.orgs}
        moved = sum(
            1
            for a in loads
            if a.traits["consignee"] == "hijacked"
            or (a.traits["lane"] not in ("air", "road") and a.traits["origin"] not in orgs[a.org].origins)
        )
        rows.append(
            {
                "policy": name,
                "seed": seed,
                "day": day,
                "week": day // 7 + 1,
                "inspections": inspections,
                "finds": finds,
                "kg": kg,
                "dutch_loads": declared,
                "moved_loads": moved,
                "trainings": loop.trainings,
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="4 weeks at scale 0.02, one seed")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--weeks", type=int, default=12)
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--boost", type=float, default=60.0, help="world smuggling_boost (dirty ratio)")
    ap.add_argument("--exploration", type=float, default=0.10)
    ap.add_argument("--rounds", type=int, default=80)
    ap.add_argument("--csv", default=None, help="write the daily figures here")
    ap.add_argument(
        "--from-csv", nargs="+", default=None, help="report on daily CSVs of earlier runs (e.g. one per seed)"
    )
    args = ap.parse_args()
    if args.from_csv:  # runs per seed in parallel processes, reported together
        daily = pd.concat([pd.read_csv(f) for f in args.from_csv], ignore_index=True)
        args.seeds = sorted(daily["seed"].unique().tolist())
        args.weeks = int(daily["week"].max())
        report(daily, args)
        return
    if args.quick:
        args.weeks, args.scale, args.seeds = 4, 0.02, args.seeds[:1]
    rules = load_profiles()
    t0 = time.perf_counter()
    frames = []
    for seed in args.seeds:
        for name in POLICIES:
            t = time.perf_counter()
            frames.append(run_policy(name, args, seed, rules))
            print(f"seed {seed} {name:8s} {time.perf_counter() - t:6.1f} s", flush=True)
    daily = pd.concat(frames, ignore_index=True)
    if args.csv:
        daily.to_csv(args.csv, index=False)
    report(daily, args)
    print(f"total {time.perf_counter() - t0:.0f} s")


def report(daily: pd.DataFrame, args: argparse.Namespace) -> None:
    print(
        f"\n{args.weeks} weeks, scale {args.scale}, smuggling_boost {args.boost}, seeds {args.seeds}, "
        f"exploration {args.exploration}, {args.rounds} rounds"
    )
    cols = ["kg", "finds", "inspections", "dutch_loads", "moved_loads"]
    per_seed = daily.groupby(["policy", "seed"])[cols].sum()
    per_seed["kg_per_insp"] = per_seed["kg"] / per_seed["inspections"]
    per_seed["hit_rate"] = per_seed["finds"] / per_seed["inspections"]
    per_seed["moved"] = per_seed["moved_loads"] / per_seed["dutch_loads"]
    per_seed["trainings"] = daily.groupby(["policy", "seed"])["trainings"].max()
    agg = per_seed.groupby("policy").agg(["mean", "std"]).reindex(list(POLICIES))
    print(
        "\n| policy | kg found | finds | inspections | kg / inspection | hit rate | loads via NL (truth) "
        "| moved off profile (truth) | retrainings |"
    )
    print("| --- " * 9 + "|")
    for name, r in agg.iterrows():

        def ms(c: str, fmt: str, r: pd.Series = r) -> str:
            sd = r[(c, "std")]
            return f"{r[(c, 'mean')]:{fmt}}" + ("" if np.isnan(sd) else f" ± {sd:{fmt}}")

        print(
            f"| {name} | {ms('kg', ',.0f')} | {ms('finds', '.1f')} | {ms('inspections', ',.0f')} | "
            f"{ms('kg_per_insp', '.2f')} | {ms('hit_rate', '.2%')} | {ms('dutch_loads', '.0f')} | "
            f"{ms('moved', '.0%')} | {ms('trainings', '.1f')} |"
        )
    weekly = daily.groupby(["policy", "seed", "week"])[["finds", "inspections", "kg", *cols[3:]]].sum()
    weekly["hit"] = weekly["finds"] / weekly["inspections"]
    weekly["kgi"] = weekly["kg"] / weekly["inspections"]
    weekly["moved"] = weekly["moved_loads"] / weekly["dutch_loads"].clip(lower=1)
    hit = weekly["hit"].groupby(["week", "policy"]).mean().unstack()[list(POLICIES)]
    kgi = weekly["kgi"].groupby(["week", "policy"]).mean().unstack()[list(POLICIES)]
    moved = weekly["moved"].groupby(["week", "policy"]).mean().unstack()[list(POLICIES)]
    print("\nper week, mean over seeds: kg / inspection | hit rate | loads moved off profile (truth)")
    print(
        "| week | "
        + " | ".join(f"kg/insp {p}" for p in POLICIES)
        + " | "
        + " | ".join(f"hit {p}" for p in POLICIES)
        + " | "
        + " | ".join(f"moved {p}" for p in POLICIES)
        + " |"
    )
    print("| --- " * (1 + 3 * len(POLICIES)) + "|")
    for week in hit.index:
        cells = (
            [f"{kgi.loc[week, p]:.2f}" for p in POLICIES]
            + [f"{hit.loc[week, p]:.2%}" for p in POLICIES]
            + [f"{moved.loc[week, p]:.0%}" for p in POLICIES]
        )
        print(f"| {week} | " + " | ".join(cells) + " |")
    # Collapse check: hit rate per third of the run, mean ± sd over seeds.
    thirds = np.array_split(np.arange(1, args.weeks + 1), 3)
    print("\nhit rate per third of the run (weeks), mean ± sd over seeds")
    print("| policy | " + " | ".join(f"weeks {t[0]}-{t[-1]}" for t in thirds) + " |")
    print("| --- " * 4 + "|")
    w = daily.assign(third=np.searchsorted([t[-1] for t in thirds], daily["week"]))
    part = w.groupby(["policy", "seed", "third"])[["finds", "inspections"]].sum()
    part["hit"] = part["finds"] / part["inspections"]
    for name in POLICIES:
        cells = []
        for k in range(3):
            v = part.loc[name]["hit"].xs(k, level="third")
            cells.append(f"{v.mean():.2%}" + ("" if len(v) < 2 else f" ± {v.std():.2%}"))
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
