"""Run every benchmark in this folder, one after the other, printing their figures.

    python benchmarks/run_all.py [--quick] [NAME ...]

Each benchmark is a script that prints its own table and the baseline it measured in the same run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    args = sys.argv[1:]
    quick = "--quick" in args
    names = [a for a in args if not a.startswith("--")]
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != "run_all.py" and not p.name.startswith("_"))
    if names:
        scripts = [p for p in scripts if any(n in p.stem for n in names)]
    failed = []
    for script in scripts:
        print(f"\n=== {script.name} {'(quick)' if quick else ''}", flush=True)
        started = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script), *(["--quick"] if quick else [])])
        print(f"=== {script.name}: exit {rc} in {time.perf_counter() - started:.0f} s", flush=True)
        if rc:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
