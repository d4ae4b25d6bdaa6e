"""The common working grid of two scans of one container, and the way back to each image's pixels.

Each scan's container (:mod:`locate`) is resampled to the same number of columns along its length and the
same number of rows from its roof line down. Along the travel axis the crop's two ends are the
container's ends, which absorbs a scanner's line-speed error; a scan whose end is cut off gets a virtual
end one container length from its real end (the columns it does not have are marked invalid), refined by
:func:`register.affine_search`. Vertically each scan keeps its own calibrated pitch from a little above its
roof line; fan-beam magnification makes the apparent height differ between scanners, so a global vertical
scale and offset are searched (:func:`register.affine_search`) and the vertical warp corrects the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mainport.imaging.locate import Located, snap_length
from mainport.imaging.normalise import resample
from mainport.imaging.prepare import Prepared

FLOOR_FROM_ROOF_MM = 3100.0  # roof line (near-side rail) to floor band when no floor band is found
ROOF_MARGIN_MM = 80.0  # the working grid starts this far above the roof line


@dataclass
class Crop:
    """Column/row coordinates (in the prepared image) of every working-grid column/row of one scan."""

    cols: np.ndarray
    rows: np.ndarray
    step: tuple[float, float]  # input pixels per working pixel (rows, cols)
    col_valid: np.ndarray  # working columns inside the image
    row_valid: np.ndarray

    def sample(self, img: np.ndarray) -> np.ndarray:
        rows = np.clip(self.rows, 0, img.shape[0] - 1)
        cols = np.clip(self.cols, 0, img.shape[1] - 1)
        return resample(img, rows, cols, self.step)


def container_length(lo: Located, la: Located, po: Prepared, pa: Prepared) -> float:
    """The container length (mm): the nominal length nearest the uncut scans' observed lengths."""
    seen = [
        (loc.x1 - loc.x0) * p.pitch[0]
        for loc, p in ((lo, po), (la, pa))
        if not (loc.cut_left or loc.cut_right)
    ]
    if not seen:  # both cut: the longer view, snapped
        seen = [max((lo.x1 - lo.x0) * po.pitch[0], (la.x1 - la.x0) * pa.pitch[0])]
    return snap_length(float(np.mean(seen)), 0.15)


def floor_anchor(loc: Located, pitch_v: float) -> float:
    """Input row of the top of the floor band (the fallback assumes a typical roof band above the roof)."""
    return float(loc.floor_row) if loc.floor_row > loc.y0 else loc.y0 + FLOOR_FROM_ROOF_MM / pitch_v


def crop(
    loc: Located, p: Prepared, length_mm: float, n_cols: int, n_rows: int, work_mm: float, floor_work: int
) -> Crop:
    """Working-grid sampling positions of one scan (see module docstring)."""
    ph, pv = p.pitch
    x0, x1 = float(loc.x0), float(loc.x1)
    want = length_mm / ph
    if loc.cut_left and not loc.cut_right:
        x0 = x1 - want
    elif loc.cut_right and not loc.cut_left:
        x1 = x0 + want
    elif loc.cut_left and loc.cut_right:  # both ends missing: centre the view on the container
        mid = 0.5 * (x0 + x1)
        x0, x1 = mid - want / 2, mid + want / 2
    cols = x0 + (np.arange(n_cols) + 0.5) * (x1 - x0) / n_cols - 0.5
    # the floor band is the anchor: it spans the width near the lane's centre plane, where the vertical
    # pitch is calibrated; the roof line is not (its near-side rail is magnified by the fan beam)
    rows = floor_anchor(loc, pv) + (np.arange(n_rows) - floor_work) * (work_mm / pv)
    width = p.a.shape[1]
    col_valid = (cols >= -0.5) & (cols <= width - 0.5)
    row_valid = (rows >= -0.5) & (rows <= min(p.a.shape[0], loc.y1) - 0.5)  # below: vehicle or background
    return Crop(cols, rows, (work_mm / pv, max((x1 - x0) / n_cols, 1e-3)), col_valid, row_valid)


def remap(c: Crop, p: Prepared, loc: Located, axis: int, scale: float, offset: float) -> Crop:
    """The crop whose working pixel k samples where the old crop's pixel ``scale * k + offset`` did."""
    pos = c.rows if axis == 0 else c.cols
    k = np.arange(len(pos), dtype=np.float64)
    new = np.interp(scale * k + offset, k, pos, left=np.nan, right=np.nan)
    step = (pos[-1] - pos[0]) / max(len(pos) - 1, 1)
    lo = np.isnan(new) & (k < len(pos) / 2)
    hi = np.isnan(new) & ~lo
    new[lo] = pos[0] + (scale * k[lo] + offset) * step
    new[hi] = pos[-1] + (scale * k[hi] + offset - (len(pos) - 1)) * step
    if axis == 0:
        valid = (new >= -0.5) & (new <= min(p.a.shape[0], loc.y1) - 0.5)
        return Crop(c.cols, new, (c.step[0] * scale, c.step[1]), c.col_valid, valid)
    valid = (new >= -0.5) & (new <= p.a.shape[1] - 0.5)
    return Crop(new, c.rows, (c.step[0], c.step[1] * scale), valid, c.row_valid)


@dataclass
class Grid:
    n_cols: int
    n_rows: int
    work_mm: float
    floor_row: int  # working row of the top of the floor band (the vertical anchor)
    under_row: int  # working row below which the under-floor band (vehicle, smeared floor) begins
    length_mm: float
    co: Crop
    ca: Crop


def common_grid(lo: Located, la: Located, po: Prepared, pa: Prepared, work_mm: float) -> Grid:
    length = container_length(lo, la, po, pa)
    n_cols = max(32, round(length / work_mm))
    above = max((floor_anchor(loc, p.pitch[1]) - loc.y0) * p.pitch[1] for loc, p in ((lo, po), (la, pa)))
    below = max((loc.y1 - floor_anchor(loc, p.pitch[1])) * p.pitch[1] for loc, p in ((lo, po), (la, pa)))
    floor_work = round((above + ROOF_MARGIN_MM) / work_mm)
    n_rows = max(16, floor_work + round(below / work_mm) + 2)
    co = crop(lo, po, length, n_cols, n_rows, work_mm, floor_work)
    ca = crop(la, pa, length, n_cols, n_rows, work_mm, floor_work)
    ends = [
        floor_work + (loc.band_end - floor_anchor(loc, p.pitch[1])) * p.pitch[1] / work_mm
        for loc, p in ((lo, po), (la, pa))
        if loc.band_end > 0 and loc.floor_row > 0
    ]
    under = round(max(ends)) if ends else n_rows
    return Grid(n_cols, n_rows, work_mm, floor_work, min(max(under, floor_work + 2), n_rows), length, co, ca)
