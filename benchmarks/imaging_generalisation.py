"""Generalisation protocol for scan comparison: tune on one simulator, report on the other.

    nice -n 10 .venv/bin/python benchmarks/imaging_generalisation.py              # full protocol
    nice -n 10 .venv/bin/python benchmarks/imaging_generalisation.py --quick  # 40 + 40 pairs per simulator
    ... --procs 16 --no-single --no-selfcal --per-pairing 100                   # processes, sections

Simulators: ``sim1`` = mainport's own renderer, ``sim2`` = the independently written one
(``imaging.sim2``). Splits: ``tune`` (fits the score calibration and the alert thresholds), ``eval``
(reported, never used for fitting), ``calib`` (benign pairs on fixed scanner pairings, for the
self-calibration test). The comparator's numeric calibration is fitted on the tuning split of one
simulator and applied unchanged to the evaluation split of the other, in both directions; the in-simulator
figures are printed next to them for reference.

Reported per direction: AUC; detection at 1% and 5% false alarms (a) at the evaluation set's own benign
quantiles (ROC operating points) and (b) with the threshold carried over from the tuning simulator
(realised false-alarm rate shown); detection by hiding place and by mass at 5% FA; mean IoU of the boxes of
detected changes; false-alarm rate per scanner pair and AUC by kind of pairing (gantry/portal,
single/dual energy). Then the single-scan analysis (AUC for >= 20 kg by hiding place) and the
self-calibration of the alert threshold per scanner pairing after 50 confirmed-clean pairs. Comparator
results are cached per comparator source hash under ``var/imaging_bench/results``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import imaging_data as data  # noqa: E402
import imaging_operation as operation  # noqa: E402

from mainport.imaging.meta import ScanImage  # noqa: E402

RESULTS = data.CACHE / "results"
OUT = HERE / "out"
MASS_BINS = ((0, 10), (10, 20), (20, 40), (40, 61))
PLACES = ("door", "wall", "floor", "cargo", "reefer", "roof")


# ------------------------------------------------------------------------------------------ metrics


def auc(neg: np.ndarray, pos: np.ndarray) -> float:
    if len(neg) == 0 or len(pos) == 0:
        return float("nan")
    allv = np.concatenate([neg, pos])
    order = np.argsort(allv, kind="mergesort")
    ranks = np.empty(len(allv))
    ranks[order] = np.arange(1, len(allv) + 1)
    for v in np.unique(allv):  # ties share their mean rank
        sel = allv == v
        ranks[sel] = ranks[sel].mean()
    return float((ranks[len(neg) :].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def threshold_at(neg: np.ndarray, fa: float) -> float:
    """Smallest threshold (score > t alarms) that lets at most ``fa`` of the benign scores through."""
    s = np.sort(neg)[::-1]
    k = int(np.floor(fa * len(s)))
    return float(s[k]) if k < len(s) else -np.inf


def iou(a: list[int] | tuple[int, ...] | None, b: list[int] | tuple[int, ...] | None) -> float:
    if a is None or b is None:
        return 0.0
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def fit_logistic(x: np.ndarray, y: np.ndarray, ridge: float = 1.0) -> tuple[float, float]:
    w = np.zeros(2)
    X = np.stack([x, np.ones_like(x)], axis=1)
    for _ in range(100):
        p = 1 / (1 + np.exp(-(X @ w)))
        g = X.T @ (p - y) + ridge * np.array([w[0], 0.0])
        h = (X * (p * (1 - p))[:, None]).T @ X + ridge * np.diag([1.0, 1e-6])
        w -= np.linalg.solve(h, g)
    return float(w[0]), float(w[1])


# ---------------------------------------------------------------------------------------- comparator


# the modules whose code decides a comparison / a single-scan result (the cache key of their results;
# platform modules such as the services or the API do not change a score)
_ANALYSIS = ("errors.py", "meta.py", "normalise.py", "physics.py", "prepare.py", "locate.py")
_MODULES = {
    "compare": (*_ANALYSIS, "grid.py", "register.py", "detect.py", "params.py", "compare.py"),
    "single": (*_ANALYSIS, "declared.py", "comparisons.py"),  # comparisons: the cargo classes
}


def comparator_hash(what: str = "compare") -> str:
    h = hashlib.sha256()
    for name in _MODULES[what]:
        h.update((HERE.parent / "src/mainport/imaging" / name).read_bytes())
    return h.hexdigest()[:10]


def naive_score(o: ScanImage, a: ScanImage) -> float:
    """Resize the arrival to the origin's shape, subtract, 99.5th percentile of |diff| (reference)."""
    from mainport.imaging.normalise import resample

    op = o.pixels.astype(np.float32) / 65535.0
    ap = a.pixels.astype(np.float32) / 65535.0
    rows = np.linspace(0, ap.shape[0] - 1, op.shape[0])
    cols = np.linspace(0, ap.shape[1] - 1, op.shape[1])
    ar = resample(ap, rows, cols, (ap.shape[0] / op.shape[0], ap.shape[1] / op.shape[1]))
    return float(np.percentile(np.abs(ar - op), 99.5))


def _compare_one(o: ScanImage, a: ScanImage) -> dict[str, Any]:
    from mainport.imaging.compare import compare
    from mainport.imaging.errors import ImagingError

    t, tc = time.perf_counter(), time.process_time()
    row: dict[str, Any] = {"stat": 0.0, "box": None, "error": "", "regions": 0}
    try:
        c = compare(o, a)
        row["stat"] = float(c.stat)
        row["box"] = list(c.best.box_arrival) if c.best else None
        row["regions"] = len(c.regions)
        row["sign"] = c.best.sign if c.best else None
    except ImagingError as exc:
        row["error"] = f"{type(exc).__name__}: {exc}"
    except Exception as exc:
        row["error"] = f"CRASH {type(exc).__name__}: {exc}"
    row["wall_s"] = time.perf_counter() - t
    row["cpu_s"] = time.process_time() - tc
    row["naive"] = naive_score(o, a)
    return row


def _single_one(scan: ScanImage, group: str, packages: int, mass: float) -> dict[str, Any]:
    from mainport.imaging.declared import check_declared
    from mainport.imaging.service import cargo_class

    try:
        r = check_declared(scan, cargo_class(group))
        return {"score": float(r.score), "error": ""}
    except Exception as exc:
        return {"score": 0.0, "error": f"{type(exc).__name__}: {exc}"}


def _row(args: tuple[str, str]) -> dict[str, Any]:
    """One cached pair through the comparator (or the single-scan analysis of both its scans)."""
    pair_path, what = args
    o, a, truth = data.load(Path(pair_path))
    if what == "compare":
        row = _compare_one(o, a)
    else:
        row = {
            "origin": _single_one(o, truth.group, truth.declared_packages, truth.declared_mass_kg),
            "arrival": _single_one(a, truth.group, truth.declared_packages, truth.declared_mass_kg),
        }
    row["truth"] = data.asdict(truth)
    return row


def run(sim: str, split: str, n: int, procs: int, what: str = "compare") -> list[dict[str, Any]]:
    """Comparator (or single-scan) results for pairs 0..n-1, cached per comparator source hash; the
    pairs are rendered and compared in ``procs`` processes (CPU time per pair is measured in each)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{what}-{sim}-{data.code_hash(sim)}-{split}-{comparator_hash(what)}.json"
    cached: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    paths = data.ensure(sim, split, n, procs)
    todo = [i for i in range(n) if str(i) not in cached]
    jobs = [(str(paths[i]), what) for i in todo]
    if procs <= 1:
        results: Any = map(_row, jobs)
        pool = None
    else:
        import multiprocessing as mp

        pool = mp.get_context("spawn").Pool(procs)
        results = pool.imap(_row, jobs, chunksize=1)
    try:
        for k, (i, row) in enumerate(zip(todo, results, strict=True), start=1):
            cached[str(i)] = row
            if k % 20 == 0 or k == len(todo):
                path.write_text(json.dumps(cached))
                print(f"  {what} {sim}/{split}: {k}/{len(todo)}", flush=True)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return [cached[str(i)] for i in range(n)]


# -------------------------------------------------------------------------------------------- report


def _pairing_kind(scanners: list[str], sim: str) -> str:
    if sim == "sim1":
        return "gantry-arrival" if "GANTRY" in scanners[1] else "portal-portal"
    from mainport.imaging.sim2 import INSTALLATIONS

    o, a = INSTALLATIONS[scanners[0]], INSTALLATIONS[scanners[1]]
    geo = f"{o.kind}-{a.kind}"
    en = {0: "single-single", 1: "single-dual", 2: "dual-dual"}[int(o.dual) + int(a.dual)]
    return f"{geo} / {en}"


def evaluate(
    rows: list[dict[str, Any]], calib: tuple[float, float] | None, thr: dict[float, float] | None, sim: str
) -> dict[str, Any]:
    """Metrics of one evaluation set; ``calib``/``thr`` carried over from the tuning set (None: skip)."""
    stat = np.array([r["stat"] for r in rows])
    x = np.log1p(np.maximum(stat, 0.0))
    y = np.array([r["truth"]["change"] is not None for r in rows])
    score = x if calib is None else 1 / (1 + np.exp(-(calib[0] * x + calib[1])))
    neg, pos = score[~y], score[y]
    out: dict[str, Any] = {
        "n": len(rows),
        "positives": int(y.sum()),
        "errors": sum(1 for r in rows if r["error"]),
    }
    out["auc"] = auc(neg, pos)
    out["naive_auc"] = auc(np.array([r["naive"] for r in rows])[~y], np.array([r["naive"] for r in rows])[y])
    for fa in (0.01, 0.05):
        t_own = threshold_at(neg, fa)
        out[f"det@{fa:.0%}"] = float(np.mean(pos > t_own))
        if thr is not None:
            out[f"carried@{fa:.0%}"] = {
                "threshold": thr[fa],
                "fa": float(np.mean(neg > thr[fa])),
                "det": float(np.mean(pos > thr[fa])),
            }
    t5 = threshold_at(neg, 0.05)
    det = y & (score > t5)
    by_place: dict[str, list[bool]] = defaultdict(list)
    by_place20: dict[str, list[bool]] = defaultdict(list)
    by_mass: dict[str, list[bool]] = defaultdict(list)
    ious = []
    for r, d, isp in zip(rows, det, y, strict=True):
        if not isp:
            continue
        t = r["truth"]
        by_place[t["place"]].append(bool(d))
        if t["mass_kg"] >= 20:
            by_place20[t["place"]].append(bool(d))
        for lo, hi in MASS_BINS:
            if lo <= t["mass_kg"] < hi:
                by_mass[f"{lo}-{min(hi, 60)} kg"].append(bool(d))
        if d:
            ious.append(iou(r["box"], t["box_arrival"]))
    out["by_place@5%"] = {k: (float(np.mean(v)), len(v)) for k, v in sorted(by_place.items())}
    out["by_place>=20kg@5%"] = {k: (float(np.mean(v)), len(v)) for k, v in sorted(by_place20.items())}
    out["by_mass@5%"] = {k: (float(np.mean(v)), len(v)) for k, v in by_mass.items()}
    out["iou_detected"] = float(np.mean(ious)) if ious else 0.0
    # false alarms per scanner pair at the carried-over 5% threshold; AUC by kind of pairing
    if thr is not None:
        fa_pair: dict[str, list[bool]] = defaultdict(list)
        for r, s, isp in zip(rows, score, y, strict=True):
            if not isp:
                fa_pair[" -> ".join(r["truth"]["scanners"])].append(bool(s > thr[0.05]))
        out["fa_by_scanner_pair@carried5%"] = {
            k: (float(np.mean(v)), len(v)) for k, v in sorted(fa_pair.items())
        }
    kinds: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    vehicles: dict[str, list[float]] = defaultdict(list)
    for r, s, isp in zip(rows, score, y, strict=True):
        kinds[_pairing_kind(r["truth"]["scanners"], sim)][int(isp)].append(float(s))
        if not isp:
            veh = r["truth"]["vehicles"]
            nveh = sum(v not in ("none", "n/a") for v in veh)
            vehicles["n/a" if "n/a" in veh else f"{nveh} of 2 scans show a vehicle"].append(float(s))
    out["auc_by_pairing"] = {
        k: (auc(np.array(v[0]), np.array(v[1])), len(v[0]) + len(v[1])) for k, v in sorted(kinds.items())
    }
    out["benign_mean_score_by_vehicles"] = {
        k: (float(np.mean(v)), len(v)) for k, v in sorted(vehicles.items())
    }
    cpu40 = [r["cpu_s"] for r in rows if r["truth"]["size_ft"] == 40 and not r["error"]]
    out["pairs_per_s_per_core_40ft"] = 1 / float(np.mean(cpu40)) if cpu40 else float("nan")
    return out


def tune(rows: list[dict[str, Any]]) -> tuple[tuple[float, float], dict[float, float]]:
    stat = np.array([r["stat"] for r in rows])
    x = np.log1p(np.maximum(stat, 0.0))
    y = np.array([r["truth"]["change"] is not None for r in rows], float)
    a, b = fit_logistic(x, y)
    score = 1 / (1 + np.exp(-(a * x + b)))
    return (a, b), {fa: threshold_at(score[y == 0], fa) for fa in (0.01, 0.05)}


def _fmt(d: dict[str, Any], indent: str = "  ") -> str:
    lines = []
    for k, v in d.items():
        if isinstance(v, dict):
            inner = ", ".join(
                f"{kk}: {vv[0]:.2f} ({vv[1]})" if isinstance(vv, tuple | list) else f"{kk}: {vv:.3f}"
                for kk, vv in v.items()
            )
            lines.append(f"{indent}{k}: {inner}")
        elif isinstance(v, float):
            lines.append(f"{indent}{k}: {v:.3f}")
        else:
            lines.append(f"{indent}{k}: {v}")
    return "\n".join(lines)


def protocol(
    n_tune: int,
    n_eval: int,
    procs: int,
    single: bool = True,
    per_pairing: int = 0,
    selfcal_sims: tuple[str, ...] = ("sim2", "sim1"),
) -> dict[str, Any]:
    res = {
        (s, sp): run(s, sp, n, procs)
        for s in ("sim1", "sim2")
        for sp, n in (("tune", n_tune), ("eval", n_eval))
    }
    report: dict[str, Any] = {}
    for src, dst in (("sim1", "sim2"), ("sim2", "sim1")):
        calib, thr = tune(res[(src, "tune")])
        key = f"tuned on {src}, reported on {dst}/eval"
        report[key] = {"calibration": calib, **evaluate(res[(dst, "eval")], calib, thr, dst)}
        report[f"tuned on {src}, reported on {src}/eval (in-simulator reference)"] = {
            "calibration": calib,
            **evaluate(res[(src, "eval")], calib, thr, src),
        }
    for sim in ("sim2", "sim1"):  # check_declared was written against sim1's scenes; sim2 is held out
        if single:
            report[f"single-scan analysis on {sim}/eval"] = operation.single_scan(
                run(sim, "eval", n_eval, procs, what="single")
            )
        if per_pairing and sim in selfcal_sims:
            from mainport.config import Settings

            n = per_pairing * len(data.CALIB_PAIRINGS[sim])
            report[f"self-calibration on {sim}/calib (50 confirmed-clean pairs per pairing)"] = (
                operation.self_calibration(run(sim, "calib", n, procs), Settings().scan_alert_threshold)
            )
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tune-pairs", type=int, default=160)
    ap.add_argument("--eval-pairs", type=int, default=240)
    ap.add_argument("--quick", action="store_true", help="40 tuning and 40 evaluation pairs per simulator")
    ap.add_argument("--procs", type=int, default=2, help="processes that render and compare pairs")
    ap.add_argument("--no-single", action="store_true", help="leave out the single-scan analysis")
    ap.add_argument("--no-selfcal", action="store_true", help="leave out the self-calibration section")
    ap.add_argument("--selfcal-sims", default="sim2,sim1", help="simulators of the self-calibration section")
    ap.add_argument(
        "--per-pairing", type=int, default=100, help="calib pairs per scanner pairing (50 fit, rest held out)"
    )
    ap.add_argument("--json", type=Path, default=OUT / "imaging_generalisation.json")
    args = ap.parse_args()
    n_tune, n_eval = (40, 40) if args.quick else (args.tune_pairs, args.eval_pairs)
    t0 = time.perf_counter()
    load = os.getloadavg()
    per_pairing = 0 if args.no_selfcal else (60 if args.quick else args.per_pairing)
    report = protocol(
        n_tune,
        n_eval,
        args.procs,
        single=not args.no_single,
        per_pairing=per_pairing,
        selfcal_sims=tuple(args.selfcal_sims.split(",")),
    )
    for k, v in report.items():
        print(f"\n== {k}")
        if k.startswith(("single-scan", "self-calibration")):
            print(json.dumps(v, indent=1, default=str))
        else:
            print(_fmt(v))
    print(
        f"\ncomparator {comparator_hash()}, single-scan {comparator_hash('single')}, "
        f"sim1 {data.code_hash('sim1')}, sim2 {data.code_hash('sim2')}; "
        f"load average at start {load[0]:.1f}, {time.perf_counter() - t0:.0f} s"
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
