"""Batch comparison of many pairs on Dask distributed (I/O at this edge, pure compare inside).

PAIRS.csv columns: ``pair_id,origin,dest``. PREDS.csv columns: ``pair_id,score,x0,y0,x1,y1,error``;
the box is the strongest change region in arrival-image pixels (empty when none). A pair that fails
(corrupt file, no container) gets its ``error`` filled instead of stopping the batch.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PRED_FIELDS = ("pair_id", "score", "x0", "y0", "x1", "y1", "error")


def compare_files(pair_id: str, origin: str, dest: str) -> dict[str, Any]:
    """Worker task: read two scans, compare, return one PREDS row (never raises)."""
    from mainport.imaging.compare import compare
    from mainport.imaging.io import read_scan

    row: dict[str, Any] = {k: "" for k in PRED_FIELDS}
    row["pair_id"] = pair_id
    try:
        c = compare(read_scan(origin), read_scan(dest))
        row["score"] = f"{c.score:.6f}"
        if c.best is not None:
            row["x0"], row["y0"], row["x1"], row["y1"] = c.best.box_arrival
    except Exception as exc:  # one bad pair must not kill the batch
        row["error"] = f"{type(exc).__name__}: {exc}"
    return row


def _warm_up() -> bool:
    """Import the heavy modules once per worker, outside the timed part."""
    import mainport.imaging.compare
    import mainport.imaging.io  # noqa: F401

    return True


def read_pairs(path: str | Path) -> list[tuple[str, str, str]]:
    base = Path(path).parent
    out = []
    with open(path, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            o, d = Path(r["origin"]), Path(r["dest"])
            o = o if o.is_absolute() else base / o
            d = d if d.is_absolute() else base / d
            out.append((r["pair_id"], str(o), str(d)))
    return out


def write_preds(rows: list[dict[str, Any]], path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(PRED_FIELDS))
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in PRED_FIELDS})


def run_batch(
    pairs_csv: str | Path,
    out_csv: str | Path,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    processes: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run all pairs; a LocalCluster (``workers`` processes x 1 thread) unless ``scheduler`` is given.

    Returns a summary with ``n``, ``errors`` and ``compute_s`` (wall time from submit to last result,
    cluster start-up excluded).
    """
    from dask.distributed import Client, LocalCluster, as_completed

    pairs = read_pairs(pairs_csv)
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=processes, dashboard_address=None
        )
        client = Client(cluster)
    try:
        client.run(_warm_up)
        t0 = time.perf_counter()
        futs = client.map(compare_files, *zip(*pairs, strict=True), pure=False) if pairs else []
        rows: dict[str, dict[str, Any]] = {}
        for i, fut in enumerate(as_completed(futs), start=1):
            r = fut.result()
            rows[r["pair_id"]] = r
            if on_progress:
                on_progress(i, len(pairs))
        compute_s = time.perf_counter() - t0
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    ordered = [rows[p[0]] for p in pairs]
    write_preds(ordered, out_csv)
    return {"n": len(pairs), "errors": sum(1 for r in ordered if r["error"]), "compute_s": compute_s}
