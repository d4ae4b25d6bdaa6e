"""Origin vs arrival comparison: normalise, register, noise-aware change map, calibrated score.

Boxes are (x0, y0, x1, y1) in pixels, x = column (travel axis), y = row, end-exclusive.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import ndimage as ndi

from mainport.imaging.errors import ComparisonError
from mainport.imaging.meta import ScanImage
from mainport.imaging.normalise import (
    NOMINAL_HEIGHTS_MM,
    ContainerBox,
    find_container,
    log_attenuation,
    resample,
    snap,
)
from mainport.imaging.physics import mass_attenuation
from mainport.imaging.register import (
    apply_map,
    detect_flip,
    estimate_vshift,
    estimate_warp,
    fit_monotone,
    quantile_map,
    warp_image,
)

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class CompareParams:
    """Tunables, in physical units where possible (so they survive a change of working grid)."""

    work_mm: float = 12.0  # common working grid (mm per pixel)
    smooth_px: float = 1.0  # pre-smoothing (noise) in working pixels
    tolerance_mm: float = 40.0  # shift tolerance along travel of the min/max test (settling, warp)
    tolerance_v_mm: float = 30.0  # vertical tolerance (registration is global and tighter vertically)
    z_seed: float = 3.5  # robust z for a change core
    z_grow: float = 2.5  # robust z to grow the core to the object's extent
    min_core_cm2: float = 12.0  # smallest core (after opening)
    min_core_cm2_coarse: float = 240.0  # at the 2x scale only large layers count
    end_margin_mm: float = 120.0  # ignore the door/front faces (locking bars, handles, seals move)
    max_shift_mm: float = 400.0  # travel-axis warp search range
    end_zone_mm: float = 500.0  # reefer machinery / door frame zone at each end ...
    rel_end_zone: float = 0.0  # ... where a change must also exceed this fraction of the attenuation (off)
    floor_band_mm: float = 250.0  # bottom band treated as rigid structure (tight tolerance)
    rel_mismatch: float = 0.0  # optional level-proportional term of the benign scale (off)
    rel_object: float = 0.2  # change < 20% of a pre-existing object's attenuation that follows its edges
    z_cap: float = 40.0  # evidence = sum of min(z, cap) x cm2 over the core
    min_fill: float = 0.35  # fraction of its bounding box a plausible region fills
    min_delta: float = 0.1  # median |delta A| of a region; 6 cm of bricks is ~0.17 even at 9 MeV
    proportional_r2: float = 0.6  # fit quality of delta ~ k * background that marks a scale mismatch
    streak_max_px: int = 25  # streaks: thinner than this ...
    streak_aspect: float = 12.0  # ... and longer than this many times their thickness (horizontal)
    streak_aspect_cargo: float = 8.0  # same above the floor band
    streak_aspect_v: float = 5.0  # vertical streaks: pallet gaps/edges; bricks are never that tall/thin
    # logistic calibration of log1p(stat); fitted on tuning pairs (seed 777, see docs/imaging.md)
    calib_a: float = 0.8990
    calib_b: float = -5.7612


DEFAULT_PARAMS = CompareParams()


@dataclass
class ChangeRegion:
    sign: Literal["added", "removed"]
    box_origin: Box
    box_arrival: Box
    box_work: Box
    strength: float  # sum of robust z over the core (evidence)
    mass_kg: float  # rough estimate from the integrated attenuation change
    area_cm2: float

    def to_json(self) -> dict[str, Any]:
        return {
            "sign": self.sign,
            "box_origin": list(self.box_origin),
            "box_arrival": list(self.box_arrival),
            "strength": round(self.strength, 2),
            "mass_kg": round(self.mass_kg, 1),
            "area_cm2": round(self.area_cm2, 1),
        }


@dataclass
class Comparison:
    """Result of :func:`compare`. ``score`` in [0, 1] (calibrated probability of a real change)."""

    score: float
    stat: float
    regions: list[ChangeRegion]
    flipped: bool
    origin_aligned: np.ndarray  # (rows, cols) float32 attenuation on the working grid
    arrival_aligned: np.ndarray  # same grid, arrival mapped into origin geometry and intensity scale
    change_z: np.ndarray  # signed robust z (added > 0, removed < 0), 0 outside the change regions
    warp_px: np.ndarray  # travel-axis displacement per working column
    vshift_px: float
    work_mm: float
    origin_id: str = ""
    arrival_id: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def best(self) -> ChangeRegion | None:
        return self.regions[0] if self.regions else None

    def to_json(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "stat": round(self.stat, 2),
            "flipped": self.flipped,
            "vshift_px": round(self.vshift_px, 2),
            "max_warp_px": round(float(np.abs(self.warp_px).max()), 2) if self.warp_px.size else 0.0,
            "regions": [r.to_json() for r in self.regions],
            "origin": self.origin_id,
            "arrival": self.arrival_id,
        }


@dataclass
class _Prepared:
    a: np.ndarray
    box: ContainerBox
    pitch: tuple[float, float]


def _prepare(scan: ScanImage) -> _Prepared:
    a = log_attenuation(scan.pixels)
    box = find_container(a)
    if box.x1 - box.x0 < 50 or box.y1 - box.y0 < 30:
        raise ComparisonError(f"no container found in scan of {scan.meta.container_id}")
    return _Prepared(a, box, scan.meta.pixel_pitch_mm)


def _crop_grid(p: _Prepared, n_cols: int, n_rows: int, work: float) -> tuple[np.ndarray, np.ndarray]:
    b = p.box
    cols = b.x0 + (np.arange(n_cols) + 0.5) * (b.x1 - b.x0) / n_cols - 0.5
    rows = b.y0 + (np.arange(n_rows) + 0.5) * work / p.pitch[1] - 0.5
    return rows, cols


def _group_median_mad(x: np.ndarray, group: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-group median and median absolute deviation, vectorised with two sorts (np.median in a
    Python loop costs more than the rest of the detection)."""
    med, mad = np.zeros(n), np.zeros(n)
    counts = np.bincount(group, minlength=n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    ok = counts > 0
    mid = starts + counts // 2

    def sort_in_groups(v: np.ndarray) -> np.ndarray:
        # one float key (group + value scaled into [0, 0.5)) sorts by group then value in one argsort
        lo, hi = float(v.min()), float(v.max())
        key = group + (v - lo) * (0.5 / (hi - lo + 1e-9))
        return v[np.argsort(key)]

    med[ok] = sort_in_groups(x)[mid[ok]]
    dev = np.abs(x - med[group])
    mad[ok] = sort_in_groups(dev)[mid[ok]]
    return med, mad


class _LevelBins:
    """Robust centre/scale of a difference as functions of the attenuation level.

    Noise (photon statistics) and benign mismatch (texture, residual shifts) both grow with density,
    so a single global threshold would either miss changes in light cargo or fire in dense cargo.
    Bins are quantiles of the level on a pixel subsample; per-pixel values come from a lookup table.
    """

    LUT_N = 1024

    def __init__(self, level: np.ndarray, valid: np.ndarray, nbins: int = 20) -> None:
        self.level = level
        sub = valid[::3, ::3]
        self.lv = level[::3, ::3][sub]
        self.sub = sub
        self.ok = self.lv.size >= 50
        if not self.ok:
            return
        self.edges = np.unique(np.percentile(self.lv, np.linspace(0, 100, nbins + 1)))
        self.idx = np.clip(np.searchsorted(self.edges, self.lv, side="right") - 1, 0, len(self.edges) - 2)
        self.counts = np.bincount(self.idx, minlength=len(self.edges) - 1)
        self.lo, self.hi = float(self.edges[0]), float(self.edges[-1]) + 1e-6
        pos = (np.clip(level, self.lo, self.hi) - self.lo) * np.float32(
            (self.LUT_N - 1) / (self.hi - self.lo)
        )
        self.lut_i = pos.astype(np.intp)

    def z(
        self,
        x: np.ndarray,
        rel: float = 0.0,
        centre: bool = True,
        rel_zones: list[tuple[slice, float]] | None = None,
    ) -> np.ndarray:
        """Standardised ``x``. ``centre=False`` keeps zero as zero: a min/max-tolerant difference is
        biased negative in texture, and subtracting that bias would turn flat areas positive."""
        if not self.ok:
            return np.zeros_like(x)
        xv = x[::3, ::3][self.sub]
        med, mad = _group_median_mad(xv, self.idx, len(self.edges) - 1)
        keep = self.counts > 30
        if not keep.any():
            return np.zeros_like(x)
        c = (0.5 * (self.edges[:-1] + self.edges[1:]))[keep]
        locs, scales = med[keep], 1.4826 * mad[keep]
        grid = np.linspace(self.lo, self.hi, self.LUT_N)
        loc = np.interp(grid, c, locs) if centre else np.zeros_like(grid)
        scale = np.interp(grid, c, np.maximum(scales, 0.02))  # floor: gain/mapping residuals
        if rel > 0:  # optional: mismatch proportional to the attenuation itself
            scale = np.sqrt(scale**2 + (rel * np.maximum(grid, 0)) ** 2)
        inv = (1.0 / scale).astype(np.float32)
        z = ((x - loc.astype(np.float32)[self.lut_i]) * inv[self.lut_i]).astype(np.float32)
        for cols, r in rel_zones or []:  # extra level-proportional scale in some column zones
            sc = scale.astype(np.float32)[self.lut_i[:, cols]]
            lv = np.maximum(self.level[:, cols], 0)
            z[:, cols] *= sc / np.sqrt(sc**2 + (np.float32(r) * lv) ** 2)
        return z


def _row_offsets(d: np.ndarray, level: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Residual detector-row stripes: per-row offset of the difference, estimated separately for thin
    (walls/empty) and dense pixels (after a non-linear intensity map an offset depends on the level),
    with a clipped two-pass mean on every 3rd column (robust to a concealment, cheaper than a median)."""
    ds, ls, vs = d[:, ::3], level[:, ::3], valid[:, ::3]
    thin = ls < 0.5
    out = np.zeros(d.shape, np.float32)
    for sel_s, clip, thin_cls in ((thin, 0.04, True), (~thin, 0.15, False)):
        msk = (sel_s & vs).astype(np.float32)
        n = msk.sum(axis=1)
        est = (ds * msk).sum(axis=1) / np.maximum(n, 1)
        for _ in range(2):
            keep = msk * (np.abs(ds - est[:, None]) < clip)
            k = keep.sum(axis=1)
            est = np.where(k > 8, (ds * keep).sum(axis=1) / np.maximum(k, 1), 0.0)
        est = np.where(n > 15, est, 0.0).astype(np.float32)
        sel = level < 0.5 if thin_cls else level >= 0.5
        out += np.where(sel, est[:, None], np.float32(0))
    return out


def _open3(mask: np.ndarray) -> np.ndarray:
    """Binary opening with a 3x3 square via separable min/max filters (much faster than binary_*)."""
    u = mask.view(np.uint8) if mask.dtype == bool else mask.astype(np.uint8)
    return ndi.maximum_filter(ndi.minimum_filter(u, size=3), size=3).astype(bool)


def _components(
    z_core: np.ndarray,
    z_extent: np.ndarray,
    valid: np.ndarray,
    prm: CompareParams,
    tol: int,
    min_px: int,
    cell_cm2: float,
) -> list[tuple[np.ndarray, float]]:
    """Cores (robust z above z_seed, opened to drop thin edge artefacts), grown by hysteresis but no
    further than the shift tolerance (the min/max comparison erodes an object by that much)."""
    core = _open3((z_core > prm.z_seed) & valid)
    if not core.any():
        return []
    reach = ndi.maximum_filter(core.view(np.uint8), size=2 * tol + 5).astype(bool)
    grow = ((z_extent > prm.z_grow) & valid & reach) | core
    lab, _n = ndi.label(grow)
    hit = np.unique(lab[core])
    hit = hit[hit > 0]
    out: list[tuple[np.ndarray, float]] = []
    objs = ndi.find_objects(lab)
    for k in hit:
        sl = objs[k - 1]
        if sl is None:
            continue
        m = lab[sl] == k
        c = core[sl] & m
        if c.sum() < min_px:
            continue
        strength = float(np.minimum(z_core[sl][c], prm.z_cap).sum()) * cell_cm2
        full = np.zeros(lab.shape, bool)
        full[sl] = m
        out.append((full, strength))
    out.sort(key=lambda t: -t[1])
    return out[:5]


def _box_of(mask: np.ndarray) -> Box:
    rr, cc = np.nonzero(mask)
    return (int(cc.min()), int(rr.min()), int(cc.max()) + 1, int(rr.max()) + 1)


def _to_pixels(
    box_w: Box, p: _Prepared, n_cols: int, work: float, warp: np.ndarray | None, vshift: float, flip: bool
) -> Box:
    """Working-grid box -> image pixel box (through warp, flip, crop and pitch)."""
    x0, y0, x1, y1 = box_w
    xs = np.array([x0, x1 - 1], float)
    ys = np.array([y0, y1 - 1], float)
    if warp is not None:
        xs = xs + np.interp(xs, np.arange(len(warp)), warp)
        ys = ys + vshift
    if flip:
        xs = (n_cols - 1) - xs
    b = p.box
    cols = b.x0 + (xs + 0.5) * (b.x1 - b.x0) / n_cols - 0.5
    rows = b.y0 + (ys + 0.5) * work / p.pitch[1] - 0.5
    sx = (b.x1 - b.x0) / n_cols / 2
    sy = work / p.pitch[1] / 2
    return (
        int(np.floor(cols.min() - sx)),
        int(np.floor(rows.min() - sy)),
        int(np.ceil(cols.max() + sx)),
        int(np.ceil(rows.max() + sy)),
    )


def _bin2(a: np.ndarray) -> np.ndarray:
    h, w = (a.shape[0] // 2) * 2, (a.shape[1] // 2) * 2
    return np.asarray(a[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)), dtype=np.float32)


def _overlap(a: Box, b: Box) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / small if small > 0 else 0.0


def _tolerant_max(a: np.ndarray, size: tuple[int, int], prm: CompareParams, f: int) -> np.ndarray:
    """Neighbourhood maximum = what the other scan could show after a benign shift. The floor band
    (rails, cross-members, plywood) is container structure: it does not settle, so a tighter window
    there keeps the floor cavity visible between the dense lines."""
    out = ndi.maximum_filter(a, size=size)
    band = max(4, round(prm.floor_band_mm / (prm.work_mm * f)))
    out[-band:] = ndi.maximum_filter(a[-band - 2 :], size=(3, 3))[2:]
    return out


def _detect(
    A_o: np.ndarray, A_a: np.ndarray, prm: CompareParams, f: int
) -> list[tuple[str, np.ndarray, float, float]]:
    """Change detection on one scale (``f`` = working pixels per pixel). Returns
    (sign, mask, strength, integrated |delta A| in pixels) per region."""
    so = ndi.gaussian_filter(A_o, prm.smooth_px, truncate=2.5)
    sa = ndi.gaussian_filter(A_a, prm.smooth_px, truncate=2.5)
    px = prm.work_mm * f  # mm per pixel at this scale

    def n_px(mm: float) -> int:
        return max(1, round(mm / px))

    tol = n_px(prm.tolerance_mm)
    size = (n_px(prm.tolerance_v_mm) * 2 + 1, 2 * tol + 1)
    valid = np.ones(so.shape, bool)
    m = max(2, n_px(prm.end_margin_mm))
    valid[:, :m] = valid[:, -m:] = False
    valid[:2] = valid[-2:] = False
    sa = sa - _row_offsets(sa - so, so, valid)
    d = sa - so
    valid &= np.maximum(so, sa) < 8.0  # photon-starved: no information
    # each numerator is binned by the level of the scan *without* the change (its background)
    max_o, max_a = _tolerant_max(so, size, prm, f), _tolerant_max(sa, size, prm, f)
    bins_o, bins_a = _LevelBins(so, valid), _LevelBins(sa, valid)
    # the front/door zones hold dense mixed-material hardware (reefer machinery, frames, castings):
    # steel and organic scale differently between energies, so there a change must also exceed a
    # fraction of the attenuation already present
    ez = max(2, n_px(prm.end_zone_mm))
    zones = [(slice(0, ez), prm.rel_end_zone), (slice(so.shape[1] - ez, so.shape[1]), prm.rel_end_zone)]

    def zz(bins: _LevelBins, x: np.ndarray) -> np.ndarray:
        return bins.z(x, prm.rel_mismatch, True, zones)

    zp_add = zz(bins_o, d)
    zp_rem = zz(bins_a, -d)
    # a core needs both: beyond what a small shift explains (min/max test, centred per level) and a
    # plain difference that stands out (guards against level bins that mix flat and textured pixels)
    z_add = np.where(zp_add > prm.z_grow, zz(bins_o, sa - max_o), 0.0)
    z_rem = np.where(zp_rem > prm.z_grow, zz(bins_a, so - max_a), 0.0)
    min_px = max(4, round((prm.min_core_cm2 if f == 1 else prm.min_core_cm2_coarse) * 100 / px**2))
    out = []
    for sign, zc, ze, bg in (("added", z_add, zp_add, so), ("removed", z_rem, zp_rem, sa)):
        for mask, strength in _components(zc, ze, valid, prm, tol, min_px, (px / 10.0) ** 2):
            strength *= _plausibility(mask, d if sign == "added" else -d, bg, prm, f)
            if strength > 0:
                out.append((sign, mask, strength, float(np.abs(d[mask]).sum())))
    return out


def _plausibility(
    mask: np.ndarray, delta: np.ndarray, bg: np.ndarray, prm: CompareParams, f: int = 1
) -> float:
    """Down-weight change regions that look like benign effects rather than an object.

    * long thin streaks (structure lines: floor, rails, carton seams) after a residual mis-registration;
    * a change that exactly covers a pre-existing dense object and is small relative to it: steel and
      organic attenuate differently at two energies, so a compressor or a machine part can look
      "denser" after the global intensity map; a bag added on top would not follow that object's edges.
    """
    rr, cc = np.nonzero(mask)
    h, w = int(rr.max() - rr.min() + 1), int(cc.max() - cc.min() + 1)
    # horizontal streaks: carton tops/seams after settling; in the rigid floor band (where a floor
    # concealment is long and flat by construction) only very long ones
    in_floor = int(rr.min()) >= mask.shape[0] - max(4, round(prm.floor_band_mm / (prm.work_mm * f)))
    aspect_h = prm.streak_aspect if in_floor else prm.streak_aspect_cargo
    if min(h, w) <= prm.streak_max_px and (w > aspect_h * h or h > prm.streak_aspect_v * w):
        return 0.0
    if mask[rr.min() : rr.max() + 1, cc.min() : cc.max() + 1].mean() < prm.min_fill:
        return 0.2  # L-shapes and outlines: edges of moved cargo; bricks and bags fill their box
    if h > 0.6 * mask.shape[0] and w < 0.3 * h:
        return 0.0  # a full-height band is a local mis-registration (e.g. empty box, periodic walls)
    if abs(float(np.median(delta[mask]))) < prm.min_delta:
        return 0.0  # too faint to be 10 kg of bricks anywhere: a residual intensity-mapping bias
    y0, y1 = max(int(rr.min()) - 6, 0), int(rr.max()) + 7
    x0, x1 = max(int(cc.min()) - 6, 0), int(cc.max()) + 7
    m = mask[y0:y1, x0:x1]
    ring = ndi.binary_dilation(m, iterations=4) & ~ndi.binary_dilation(m, iterations=1)
    if ring.sum() < 8:
        return 1.0
    b = bg[y0:y1, x0:x1]
    inside, outside = float(np.median(b[m])), float(np.median(b[ring]))
    dmed = float(np.median(delta[y0:y1, x0:x1][m]))
    if inside - outside > 1.5 * abs(dmed) and abs(dmed) < prm.rel_object * inside:
        return 0.05
    # same idea without needing a clean outline: the change is proportional to what was already there
    # (delta ~ k * background with a small k, over the region and its surroundings)
    sel = m | ring
    bv, dv = b[sel].astype(np.float64), delta[y0:y1, x0:x1][sel].astype(np.float64)
    k = float((dv * bv).sum() / max((bv * bv).sum(), 1e-9))
    ss_tot = float(((dv - dv.mean()) ** 2).sum())
    r2 = 1.0 - float(((dv - k * bv) ** 2).sum()) / max(ss_tot, 1e-9)
    if abs(k) < prm.rel_object and r2 > prm.proportional_r2:
        return 0.05
    return 1.0


def calibrate(stat: float, prm: CompareParams = DEFAULT_PARAMS) -> float:
    x = prm.calib_a * np.log1p(max(stat, 0.0)) + prm.calib_b
    return float(1.0 / (1.0 + np.exp(-x)))


def compare(origin: ScanImage, arrival: ScanImage, params: CompareParams | None = None) -> Comparison:
    """Compare an origin scan with an arrival scan of the same container.

    Pure function on the two images (and their pitch metadata). Raises :class:`ComparisonError` if
    no container is found.
    """
    prm = params or DEFAULT_PARAMS
    t = {"start": time.perf_counter()}
    po, pa = _prepare(origin), _prepare(arrival)
    t["normalise"] = time.perf_counter()
    work = prm.work_mm
    length = (po.box.x1 - po.box.x0) * po.pitch[0]
    h_obs = min((po.box.y1 - po.box.y0) * po.pitch[1], (pa.box.y1 - pa.box.y0) * pa.pitch[1])
    height = snap(h_obs, NOMINAL_HEIGHTS_MM, 0.04)  # a chassis under one scan must not widen the ROI
    n_cols, n_rows = max(round(length / work), 32), max(round(height / work), 16)
    ro, co = _crop_grid(po, n_cols, n_rows, work)
    ra, ca = _crop_grid(pa, n_cols, n_rows, work)
    A_o = resample(po.a, ro, co, (work / po.pitch[1], (po.box.x1 - po.box.x0) / n_cols))
    A_a0 = resample(pa.a, ra, ca, (work / pa.pitch[1], (pa.box.x1 - pa.box.x0) / n_cols))
    flip, _margin = detect_flip(A_o, A_a0)
    if flip:
        A_a0 = np.ascontiguousarray(A_a0[:, ::-1])
    A_a1 = apply_map(A_a0, quantile_map(A_a0, A_o))
    t["grid"] = time.perf_counter()
    vs = estimate_vshift(A_o, A_a1)
    warp = estimate_warp(
        A_o, warp_image(A_a1, np.zeros(n_cols, np.float32), vs), max(8, round(prm.max_shift_mm / work))
    )
    A_a0w = warp_image(A_a0, warp, vs)
    A_a = apply_map(A_a0w, fit_monotone(A_a0w, A_o))
    t["register"] = time.perf_counter()

    mu = mass_attenuation("organic", origin.meta.energy_mev)
    regions: list[ChangeRegion] = []
    change_z = np.zeros(A_o.shape, np.float32)
    # two scales: fine (working grid) for compact objects, 2x coarser for large faint layers (walls)
    for f in (1, 2):
        o_f, a_f = (A_o, A_a) if f == 1 else (_bin2(A_o), _bin2(A_a))
        for sign, mask, strength, dsum in _detect(o_f, a_f, prm, f):
            full = mask if f == 1 else np.kron(mask, np.ones((2, 2), bool))[: A_o.shape[0], : A_o.shape[1]]
            full = np.pad(full, ((0, A_o.shape[0] - full.shape[0]), (0, A_o.shape[1] - full.shape[1])))
            bw = _box_of(full)
            if any(_overlap(bw, r.box_work) > 0.3 for r in regions):
                continue  # already found at the finer scale
            change_z[full & (change_z == 0)] = strength / max(full.sum(), 1) * (1 if sign == "added" else -1)
            px_cm2 = (work * f / 10.0) ** 2
            regions.append(
                ChangeRegion(
                    sign=sign,  # type: ignore[arg-type]
                    box_origin=_to_pixels(bw, po, n_cols, work, None, 0.0, False),
                    box_arrival=_to_pixels(bw, pa, n_cols, work, warp, vs, flip),
                    box_work=bw,
                    strength=strength,
                    mass_kg=dsum * px_cm2 / mu / 1000.0,
                    area_cm2=float(full.sum()) * (work / 10.0) ** 2,
                )
            )
    regions.sort(key=lambda r: -r.strength)
    stat = regions[0].strength if regions else 0.0
    t["detect"] = time.perf_counter()
    timings = {k: t[k] - t["start"] for k in t if k != "start"}
    return Comparison(
        score=calibrate(stat, prm),
        stat=stat,
        regions=regions,
        flipped=flip,
        origin_aligned=A_o,
        arrival_aligned=A_a,
        change_z=change_z,
        warp_px=warp,
        vshift_px=vs,
        work_mm=work,
        origin_id=origin.meta.container_id,
        arrival_id=arrival.meta.container_id,
        timings=timings,
    )
