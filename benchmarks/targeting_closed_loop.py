"""Closed loop in the synthetic world: does targeting keep finding loads when smugglers adapt?

Four policies run on identical worlds (same seed, one World each, so each sees its own smugglers adapt to its
own seizures): ``random``; ``rules`` (the shipped YAML profiles); ``greedy`` (model, top-k, no exploration);
``explore`` (model, 10% exploration: half random audit, half Thompson sampling over declaration profiles,
selection.py ``thompson``). Both model policies train unweighted on their own revealed labels (learning.py
says why); ``--variants`` adds explore policies that take the result apart (``explore_ipw``: the earlier
uncertainty sampling + 1/propensity weights). Capacity per hub and day is the world's (0.65% of declared boxes
at the sea hubs, 1% Schiphol, 0.5% flower auctions). Model policies start with a warm-up week (rules + 10%
random audit), then retrain every week on the labels revealed by their OWN inspections only. Features are
built as of the morning of the selection day from the declarations received so far.

Ground truth (``world.attempts``) is read here only: loads through the Dutch hubs, loads moved off the
organisations' usual profile, and how many loaded boxes each policy's ranking put in its top ``capacity``
(precision and recall of the ranking itself, far less noisy than the finds).

Run: .venv/bin/python benchmarks/targeting_closed_loop.py [--quick] [--seeds 1 2 3] [--weeks 12]
     [--scale 1.0] [--boost 200] [--exploration 0.1] [--rounds 80] [--half-life DAYS] [--policies ...]
     [--variants explore_ipw explore_model_prior ...] [--trait-sensitivity 3] [--csv daily.csv]
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
from mainport.targeting.features import build_features, profile_key
from mainport.targeting.learning import training_weights
from mainport.targeting.model import RiskModel, train
from mainport.targeting.rules import Rule, apply_rules, load_profiles
from mainport.targeting.selection import combine, select
from mainport.world import World, WorldConfig
from mainport.world.config import DUTCH_HUBS
from mainport.world.network import LATAM_LANES
from mainport.world.smuggling import Attempt, Organisation

POLICIES = ("random", "rules", "greedy", "explore")
# Variants for explaining the result (``--variants``): the exploration and the training weights taken apart.
VARIANTS = {
    # name: (exploration strategy, training weighting)
    "explore": ("thompson", "unweighted"),
    "explore_uncertainty": ("mixed", "unweighted"),
    "explore_ipw": ("mixed", "ipw"),  # the earlier explore policy: uncertainty PPS + 1/propensity weights
    "explore_thompson_ipw": ("thompson", "clipped_ipw"),
    # Thompson with the model's profile mean as the only prior (no borrowing of a commodity group's record
    # across origins): the explore policy before the closed loop of 2026-11-30.
    "explore_model_prior": ("thompson", "unweighted"),
}
MODEL_POLICIES = ("greedy", *VARIANTS)
HISTORY_DAYS = 100  # enough for the 90-day volumes
HISTORY_COLUMNS = (
    "declaration_id",
    "filed_at",
    "consignee_id",
    "consignor_id",
    "declarant_id",
    "carrier",
    "vessel_imo",
    "hs_code",
    "place_of_loading",
    "gross_mass_kg",
    "packages",
)


@dataclass
class Loop:
    """One policy's memory: what it has received and what its own inspections revealed."""

    name: str
    seed: int
    rules: list[Rule]
    exploration: float
    rounds: int
    half_life: float | None = None
    rng: np.random.Generator = field(init=False)
    history: list[pd.DataFrame] = field(default_factory=list)
    parties: pd.DataFrame | None = None
    outcomes: list[pd.DataFrame] = field(default_factory=list)
    labelled: list[pd.DataFrame] = field(default_factory=list)  # features at selection + found + propensity
    model: RiskModel | None = None
    trainings: int = 0
    last_scores: pd.DataFrame | None = None  # the ranking score of the last hub's candidates (diagnostics)

    def __post_init__(self) -> None:
        # greedy and explore share one stream: the same warm-up week (same random audit) on the same world.
        stream = 2 if self.name in MODEL_POLICIES else POLICIES.index(self.name)
        self.rng = np.random.default_rng([self.seed, stream, 99])

    def features(self, decl: pd.DataFrame, view: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
        new = party_register(view)
        both = new if self.parties is None else pd.concat([self.parties, new], ignore_index=True)
        self.parties = both.sort_values("first_seen", kind="stable").drop_duplicates("party_id")
        hist = pd.concat(self.history, ignore_index=True) if self.history else None
        outs = pd.concat(self.outcomes, ignore_index=True) if self.outcomes else None
        f = build_features(decl, parties=self.parties, history=hist, outcomes=outs, as_of=as_of)
        f["profile"] = profile_key(f).to_numpy()
        # Only the columns build_features reads from the history (same features, far cheaper to concatenate).
        self.history = [*self.history[-HISTORY_DAYS:], decl[list(HISTORY_COLUMNS)]]
        return f

    def profile_stats(self, now: pd.Timestamp) -> pd.DataFrame | None:
        """Inspections and hits per declaration profile from this policy's own revealed labels."""
        if not self.labelled:
            return None
        data = pd.concat([d[["profile", "found", "filed_at"]] for d in self.labelled], ignore_index=True)
        w = np.ones(len(data))
        if self.half_life:
            w = (
                training_weights(w, times=data["filed_at"], now=now, half_life_days=self.half_life)
                * len(w)
                / max(len(w), 1)
            )
        data = data.assign(inspections=w, hits=w * data["found"].to_numpy(dtype=float))
        return data.groupby("profile", as_index=False)[["inspections", "hits"]].sum()

    def choose(
        self, day: int, f: pd.DataFrame, hub: str, cap: int, stats: pd.DataFrame | None = None
    ) -> pd.DataFrame:
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
        cands = pd.DataFrame(
            {"declaration_id": f["declaration_id"].to_numpy(), "score": rule_score, "profile": f["profile"]}
        )
        if self.name == "rules":
            share, strategy = 0.0, "mixed"
        elif self.model is None:  # warm-up: rules plus a random audit
            share, strategy = 0.10, "random"
        else:
            p = self.model.predict(f)
            cands["model_p"] = p
            cands["score"] = combine(p, rule_score)
            share, strategy = (
                (0.0, "mixed") if self.name == "greedy" else (self.exploration, VARIANTS[self.name][0])
            )
        self.last_scores = cands[["declaration_id", "score"]]
        sel = select(
            cands,
            cap,
            exploration_share=share,
            strategy=strategy,
            seed=self.rng,
            profile_stats=stats,
            borrow=self.name != "explore_model_prior",
        )
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
        rows["strategy"] = sel["strategy"].to_numpy()
        self.labelled.append(rows)

    def retrain(self, now: pd.Timestamp) -> None:
        if self.name not in MODEL_POLICIES or not self.labelled:
            return
        data = pd.concat(self.labelled, ignore_index=True).sort_values("filed_at", kind="stable")
        y = data["found"].to_numpy(dtype=float)
        if y.sum() < 3 or y.sum() == len(y):
            return  # too few revealed hits to learn from: keep the current scoring
        # learning.py: unweighted by default (selection is on the features only); the ipw variants re-weight
        # by 1 / selection propensity. A half-life (both model policies alike) decays old labels.
        method = "unweighted" if self.name == "greedy" else VARIANTS[self.name][1]
        w = training_weights(
            data["propensity"].to_numpy(),
            method=method,
            times=data["filed_at"],
            now=now,
            half_life_days=self.half_life,
        )
        self.model = train(data, y, weights=w, rounds=self.rounds)
        self.trainings += 1


def run_policy(name: str, args: argparse.Namespace, seed: int, rules: list[Rule]) -> pd.DataFrame:
    days = args.weeks * 7
    cfg = WorldConfig(
        days=days,
        seed=seed,
        scale=args.scale,
        smuggling_boost=args.boost,
        trait_sensitivity=args.trait_sensitivity,
    )
    world = World(cfg)
    loop = Loop(name, seed, rules, args.exploration, args.rounds, args.half_life)
    start = pd.Timestamp(cfg.start, tz="UTC")
    rows = []
    for day in range(days):
        morning = start + timedelta(days=day)
        if day > 0 and day % 7 == 0:
            loop.retrain(morning)
        view = world.day_declarations(day)
        decl = declarations_for_features(view, id_column="shipment_id")
        f = loop.features(decl, view, morning) if name != "random" else decl
        stats = loop.profile_stats(morning) if name.startswith("explore") and loop.model else None
        inspections = finds = explored = explored_finds = audits = audit_finds = 0
        kg = explored_kg = 0.0
        rankings = []
        for hub in DUTCH_HUBS:
            sub = f[(f["hub"] == hub).to_numpy()]
            loop.last_scores = None
            cap = world.capacity(day, hub)
            sel = loop.choose(day, sub, hub, cap, stats)
            if loop.last_scores is not None:
                rankings.append((loop.last_scores, cap))
            outs = world.inspect(day, [str(i) for i in sel["declaration_id"]])
            found = {o.shipment_id: o.found for o in outs}
            if name != "random":
                loop.learn(sub, sel, found, morning + timedelta(hours=12))
            inspections += len(outs)
            finds += sum(o.found for o in outs)
            kg += sum(o.kg for o in outs)
            # The exploration slices (after the warm-up week): what they cost or bring.
            strat = dict(zip(sel["declaration_id"].astype(str), sel["strategy"], strict=True))
            if loop.model is not None:
                for o in outs:
                    if strat.get(o.shipment_id, "risk") == "random_audit":
                        audits += 1
                        audit_finds += o.found
                    elif strat.get(o.shipment_id, "risk") != "risk":
                        explored += 1
                        explored_finds += o.found
                        explored_kg += o.kg
        world.end_day(day)
        # Truth, for the report only: loads declared through a Dutch hub that day, and how many of them the
        # organisations had moved off their usual declaration profile (another port or lane, a hijacked
        # importer instead of a front company).
        loads = [a for a in world.attempts(day) if a.row >= 0 and a.hub in DUTCH_HUBS and a.traits]
        declared = len(loads)
        orgs = {o.code: o for o in world.orgs}

        def is_moved(a: Attempt, orgs: dict[str, Organisation] = orgs) -> bool:
            return a.traits["consignee"] == "hijacked" or (
                a.traits["lane"] not in ("air", "road") and a.traits["origin"] not in orgs[a.org].origins
            )

        moved = sum(1 for a in loads if is_moved(a))
        # Loads re-routed through a lane that is not a source route (West Africa): no source or transit
        # country in the declaration.
        rerouted = sum(1 for a in loads if a.traits["lane"] not in ("air", "road", *LATAM_LANES))
        # The ranking itself against the truth (detection aside): how many loaded boxes its top `capacity`
        # held (ties at the cut counted pro rata). Far less noisy than the finds: every load counts, not
        # only the ~3% the inspections reveal.
        dirty = {f"S{day:04d}-{a.row:06d}": is_moved(a) for a in loads if a.method != "hull"}
        top_dirty = top_moved = np.nan
        if rankings:
            top_dirty = top_moved = 0.0
            for scores, cap in rankings:
                share = _top_share(scores["score"].to_numpy(dtype=float), cap)
                ids = scores["declaration_id"].astype(str).to_numpy()
                hit = np.array([i in dirty for i in ids])
                mov = np.array([dirty.get(i, False) for i in ids])
                top_dirty += float((share * hit).sum())
                top_moved += float((share * mov).sum())
        rows.append(
            {
                "policy": name,
                "seed": seed,
                "trait_sensitivity": args.trait_sensitivity,
                "scale": args.scale,
                "day": day,
                "week": day // 7 + 1,
                "inspections": inspections,
                "finds": finds,
                "kg": kg,
                "dutch_loads": declared,
                "moved_loads": moved,
                "rerouted_loads": rerouted,
                "dirty_boxes": len(dirty),
                "moved_boxes": int(sum(dirty.values())),
                "top_dirty": top_dirty,
                "top_moved": top_moved,
                "trainings": loop.trainings,
                "audits": audits,
                "audit_finds": audit_finds,
                "explored": explored,
                "explored_finds": explored_finds,
                "explored_kg": explored_kg,
            }
        )
    return pd.DataFrame(rows)


def _top_share(score: np.ndarray, k: int) -> np.ndarray:
    """Per item, its chance to be in the top ``k`` by score when ties are broken at random."""
    out = np.zeros(len(score))
    k = min(k, len(score))
    if k <= 0:
        return out
    cut = np.sort(score)[::-1][k - 1]
    above = score > cut
    tied = score == cut
    out[above] = 1.0
    out[tied] = (k - above.sum()) / tied.sum()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="4 weeks at scale 0.02, one seed")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--weeks", type=int, default=12)
    ap.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="world volume (1.0: full Rotterdam volume, ~150 scanner slots a day); exploration's absolute"
        " budget scales with it",
    )
    ap.add_argument("--boost", type=float, default=200.0, help="world smuggling_boost (dirty ratio)")
    ap.add_argument("--exploration", type=float, default=0.10)
    ap.add_argument(
        "--trait-sensitivity",
        type=float,
        default=WorldConfig.trait_sensitivity,
        help="what-if: smugglers steer their declaration profile away from what is pulled this strongly",
    )
    ap.add_argument(
        "--half-life",
        type=float,
        default=None,
        help="days; decay old labels in training (both model policies)",
    )
    ap.add_argument(
        "--policies", nargs="*", default=None, choices=POLICIES, help="run only these (default: all four)"
    )
    ap.add_argument(
        "--variants",
        nargs="*",
        default=[],
        choices=[v for v in VARIANTS if v != "explore"],
        help="extra explore variants to explain the result",
    )
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
        # The run settings the CSVs record; else as given on the command line (CSVs before these columns).
        for setting in ("scale", "trait_sensitivity"):
            values = daily[setting].dropna().unique() if setting in daily else []
            if len(values):
                setattr(args, setting, "/".join(str(v) for v in sorted(values)))
        report(daily, args)
        return
    if args.quick:
        args.weeks, args.scale, args.seeds = 4, 0.02, args.seeds[:1]
    rules = load_profiles()
    t0 = time.perf_counter()
    frames = []
    for seed in args.seeds:
        for name in (*(args.policies or POLICIES), *args.variants):
            t = time.perf_counter()
            frames.append(run_policy(name, args, seed, rules))
            print(f"seed {seed} {name:8s} {time.perf_counter() - t:6.1f} s", flush=True)
    daily = pd.concat(frames, ignore_index=True)
    if args.csv:
        daily.to_csv(args.csv, index=False)
    report(daily, args)
    print(f"total {time.perf_counter() - t0:.0f} s")


def report(daily: pd.DataFrame, args: argparse.Namespace) -> None:
    names = [p for p in dict.fromkeys((*POLICIES, *VARIANTS)) if p in set(daily["policy"])]
    for col in ("audits", "audit_finds", "explored", "explored_finds", "explored_kg"):
        if col not in daily:  # CSVs of runs before these columns existed
            daily[col] = 0
    print(
        f"\n{args.weeks} weeks, scale {args.scale}, smuggling_boost {args.boost}, seeds {args.seeds}, "
        f"exploration {args.exploration}, {args.rounds} rounds, half-life {args.half_life}, "
        f"trait sensitivity {args.trait_sensitivity}"
    )
    if "rerouted_loads" not in daily:  # CSVs of runs before this column existed
        daily["rerouted_loads"] = np.nan
    cols = ["kg", "finds", "inspections", "dutch_loads", "moved_loads", "rerouted_loads"]
    per_seed = daily.groupby(["policy", "seed"])[cols].sum(min_count=1)
    per_seed["kg_per_insp"] = per_seed["kg"] / per_seed["inspections"]
    per_seed["hit_rate"] = per_seed["finds"] / per_seed["inspections"]
    per_seed["moved"] = per_seed["moved_loads"] / per_seed["dutch_loads"]
    per_seed["rerouted"] = per_seed["rerouted_loads"] / per_seed["dutch_loads"]
    per_seed["trainings"] = daily.groupby(["policy", "seed"])["trainings"].max()
    agg = per_seed.groupby("policy").agg(["mean", "std"]).reindex(names)
    print(
        "\n| policy | kg found | finds | inspections | kg / inspection | hit rate | loads via NL (truth) "
        "| moved off profile (truth) | via West Africa (truth) | retrainings |"
    )
    print("| --- " * 10 + "|")
    for name, r in agg.iterrows():

        def ms(c: str, fmt: str, r: pd.Series = r) -> str:
            sd = r[(c, "std")]
            return f"{r[(c, 'mean')]:{fmt}}" + ("" if np.isnan(sd) else f" ± {sd:{fmt}}")

        print(
            f"| {name} | {ms('kg', ',.0f')} | {ms('finds', '.1f')} | {ms('inspections', ',.0f')} | "
            f"{ms('kg_per_insp', '.2f')} | {ms('hit_rate', '.2%')} | {ms('dutch_loads', '.0f')} | "
            f"{ms('moved', '.0%')} | {ms('rerouted', '.0%')} | {ms('trainings', '.1f')} |"
        )
    weekly = daily.groupby(["policy", "seed", "week"])[
        ["finds", "inspections", "kg", "dutch_loads", "moved_loads"]
    ].sum()
    weekly["hit"] = weekly["finds"] / weekly["inspections"]
    weekly["kgi"] = weekly["kg"] / weekly["inspections"]
    weekly["moved"] = weekly["moved_loads"] / weekly["dutch_loads"].clip(lower=1)
    hit = weekly["hit"].groupby(["week", "policy"]).mean().unstack()[names]
    kgi = weekly["kgi"].groupby(["week", "policy"]).mean().unstack()[names]
    moved = weekly["moved"].groupby(["week", "policy"]).mean().unstack()[names]
    print("\nper week, mean over seeds: kg / inspection | hit rate | loads moved off profile (truth)")
    print(
        "| week | "
        + " | ".join(f"kg/insp {p}" for p in names)
        + " | "
        + " | ".join(f"hit {p}" for p in names)
        + " | "
        + " | ".join(f"moved {p}" for p in names)
        + " |"
    )
    print("| --- " * (1 + 3 * len(names)) + "|")
    for week in hit.index:
        cells = (
            [f"{kgi.loc[week, p]:.2f}" for p in names]
            + [f"{hit.loc[week, p]:.2%}" for p in names]
            + [f"{moved.loc[week, p]:.0%}" for p in names]
        )
        print(f"| {week} | " + " | ".join(cells) + " |")
    # Collapse check: per third of the run, mean ± sd over seeds.
    thirds = [t for t in np.array_split(np.arange(1, args.weeks + 1), 3) if len(t)]  # runs under 3 weeks
    w = daily.assign(third=np.searchsorted([t[-1] for t in thirds], daily["week"]))
    part = w.groupby(["policy", "seed", "third"])[["finds", "inspections", "kg"]].sum()
    part["hit"] = part["finds"] / part["inspections"]
    part["kgi"] = part["kg"] / part["inspections"]
    for col, title, fmt in (
        ("hit", "hit rate", ".2%"),
        ("finds", "finds", ".1f"),
        ("kgi", "kg / inspection", ".1f"),
    ):
        print(f"\n{title} per third of the run (weeks), mean ± sd over seeds")
        print("| policy | " + " | ".join(f"weeks {t[0]}-{t[-1]}" for t in thirds) + " |")
        print("| --- " * 4 + "|")
        for name in names:
            cells = []
            for k in range(3):
                v = part.loc[name][col].xs(k, level="third")
                cells.append(f"{v.mean():{fmt}}" + ("" if len(v) < 2 else f" ± {v.std():{fmt}}"))
            print(f"| {name} | " + " | ".join(cells) + " |")
    # The ranking against the truth: precision of its top `capacity` and recall of loaded / moved boxes.
    if "top_dirty" in daily and daily["top_dirty"].notna().any():
        rk = w.groupby(["policy", "seed", "third"])[
            ["top_dirty", "top_moved", "dirty_boxes", "moved_boxes", "inspections"]
        ].sum(min_count=1)
        rk["prec"] = rk["top_dirty"] / rk["inspections"]
        rk["rec_moved"] = rk["top_moved"] / rk["moved_boxes"].clip(lower=1)
        rk["rec_other"] = (rk["top_dirty"] - rk["top_moved"]) / (rk["dirty_boxes"] - rk["moved_boxes"]).clip(
            lower=1
        )
        for col, title in (
            (
                "prec",
                "ranking precision (loaded boxes in the top `capacity` / capacity; truth, detection aside)",
            ),
            ("rec_moved", "ranking recall of loads moved off profile (truth)"),
            ("rec_other", "ranking recall of loads on the usual profile (truth)"),
        ):
            print(f"\n{title}, per third, mean ± sd over seeds")
            print("| policy | " + " | ".join(f"weeks {t[0]}-{t[-1]}" for t in thirds) + " |")
            print("| --- " * 4 + "|")
            for name in names:
                if name == "random":
                    continue
                cells = []
                for k in range(3):
                    v = rk.loc[name][col].xs(k, level="third")
                    cells.append(f"{v.mean():.2%}" + ("" if len(v) < 2 else f" ± {v.std():.2%}"))
                print(f"| {name} | " + " | ".join(cells) + " |")
    # Paired by seed (same world seed, same warm-up): each model policy against greedy.
    if "greedy" in names and daily["seed"].nunique() > 1:
        tot = daily.groupby(["policy", "seed"])[["finds", "kg", "top_dirty"]].sum(min_count=1)
        late = daily[daily["week"] > args.weeks - len(thirds[-1])]
        tot["late_finds"] = late.groupby(["policy", "seed"])["finds"].sum()
        print(
            "\npaired by seed, policy minus greedy: mean ± sd of the difference, t = mean / (sd / sqrt(n)), "
            "seeds ahead / behind"
        )
        print("| policy | finds | kg | loaded boxes in the ranking's top (truth) | finds in the last third |")
        print("| --- " * 5 + "|")
        for name in names:
            if name in ("random", "greedy"):
                continue
            cells = []
            for col, fmt in (("finds", ".1f"), ("kg", ",.0f"), ("top_dirty", ".1f"), ("late_finds", ".1f")):
                diff = (tot.loc[name, col] - tot.loc["greedy", col]).dropna()
                m, sd, n = diff.mean(), diff.std(), len(diff)
                t = m / (sd / np.sqrt(n)) if n > 1 and sd > 0 else np.nan
                cells.append(
                    f"{m:+{fmt}} ± {sd:{fmt}} (t {t:.1f}; {int((diff > 0).sum())}/{int((diff < 0).sum())})"
                )
            print(f"| {name} | " + " | ".join(cells) + " |")
    # What the exploration slices did after the warm-up week (summed over seeds).
    ex = daily.groupby("policy")[["audits", "audit_finds", "explored", "explored_finds", "explored_kg"]].sum()
    ex = ex.reindex([n for n in names if n.startswith("explore")])
    if len(ex):
        print("\nexploration slices after the warm-up, summed over seeds")
        print(
            "| policy | random audits | audit finds | audit hit rate | directed | directed finds | "
            "directed hit rate | directed kg |"
        )
        print("| --- " * 8 + "|")
        for name, r in ex.iterrows():
            print(
                f"| {name} | {r['audits']:.0f} | {r['audit_finds']:.0f} | "
                f"{r['audit_finds'] / max(r['audits'], 1):.2%} | {r['explored']:.0f} | "
                f"{r['explored_finds']:.0f} | {r['explored_finds'] / max(r['explored'], 1):.2%} | "
                f"{r['explored_kg']:,.0f} |"
            )


if __name__ == "__main__":
    main()
