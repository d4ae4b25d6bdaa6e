"""Find the container in a scan that may also show a truck, a trailer, a genset or nothing else.

Input: attenuation ``A`` (rows = detector from the top, columns = travel) and the pitch. The container is
found by what only a container has:

* **Roof line**: above a container there is air, and its roof is one straight edge over 6 or 12 m. The
  top edge of every column is found; the container's top is the edge height shared by the longest run of
  columns (a tractor cab is lower and shorter, a trailer beyond a 20 ft box has no roof at all); columns
  where something stands on the roof (a higher edge) do not break the run. The run's
  ends are the container's ends; a run that reaches the image border means a cut-off end.
* **Floor band**: floor cross-members every 250-350 mm make dense, narrow, periodic marks along the floor
  of every container; a trailer's beams and decks are smooth along the travel axis. The lowest row with
  that mark pattern, plus the bottom rail below it, is the container's bottom. Without a clear band (a
  bottom cut off at a gantry) the bottom is the last row of the image or the lowest dense row.

Everything below the bottom and outside the ends is the vehicle or the background and is not compared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

UNDER_FLOOR_MM = 450.0
EDGE_A = 0.035  # roof/top rails attenuate more than this at any MeV energy; air does not
NOMINAL_LENGTHS_MM = (6058.0, 12192.0)


@dataclass(frozen=True)
class Located:
    """Container extent in pixels: columns [x0, x1), rows [y0, y1). ``cut_left``/``cut_right``: the scan
    ends inside the container (the other end is real); ``floor_found``: the bottom came from the floor
    band (else a fallback)."""

    x0: int
    x1: int
    y0: int
    y1: int
    cut_left: bool = False
    cut_right: bool = False
    floor_found: bool = True
    floor_row: int = -1  # first row of the floor cross-member band (-1: not found)
    band_end: int = -1  # last row of that band plus the bottom rail (below: under-floor, vehicle)

    @property
    def length_px(self) -> int:
        return self.x1 - self.x0


def _longest_run(mask: np.ndarray, max_gap: int) -> tuple[int, int]:
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return 0, 0
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [idx.size - 1]])
    j = int(np.argmax(idx[ends] - idx[starts]))
    return int(idx[starts[j]]), int(idx[ends[j]]) + 1


def top_edges(a: np.ndarray, smooth: int = 2) -> np.ndarray:
    """Row of the first attenuating pixel from the top in each column (len = cols; rows if none)."""
    # a roof is tens of millimetres of structure; a one- or two-row line (a badly interpolated detector row)
    # is not: three consecutive rows must attenuate (noise is averaged along the row only)
    s = ndi.minimum_filter1d(a, 3, axis=0)
    if smooth:
        s = ndi.uniform_filter1d(s, smooth * 2 + 1, axis=1)
    hit = s > EDGE_A
    any_hit = hit.any(axis=0)
    first = np.argmax(hit, axis=0)
    return np.where(any_hit, first, a.shape[0])


def locate(a: np.ndarray, pitch: tuple[float, float]) -> Located:
    """The container's box in ``a`` (see module docstring)."""
    rows, cols = a.shape
    ph, pv = pitch
    top = top_edges(a)
    valid = top < rows - 2
    if valid.sum() < 20:  # air (an empty lane) or a flat field: nothing to locate
        return Located(0, 0, 0, 0, floor_found=False)
    tol = max(3, round(45.0 / pv))
    # candidate roof heights: the edge rows of the upper two thirds; score = longest run of columns at it
    cand = np.unique(top[valid & (top < rows * 0.66)])
    if cand.size == 0:
        cand = np.unique(top[valid])
    gap = max(3, round(300.0 / ph))
    best = (0, 0, 0)  # (run length, start, end)
    best_t = int(cand[0])
    hist = np.bincount(top[valid], minlength=rows + 1)
    strong = cand[np.argsort(-hist[cand])][:40]  # only the most common edge rows need testing
    for t in strong:
        at = np.abs(top - t) <= tol
        # something standing on the roof (a higher edge) does not end the roof line; the run is trimmed
        # back to roof-height columns at its ends, so a taller exhaust stack or cab beside it stays out
        run = _longest_run(at | (top < t - tol), gap)
        inside = np.flatnonzero(at[run[0] : run[1]])
        if inside.size == 0:
            continue
        run = (run[0] + int(inside[0]), run[0] + int(inside[-1]) + 1)
        if run[1] - run[0] > best[0]:
            best, best_t = (run[1] - run[0], run[0], run[1]), int(t)
    x0, x1 = best[1], best[2]
    if x1 - x0 < 20:  # no straight roof line anywhere: a vehicle alone, or no container in view
        return Located(0, 0, 0, 0, floor_found=False)
    # roof top: the highest edge within the run (near-side top rail in a fan beam sits highest)
    run_top = top[x0:x1]
    y0 = int(max(0, np.percentile(run_top[np.abs(run_top - best_t) <= tol], 5) - 1))
    margin = max(2, round(30.0 / ph))
    cut_left, cut_right = x0 <= margin, x1 >= cols - margin
    band_end, floor_row = _floor_bottom(a, x0, x1, y0, pitch)
    # a low source sees the floor, a full-width plane, smeared over a few hundred millimetres below its
    # band's top: keep at least UNDER_FLOOR_MM below it (the comparison models that band on its own)
    y1 = band_end if floor_row < 0 else min(rows, max(band_end, floor_row + round(UNDER_FLOOR_MM / pv)))
    return Located(x0, x1, y0, y1, cut_left, cut_right, floor_row >= 0, floor_row, band_end)


def _floor_bottom(a: np.ndarray, x0: int, x1: int, y0: int, pitch: tuple[float, float]) -> tuple[int, int]:
    """(bottom row, exclusive; first row of the floor band or -1): below the band of cross-member marks."""
    rows = a.shape[0]
    ph, pv = pitch
    # cross-members are narrow along the travel axis and ~120 mm tall: average 60 mm vertically (noise),
    # then keep what a 1-D opening of ~120 mm along the travel axis removes; photon-starved pixels carry
    # no marks
    region = ndi.uniform_filter1d(np.minimum(a[:, x0:x1], 6.0), max(1, round(60.0 / pv)), axis=0)
    w = max(3, round(120.0 / ph))
    opened = ndi.grey_opening(region, size=(1, w))
    # a cross-member web seen edge-on is far denser than the floor cavity beside it; cargo texture is not
    energy = ((region - opened) > np.maximum(0.3, 0.5 * (opened + 0.2))).mean(axis=1)
    energy = ndi.uniform_filter1d(energy, max(3, round(30.0 / pv)))
    lo_search = y0 + round(1800.0 / pv)  # the floor is at least ~2 m below the roof line
    if lo_search >= rows - 2:
        return rows, -1
    seg = energy[lo_search:]
    peak = float(seg.max()) if seg.size else 0.0
    # cross-members every ~300 mm at 5 mm pitch: ~1-3% of columns carry a mark; ~0.5% is noise
    if peak < 0.012:
        return _dense_bottom(a, x0, x1, y0, pitch), -1
    # the topmost band of marks is the container floor: a trailer's cross-members and bolsters below it are
    # fewer but wider, and can mark more columns, so the band starts where the marks first rise clearly
    # above what the cargo space above shows (vertical seams and edges give a few marks everywhere)
    baseline = float(np.median(seg[: max(1, len(seg) // 2)]))
    rise = np.flatnonzero((seg > 1.8 * baseline) & (seg > baseline + 0.01))
    k = int(rise[0]) + lo_search if rise.size else int(np.flatnonzero(seg > 0.5 * peak)[0]) + lo_search
    run_end = k
    while run_end + 1 < rows and energy[run_end + 1] > 0.35 * peak:
        run_end += 1
    bottom = run_end + 1 + round(55.0 / pv)  # the bottom rail and castings below the cross-members
    return int(min(rows, bottom)), k


def _dense_bottom(a: np.ndarray, x0: int, x1: int, y0: int, pitch: tuple[float, float]) -> int:
    """Fallback: lowest row where most container columns still attenuate (the image bottom at a gantry)."""
    frac = (a[:, x0:x1] > EDGE_A).mean(axis=1)
    below = np.flatnonzero(frac > 0.8)
    below = below[below > y0]
    return int(below.max()) + 1 if below.size else a.shape[0]


def snap_length(mm: float, tol: float = 0.1) -> float:
    best = min(NOMINAL_LENGTHS_MM, key=lambda n: abs(n - mm))
    return best if abs(best - mm) <= tol * best else mm
