"""Operational sections of the imaging generalisation protocol (``imaging_generalisation.py``).

* **Single-scan analysis**: ``check_declared`` on each scan of the evaluation pairs, against the declared
  commodity; a scan is positive when it holds a concealment (origin of a removal, arrival of an addition)
  that is mostly inside the image. AUC against every scan without one, overall and by hiding place, for
  concealments of at least 20 kg (and for all masses).
* **Self-calibration**: benign pairs of a few fixed scanner pairings (``calib`` split). Per pairing, the
  first ``n_fit`` pairs are the ones inspections confirmed clean; :func:`selfcal.threshold` moves the
  pairing's alert threshold from the configured one (the product's ``scan_alert_threshold`` on the
  product's calibrated score) and the false-alarm rate is measured on the pairing's remaining clean pairs.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

TARGET_FA = 0.05


def _auc(neg: list[float], pos: list[float]) -> float:
    if not neg or not pos:
        return float("nan")
    n, p = np.asarray(neg), np.asarray(pos)
    greater = (p[:, None] > n[None, :]).sum()
    ties = (p[:, None] == n[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(n) * len(p)))


def single_scan(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """AUC of the single-scan analysis (see module docstring)."""
    neg: list[float] = []
    pos: dict[str, list[float]] = defaultdict(list)
    pos_all: list[float] = []
    errors = 0
    for r in rows:
        t = r["truth"]
        for side, has in (("origin", t["origin_has"]), ("arrival", t["arrival_has"])):
            res = r[side]
            errors += bool(res["error"])
            s = float(res["score"])
            if not (has and t["change"] is not None):
                neg.append(s)
            elif t["visible"] >= 0.5:
                pos_all.append(s)
                if t["mass_kg"] >= 20:
                    pos[t["place"]].append(s)
    big = [s for v in pos.values() for s in v]
    t5 = float(np.quantile(neg, 1 - TARGET_FA)) if neg else float("nan")
    return {
        "scans": 2 * len(rows),
        "errors": errors,
        "auc>=20kg": _auc(neg, big),
        "auc all masses": _auc(neg, pos_all),
        "det@5% >=20kg": float(np.mean(np.asarray(big) > t5)) if big else float("nan"),
        "auc>=20kg by place": {k: (_auc(neg, v), len(v)) for k, v in sorted(pos.items())},
    }


def self_calibration(rows: list[dict[str, Any]], prior: float, n_fit: int = 50) -> dict[str, Any]:
    """False-alarm rate per scanner pairing before and after self-calibration (see module docstring)."""
    from mainport.imaging.compare import calibrate
    from mainport.imaging.selfcal import threshold

    by_pair: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        if r["error"]:
            continue
        by_pair[" -> ".join(r["truth"]["scanners"])].append(calibrate(float(r["stat"])))
    out: dict[str, Any] = {}
    within = []
    for pairing, scores in sorted(by_pair.items()):
        fit, held = scores[:n_fit], np.asarray(scores[n_fit:])
        if len(fit) < n_fit or held.size < 10:
            out[pairing] = f"too few pairs ({len(scores)})"
            continue
        steps = {n: threshold(fit[:n], TARGET_FA, prior) for n in (10, 25, n_fit)}
        t_final = steps[n_fit]
        fa_after = float(np.mean(held >= t_final))
        within.append(abs(fa_after - TARGET_FA) <= 0.02)
        out[pairing] = {
            "fa before (configured threshold)": round(float(np.mean(held >= prior)), 3),
            "threshold after 10/25/50": [round(steps[n], 3) for n in (10, 25, n_fit)],
            "fa after": round(fa_after, 3),
            "held-out clean pairs": int(held.size),
        }
    out["pairings within 2 points of 5%"] = f"{sum(within)} of {len(within)}"
    return out
