"""Insider ranking on the world: precision of the top 20, recall of seizure-involved insiders in the top 1%.

    .venv/bin/python benchmarks/insider_ranking.py                    # seeds 10-19, with and without careful
    .venv/bin/python benchmarks/insider_ranking.py --seeds 0-9        # the tuning seeds
    .venv/bin/python benchmarks/insider_ranking.py --days 28 --seeds 10-12   # quicker

Each seed is one world (mainport.world, shift work on, 60 staff per terminal or handler, smuggling boosted so
that a six-week world holds enough insider-assisted loads) run twice: every insider reckless, and half of them
careful (they look up the box in their own shift, from their own workstation, never the release code). The
ranking (`mainport.insider.analytics.rank`) sees only what the product holds: the access logs, the inspections
(selected; found = seized), the seizures with a container number and the e-seal statuses (broken seal) - the
same records the world writes to access/, inspections/, seizures/ and telemetry/. The truth (the world's
insiders and their actions) is read here, for the scoring only.

Measures per run: precision of the top 20 (share of true insiders), recall of seizure-involved insiders (an
insider who looked up a load that was later seized) within the top 1% of staff, and the same for careful
insiders alone; against a baseline in the same run: ranking by the number of night look-ups (00-06 UTC),
what the product did before.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mainport.insider.analytics import rank
from mainport.world.config import WorldConfig
from mainport.world.enforcement import RiskRulePolicy
from mainport.world.engine import World


@dataclass
class Observed:
    lookups: pd.DataFrame
    outcomes: pd.DataFrame
    staff: int
    insiders: set[str]
    careful: set[str]
    seizure_involved: set[str]


def simulate(seed: int, days: int, careful: float, cache: Path | None = None) -> Observed:
    """One world's observed look-ups and outcomes, and its truth (cached as a pickle when `cache` is given,
    keyed by the world's source so that a changed world is simulated again)."""
    if cache is not None:
        path = cache / f"insider-{_world_hash()}-{seed}-{days}-{careful}.pkl"
        if path.is_file():
            found: Observed = pickle.loads(path.read_bytes())
            return found
        obs = simulate(seed, days, careful)
        cache.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(obs))
        return obs
    config = WorldConfig(
        days=days,
        seed=seed,
        scale=0.1,
        smuggling_boost=8.0,
        staff_per_site=60,
        shift_work=True,
        careful_insiders=careful,
    )
    world = World(config)
    policy = RiskRulePolicy(seed=seed)
    logs: list[dict[str, Any]] = []
    flags: list[tuple[str, str]] = []
    actions: list[dict[str, Any]] = []
    seized_loads: set[str] = set()
    for day in range(days):
        outcome = world.step(day, policy)
        st = world.state(day)
        logs.extend(st.access_logs)
        actions.extend(st.insider_actions)
        # What the product holds: inspections (selected, found), seizures with a box, e-seal statuses.
        for ins in outcome.inspections:
            flags.append((ins.container_number, "selected"))
            if ins.found:
                flags.append((ins.container_number, "seized"))
        for a in st.attempts:
            if a.seized and a.container_number:
                flags.append((a.container_number, "seized"))
            if a.seized:
                seized_loads.add(a.id)  # truth, for the scoring
        for t in st.telemetry:
            if t.get("kind") == "eseal_status" and t.get("status") == "BREACHED":
                flags.append((str(t["equipmentReference"]), "seal_broken"))
    frame = pd.DataFrame(logs)
    frame = frame.rename(columns={"container_number": "container"})
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    staff_users = {u for people in world.staff.values() for u, _ in people}
    frame = frame[frame["user"].isin(staff_users)]  # hauliers' and crews' passes are not staff
    insiders = {i.user for o in world.orgs for i in o.insiders}
    careful_set = {i.user for o in world.orgs for i in o.insiders if i.careful}
    involved = {a["insider"] for a in actions if a["load"] in seized_loads and a["insider"] in insiders}
    return Observed(
        frame.reset_index(drop=True),
        pd.DataFrame(flags, columns=["container", "flag"]),
        len(staff_users),
        insiders,
        careful_set,
        involved,
    )


def _world_hash() -> str:
    import mainport.world as world_pkg

    digest = hashlib.sha1(usedforsecurity=False)
    for f in sorted(Path(world_pkg.__file__).parent.glob("*.py")):
        digest.update(f.read_bytes())
    return digest.hexdigest()[:10]


def measure(obs: Observed, order: list[str]) -> dict[str, float]:
    # Staff without a single look-up rank last (they are in the denominator of "1% of staff" all the same).
    top20 = order[:20]
    top1 = set(order[: max(1, round(obs.staff * 0.01))])
    careful_involved = obs.seizure_involved & obs.careful
    return {
        "p_at_20": sum(u in obs.insiders for u in top20) / 20,
        "recall_1pct": len(obs.seizure_involved & top1) / max(1, len(obs.seizure_involved)),
        "recall_1pct_careful": (
            len(careful_involved & top1) / len(careful_involved) if careful_involved else float("nan")
        ),
        "involved": len(obs.seizure_involved),
        "careful_involved": len(careful_involved),
        "top1_size": len(top1),
    }


def night_baseline(obs: Observed) -> list[str]:
    night = obs.lookups[obs.lookups["at"].dt.hour < 6].groupby("user").size()
    return list(night.sort_values(ascending=False).index)


def seeds_arg(text: str) -> list[int]:
    if "-" in text:
        lo, hi = text.split("-", 1)
        return list(range(int(lo), int(hi) + 1))
    return [int(s) for s in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="10-19", help="seeds: 10-19 (held out) or 0-9 (tuning) or 1,2,3")
    parser.add_argument("--days", type=int, default=42)
    parser.add_argument("--cache", type=Path, default=None, help="keep simulated worlds here (tuning)")
    args = parser.parse_args(argv)
    seeds = seeds_arg(args.seeds)
    rows = []
    started = time.perf_counter()
    for variant, careful in (("reckless", 0.0), ("careful", 0.5)):
        for seed in seeds:
            t0 = time.perf_counter()
            obs = simulate(seed, args.days, careful, args.cache)
            t1 = time.perf_counter()
            ranking = rank(obs.lookups, obs.outcomes)
            t2 = time.perf_counter()
            ours = measure(obs, list(ranking.people["user"]))
            base = measure(obs, night_baseline(obs))
            rows.append(
                {
                    "variant": variant,
                    "seed": seed,
                    "staff": obs.staff,
                    "insiders": len(obs.insiders),
                    **ours,
                    "base_p_at_20": base["p_at_20"],
                    "base_recall_1pct": base["recall_1pct"],
                    "world_s": round(t1 - t0, 1),
                    "rank_s": round(t2 - t1, 2),
                }
            )
            r = rows[-1]
            print(
                f"{variant:8s} seed {seed:3d}: staff {r['staff']} insiders {r['insiders']} "
                f"involved {r['involved']} (careful {r['careful_involved']}) | P@20 {r['p_at_20']:.2f} "
                f"R@1% {r['recall_1pct']:.2f} (careful {r['recall_1pct_careful']:.2f}) | night baseline "
                f"P@20 {r['base_p_at_20']:.2f} R@1% {r['base_recall_1pct']:.2f} | rank {r['rank_s']} s",
                flush=True,
            )
    table = pd.DataFrame(rows)
    print()
    ok = True
    for name, part in table.groupby("variant", sort=False):
        p20 = part["p_at_20"].mean()
        rec = part["recall_1pct"].mean()
        pooled = part["involved"].sum()
        caught = (part["recall_1pct"] * part["involved"]).sum()
        careful_rec = part["recall_1pct_careful"].dropna()
        print(
            f"{name!s:8s} over {len(part)} seeds: precision@20 mean {p20:.3f} "
            f"(min {part['p_at_20'].min():.2f})"
            f"; recall of seizure-involved insiders in top 1% mean {rec:.3f} (pooled {caught:.0f}/{pooled})"
            + (
                f"; careful ones {careful_rec.mean():.3f} over {len(careful_rec)} seeds"
                if len(careful_rec)
                else ""
            )
            + f" | night-look-up baseline P@20 {part['base_p_at_20'].mean():.3f} "
            f"R@1% {part['base_recall_1pct'].mean():.3f}"
        )
        ok = ok and p20 >= 0.6 and rec >= 0.8
    print(
        f"targets (P@20 >= 0.6, R@1% >= 0.8) {'met' if ok else 'NOT met'}; "
        f"{time.perf_counter() - started:.0f} s, median rank time "
        f"{statistics.median(table['rank_s']):.2f} s"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
