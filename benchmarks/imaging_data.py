"""Pairs from both simulators for the imaging benchmarks, rendered once and cached on disk.

    .venv/bin/python benchmarks/imaging_data.py --sim sim2 --split eval --pairs 240   # render ahead

``sim1`` is mainport's own renderer (``imaging.render``), ``sim2`` the independently written simulator
(``imaging.sim2``). Each (simulator, split) has its own seed; the tuning and evaluation splits never share
one. Pair ``i`` is benign when ``i`` is even, else a concealment added (i % 4 == 1) or removed. The cache
lives in ``var/imaging_bench/<sim>-<code hash>/<split>/`` and is keyed by a hash of the simulator's source,
so a change to a simulator re-renders its pairs instead of reusing stale ones.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mainport.imaging.meta import ScanImage, ScanMeta  # noqa: E402

CACHE = Path(os.environ.get("MAINPORT_BENCH_CACHE", ROOT / "var" / "imaging_bench"))
SEEDS = {
    "sim1": {"tune": 777, "eval": 2027, "calib": 5150},
    "sim2": {"tune": 31, "eval": 4242, "calib": 8191},
}
_SOURCES = {
    "sim1": ["scene.py", "canvas.py", "cargo.py", "scanner.py", "render.py", "physics.py"],
    "sim2": [
        f"sim2/{n}"
        for n in (
            "cargo.py",
            "conceal.py",
            "container.py",
            "pairs.py",
            "scanners.py",
            "solids.py",
            "spectra.py",
            "vehicles.py",
        )
    ],
}


@dataclass
class Truth:
    """What the evaluation knows about a pair (the product never sees this)."""

    sim: str
    index: int
    change: str | None
    place: str | None
    mass_kg: float
    box_origin: list[int] | None
    box_arrival: list[int] | None
    visible: float  # fraction of the change's box inside the image that has it (cut-off ends)
    origin_has: bool  # the origin scan contains the concealment
    arrival_has: bool
    commodity: str
    group: str
    declared_packages: int
    declared_mass_kg: float
    size_ft: int
    reefer: bool
    vehicles: list[str]
    scanners: list[str]


def code_hash(sim: str) -> str:
    h = hashlib.sha256()
    for name in _SOURCES[sim]:
        h.update((ROOT / "src/mainport/imaging" / name).read_bytes())
    return h.hexdigest()[:10]


def folder(sim: str, split: str) -> Path:
    return CACHE / f"{sim}-{code_hash(sim)}" / split


def pair_spec(seed: int, i: int) -> tuple[int, str | None]:
    change = None if i % 2 == 0 else ("added" if i % 4 == 1 else "removed")
    return seed * 100_003 + i, change


# sim1 commodities -> declared commodity group (what customs would file)
_SIM1_GROUP = {
    "bananas": "fresh_fruit",
    "cocoa": "cocoa",
    "coffee": "coffee",
    "tiles": "tiles",
    "machinery": "machinery",
    "furniture": "furniture",
    "empty": "empty",
}


# the self-calibration split: benign pairs only, on a few fixed scanner pairings (cycled by index)
CALIB_PAIRINGS = {
    "sim1": [("GYE-DT6", "RTM-GANTRY9"), ("SMR-DT4", "RTM-DT6")],
    "sim2": [
        ("PEPAI-P1", "NLRTM-P5"),
        ("COCTG-DE2", "NLRTM-G6"),
        ("ECPSJ-G3", "BEANR-P7"),
        ("BRSSZ-G4", "DEHAM-G8"),
    ],
}


def render(sim: str, split: str, i: int) -> tuple[ScanImage, ScanImage, Truth]:
    seed, change = pair_spec(SEEDS[sim][split], i)
    pairing: tuple[str, str] | tuple[None, None] = (None, None)
    if split == "calib":
        change = None
        pairing = CALIB_PAIRINGS[sim][i % len(CALIB_PAIRINGS[sim])]
    if sim == "sim1":
        from mainport.imaging.render import render_pair

        p = render_pair(seed, change=change, origin_scanner=pairing[0], arrival_scanner=pairing[1])  # type: ignore[arg-type]
        c = p.contents
        truth = Truth(
            sim,
            i,
            p.change,
            p.change_kind,
            p.change_mass_kg,
            list(p.box_origin) if p.box_origin else None,
            list(p.box_arrival) if p.box_arrival else None,
            1.0 if p.change else 0.0,
            p.change == "removed",
            p.change == "added",
            c.commodity,
            _SIM1_GROUP[c.commodity],
            0,
            0.0,
            c.size_ft,
            c.reefer,
            ["n/a", "n/a"],
            [p.origin.meta.scanner_id, p.arrival.meta.scanner_id],
        )
        return p.origin, p.arrival, truth
    from mainport.imaging.sim2 import simulate_pair

    q = simulate_pair(seed, change=change, origin_scanner=pairing[0], arrival_scanner=pairing[1])
    vis = q.visible_arrival if change == "added" else (q.visible_origin if change == "removed" else 0.0)
    truth = Truth(
        sim,
        i,
        q.change,
        q.place,
        q.mass_kg,
        list(q.box_origin) if q.box_origin else None,
        list(q.box_arrival) if q.box_arrival else None,
        float(vis),
        change == "removed",
        change == "added",
        q.commodity,
        q.group,
        q.declared_packages,
        q.declared_mass_kg,
        q.size_ft,
        q.reefer,
        list(q.vehicles),
        [q.origin.meta.scanner_id, q.arrival.meta.scanner_id],
    )
    return q.origin, q.arrival, truth


def _save(path: Path, origin: ScanImage, arrival: ScanImage, truth: Truth) -> None:
    arrays: dict[str, np.ndarray] = {"o": origin.pixels, "a": arrival.pixels}
    if origin.second is not None:
        arrays["o2"] = origin.second
    if arrival.second is not None:
        arrays["a2"] = arrival.second
    meta = {"origin": origin.meta.to_json(), "arrival": arrival.meta.to_json(), "truth": asdict(truth)}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)


def load(path: Path) -> tuple[ScanImage, ScanImage, Truth]:
    with np.load(path) as z:
        meta = json.loads(bytes(z["meta"]).decode())
        o = ScanImage(z["o"], ScanMeta.from_json(meta["origin"]), second=z.get("o2", None))
        a = ScanImage(z["a"], ScanMeta.from_json(meta["arrival"]), second=z.get("a2", None))
    return o, a, Truth(**meta["truth"])


def _job(args: tuple[str, str, int, str]) -> float:
    sim, split, i, out = args
    t = time.process_time()
    o, a, truth = render(sim, split, i)
    _save(Path(out), o, a, truth)
    return time.process_time() - t


def ensure(sim: str, split: str, n: int, procs: int = 1, quiet: bool = False) -> list[Path]:
    """Render the missing pairs 0..n-1 of (sim, split) into the cache; returns their paths."""
    d = folder(sim, split)
    d.mkdir(parents=True, exist_ok=True)
    paths = [d / f"pair_{i:04d}.npz" for i in range(n)]
    todo = [(sim, split, i, str(p)) for i, p in enumerate(paths) if not p.exists()]
    if todo:
        t0 = time.perf_counter()
        if not quiet:
            print(f"rendering {len(todo)} {sim}/{split} pairs into {d} ({procs} process(es))", flush=True)
        if procs <= 1:
            cpu = [_job(j) for j in todo]
        else:
            with mp.get_context("spawn").Pool(procs) as pool:
                cpu = pool.map(_job, todo, chunksize=1)
        if not quiet:
            print(f"  {time.perf_counter() - t0:.0f} s wall, {np.mean(cpu):.1f} s CPU per pair", flush=True)
    return paths


def pairs(sim: str, split: str, n: int, procs: int = 1) -> Iterator[tuple[ScanImage, ScanImage, Truth]]:
    for p in ensure(sim, split, n, procs):
        yield load(p)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sim", choices=["sim1", "sim2"], required=True)
    ap.add_argument("--split", choices=["tune", "eval", "calib"], required=True)
    ap.add_argument("--pairs", type=int, default=240)
    ap.add_argument("--procs", type=int, default=1)
    args = ap.parse_args()
    ensure(args.sim, args.split, args.pairs, args.procs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
