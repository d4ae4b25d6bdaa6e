"""World benchmark: one full-volume day (Rotterdam ~23,000 boxes + the other hubs), peak memory for 1, 4 and
10 days (it must stay flat: one day is alive at a time), and a 12-week closed loop at scale 0.05.

    .venv/bin/python benchmarks/world_bench.py [--quick] [--memory-scale 0.25]

Each case runs in its own process so that peak RSS is its own. Prints one JSON object.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

_CASE = r"""
import json, resource, sys, tempfile, time
from mainport.world import World, WorldConfig, RiskRulePolicy, generate_world
kind, days, scale = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
t = time.perf_counter()
if kind == "generate":
    with tempfile.TemporaryDirectory() as out:
        s = generate_world(WorldConfig(days=days, scale=scale, seed=1), out)
    extra = {"declarations": s["counts"]["declarations"], "events": s["counts"]["events"]}
else:
    w = World(WorldConfig(scale=scale, seed=1))
    p = RiskRulePolicy(seed=1)
    finds = sum(w.step(d, p).finds for d in range(days))
    extra = {"finds": finds}
secs = time.perf_counter() - t
print(json.dumps({"case": kind, "days": days, "scale": scale, "seconds": round(secs, 2),
                  "seconds_per_day": round(secs / days, 2),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  **extra}))
"""


def _run(kind: str, days: int, scale: float) -> dict[str, object]:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(_CASE)
    done = subprocess.run(
        [sys.executable, fh.name, kind, str(days), str(scale)], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    quick = "--quick" in sys.argv
    # --memory-scale S: the 1/4/10-day peak-memory cases at scale S (default full volume; ~15 days of work).
    scale = float(sys.argv[sys.argv.index("--memory-scale") + 1]) if "--memory-scale" in sys.argv else 1.0
    results = [_run("generate", 1, scale)]
    if not quick:
        results.append(_run("generate", 4, scale))
        results.append(_run("generate", 10, scale))
        results.append(_run("closed_loop", 84, 0.05))
    one = results[0]
    peaks = [float(r["peak_rss_mb"]) for r in results if r["case"] == "generate"]  # type: ignore[arg-type]
    report = {
        "one_day_s": one["seconds"],
        "scale": scale,
        "peak_rss_mb_1_4_10_days": peaks,
        "peak_rss_spread_mb": round(max(peaks) - min(peaks), 1),
        "target_s": 60,
        "ok": float(one["seconds"]) < 60,  # type: ignore[arg-type]
        "cases": results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
