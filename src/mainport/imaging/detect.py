"""Change detection on the common working grid: noise-aware, tolerant of small shifts, zone by zone.

The arrival is compared with the neighbourhood maximum of the origin (and vice versa for removals), so a
benign shift up to the tolerance explains nothing away; differences are standardised by a robust centre and
scale as functions of the attenuation level of the scan without the change, estimated separately in each
zone of the container (roof band, floor/vehicle band, the two end zones where reefer machinery or door
frames are, the cargo space): a reefer unit's mapping residuals set the bar in the reefer zone only.
Plausibility rules (each a physical argument) down-weight streaks, outlines and scale mismatches.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from mainport.imaging.params import CompareParams

Zones = list[tuple[str, np.ndarray]]


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
    Bins are quantiles of the level on a pixel subsample; per-pixel values come from a lookup table over
    [lo, hi] (shared by the zones of one image, so their scales can be compared).
    """

    LUT_N = 1024

    def __init__(self, level: np.ndarray, valid: np.ndarray, lo: float, hi: float, nbins: int = 20) -> None:
        nbins = int(np.clip(valid[::3, ::3].sum() // 150, 4, nbins))
        sub = valid[::3, ::3]
        self.lv = level[::3, ::3][sub]
        self.sub = sub
        self.lo, self.hi = lo, hi
        self.grid = np.linspace(lo, hi, self.LUT_N)
        self.ok = self.lv.size >= 50
        if not self.ok:
            return
        self.edges = np.unique(np.percentile(self.lv, np.linspace(0, 100, nbins + 1)))
        self.idx = np.clip(np.searchsorted(self.edges, self.lv, side="right") - 1, 0, len(self.edges) - 2)
        self.counts = np.bincount(self.idx, minlength=len(self.edges) - 1)

    def stats(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(centre, scale) over the lookup grid, or None without enough pixels."""
        if not self.ok:
            return None
        xv = x[::3, ::3][self.sub]
        med, mad = _group_median_mad(xv, self.idx, len(self.edges) - 1)
        keep = self.counts > 30
        if not keep.any():
            return None
        c = (0.5 * (self.edges[:-1] + self.edges[1:]))[keep]
        loc = np.interp(self.grid, c, med[keep])
        scale = np.interp(self.grid, c, np.maximum(1.4826 * mad[keep], 0.02))  # floor: mapping residuals
        return loc, scale


class _ZoneBins:
    """Noise models per zone: a zone with benign mismatch of its own (reefer machinery, the floor band
    over a vehicle, the fan-beam roof band) raises the bar there; a calm zone (rigid floor structure) may
    lower it, but to no less than ``floor`` times the whole container's scale at the same level."""

    def __init__(self, level: np.ndarray, valid: np.ndarray, zones: Zones, floor: float = 0.5) -> None:
        self.floor = floor
        lv = level[valid] if valid.any() else level.ravel()
        self.lo, self.hi = float(lv.min()), float(lv.max()) + 1e-6
        pos = (np.clip(level, self.lo, self.hi) - self.lo) * np.float32(
            (_LevelBins.LUT_N - 1) / (self.hi - self.lo)
        )
        self.lut_i = pos.astype(np.intp)
        self.whole = _LevelBins(level, valid, self.lo, self.hi)
        self.parts = [
            (mask, _LevelBins(level, valid & mask, self.lo, self.hi), 1.0 if name == "under-floor" else floor)
            for name, mask in zones
        ]

    def z(self, x: np.ndarray, centre: bool = True) -> np.ndarray:
        base = self.whole.stats(x)
        if base is None:
            return np.zeros_like(x)
        out = np.zeros(x.shape, np.float32)
        for mask, bins, fl in self.parts:
            st = bins.stats(x)
            loc, scale = base if st is None else (st[0], np.maximum(st[1], fl * base[1]))
            loc32 = (loc if centre else np.zeros_like(loc)).astype(np.float32)
            inv = (1.0 / scale).astype(np.float32)
            li = self.lut_i[mask]
            out[mask] = (x[mask] - loc32[li]) * inv[li]
        return out


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


def _tolerant_max(
    a: np.ndarray, size: tuple[int, int], prm: CompareParams, f: int, roof_r: int, floor_r: int
) -> np.ndarray:
    """Neighbourhood maximum = what the other scan could show after a benign shift.

    In the cargo space the window is tall: the top of a load projects at a height that depends on the
    fan-beam geometry and on settling, so material up to ``cargo_vtol_mm`` above or below explains a change
    (only cargo explains cargo: roof and floor rows are left out of that window). The floor band (rails,
    cross-members, floor boards) is container structure: a tighter window keeps its cavities visible."""
    out = ndi.maximum_filter(a, size=size)
    tall = 2 * max(1, round(prm.cargo_vtol_mm / (prm.work_mm * f))) + 1
    if floor_r > roof_r + 2 and tall > size[0]:
        cargo = a.copy()
        cargo[:roof_r] = 0.0
        cargo[floor_r:] = 0.0
        cmax = ndi.maximum_filter(cargo, size=(tall, size[1]))
        out[roof_r:floor_r] = np.maximum(out[roof_r:floor_r], cmax[roof_r:floor_r])
    lo = max(0, floor_r - 2)
    out[floor_r:] = ndi.maximum_filter(a[lo:], size=(3, 3))[floor_r - lo :]
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


def zones_for(shape: tuple[int, int], prm: CompareParams, f: int, floor_row: int, under_row: int) -> Zones:
    """Roof band, floor band, under-floor band (vehicle, a low source's smeared floor), the two end zones,
    cargo space (masks on one scale)."""
    rows, cols = shape
    px = prm.work_mm * f
    ez = max(2, round(prm.end_zone_mm / px))
    roof = max(2, round(prm.roof_zone_frac * floor_row / f))
    floor = max(roof + 2, min(rows - 2, round(floor_row / f) - max(2, round(60.0 / px))))
    r = np.arange(rows)[:, None]
    c = np.arange(cols)[None, :]
    under = max(floor + 1, round(under_row / f))
    top, bottom, below = r < roof, (r >= floor) & (r < under), r >= under
    left, right = c < ez, c >= cols - ez
    zones: Zones = [
        ("roof", np.broadcast_to(top, shape) & ~(left | right)),
        ("floor", np.broadcast_to(bottom, shape) & ~(left | right)),
        ("under-floor", np.broadcast_to(below, shape).copy()),
        ("end-a", np.broadcast_to(left & ~below, shape).copy()),
        ("end-b", np.broadcast_to(right & ~below, shape).copy()),
    ]
    rest = np.ones(shape, bool)
    for _n, m in zones:
        rest &= ~m
    zones.append(("cargo", rest))
    return zones


def detect(
    A_o: np.ndarray,
    A_a: np.ndarray,
    valid_in: np.ndarray,
    prm: CompareParams,
    f: int,
    floor_row: int,
    under_row: int,
) -> list[tuple[str, np.ndarray, float, float]]:
    """Change detection on one scale (``f`` = working pixels per pixel). Returns
    (sign, mask, strength, integrated |delta A| in pixels) per region."""
    so = ndi.gaussian_filter(A_o, prm.smooth_px, truncate=2.5)
    sa = ndi.gaussian_filter(A_a, prm.smooth_px, truncate=2.5)
    px = prm.work_mm * f

    def n_px(mm: float) -> int:
        return max(1, round(mm / px))

    tol = n_px(prm.tolerance_mm)
    size = (n_px(prm.tolerance_v_mm) * 2 + 1, 2 * tol + 1)
    valid = valid_in.copy()
    m = max(2, n_px(prm.end_margin_mm))
    valid[:, :m] = valid[:, -m:] = False
    valid[:2] = valid[-2:] = False
    sa = sa - _row_offsets(sa - so, so, valid)
    d = sa - so
    valid &= np.maximum(so, sa) < 8.0  # photon-starved: no information
    zones = zones_for(so.shape, prm, f, floor_row, under_row)
    # under the floor a truck, a trailer or nothing may be in view: only where both scans show structure
    # (a low source's smeared floor) is there anything to compare
    under = dict(zones)["under-floor"]
    valid &= ~(under & (np.minimum(so, sa) < 0.05))
    roof_r = max(2, round(prm.roof_zone_frac * floor_row / f))
    floor_r = max(roof_r + 2, min(so.shape[0] - 2, round(floor_row / f) - n_px(60.0)))
    max_o = _tolerant_max(so, size, prm, f, roof_r, floor_r)
    max_a = _tolerant_max(sa, size, prm, f, roof_r, floor_r)
    bins_o, bins_a = _ZoneBins(so, valid, zones), _ZoneBins(sa, valid, zones)
    zp_add = bins_o.z(d)
    zp_rem = bins_a.z(-d)
    # a core needs both: beyond what a small shift explains (min/max test, centred per level) and a
    # plain difference that stands out (guards against level bins that mix flat and textured pixels)
    z_add = np.where(zp_add > prm.z_grow, bins_o.z(sa - max_o), 0.0)
    z_rem = np.where(zp_rem > prm.z_grow, bins_a.z(so - max_a), 0.0)
    min_px = max(4, round((prm.min_core_cm2 if f == 1 else prm.min_core_cm2_coarse) * 100 / px**2))
    out = []
    balance = _Balance(np.where(valid, d, 0.0), n_px(prm.balance_mm))
    for sign, zc, ze, bg in (("added", z_add, zp_add, so), ("removed", z_rem, zp_rem, sa)):
        for mask, strength in _components(zc, ze, valid, prm, tol, min_px, (px / 10.0) ** 2):
            strength *= _plausibility(mask, d if sign == "added" else -d, bg, prm, f)
            if strength > 0:
                strength *= balance.weight(mask, prm)
            if strength > 0:
                strength *= _silhouette(mask, d if sign == "added" else -d, bg, prm)
            if strength > 0:
                out.append((sign, mask, strength, float(np.abs(d[mask]).sum())))
    return out


def _silhouette(mask: np.ndarray, delta: np.ndarray, bg: np.ndarray, prm: CompareParams) -> float:
    """A stack seen taller (or shorter) in one scan: the top of the load in a fan beam.

    Which of two side-by-side stacks is nearer the source, and how far the source is, changes how high
    the top of the load projects. Such a region sits on top of dense cargo with (nearly) nothing above it
    in the scan without the change, and its change equals a good part of that cargo's own attenuation
    (it *is* that cargo). Bricks on top of a load attenuate much less than the full width of the load."""
    rr, cc = np.nonzero(mask)
    r0, r1, c0, c1 = int(rr.min()), int(rr.max()) + 1, int(cc.min()), int(cc.max()) + 1
    h = max(3, (r1 - r0) // 3)
    below = bg[r1 : r1 + h, c0:c1]
    above = bg[max(0, r0 - h) : r0, c0:c1]
    if below.size == 0 or above.size == 0:
        return 1.0
    level = float(np.median(below))
    if level < 0.5:  # light cargo: bricks and cargo look alike, keep the evidence
        return 1.0
    dmed = float(np.median(delta[mask]))
    on_top = float(np.median(above)) < 0.3 * level
    if not (on_top and prm.silhouette_lo * level <= dmed <= prm.silhouette_hi * level):
        return 1.0
    # a whole stack top (or several at one height) changed height: in the scan without the change the
    # region covers that top's plateau; bricks put on a load sit on a longer plateau than they cover
    lo_r = max(0, r0 - h)
    win = bg[lo_r : min(bg.shape[0], r1 + 3 * h)]
    dense = win > 0.5 * level
    edge = np.where(dense.any(axis=0), np.argmax(dense, axis=0), win.shape[0])
    ref = float(np.median(edge[c0:c1]))
    tol = max(2.0, 0.3 * (r1 - r0))
    flat = np.abs(edge - ref) <= tol
    lo_c, hi_c = c0, c1
    while lo_c > 0 and flat[lo_c - 1]:
        lo_c -= 1
    while hi_c < len(flat) and flat[hi_c]:
        hi_c += 1
    cover = (c1 - c0) / max(hi_c - lo_c, 1)
    return 0.1 if cover >= 0.7 else 1.0


class _Balance:
    """Mass balance around a change region (summed-area table of the difference).

    Material that moved (a package that slid or fell, a stack top that a fan beam projects at a different
    height, a pallet edge the warp left behind) leaves an opposite change next to it: the difference summed
    over the region's columns a little above and below it, or over its rows a little to either side, is
    near zero. Added or removed material is not balanced: those sums stay near the region's own sum."""

    def __init__(self, d: np.ndarray, reach: int) -> None:
        self.sat = np.pad(np.cumsum(np.cumsum(d.astype(np.float64), axis=0), axis=1), ((1, 0), (1, 0)))
        self.reach = reach
        self.shape = d.shape

    def _sum(self, r0: int, r1: int, c0: int, c1: int) -> float:
        r0, c0 = max(r0, 0), max(c0, 0)
        r1, c1 = min(r1, self.shape[0]), min(c1, self.shape[1])
        if r1 <= r0 or c1 <= c0:
            return 0.0
        s = self.sat
        return float(s[r1, c1] - s[r0, c1] - s[r1, c0] + s[r0, c0])

    def ratio(self, mask: np.ndarray) -> float:
        rr, cc = np.nonzero(mask)
        r0, r1, c0, c1 = int(rr.min()), int(rr.max()) + 1, int(cc.min()), int(cc.max()) + 1
        own = self._sum(r0, r1, c0, c1)
        if abs(own) < 1e-6:
            return 1.0
        vert = self._sum(r0 - self.reach, r1 + self.reach, c0, c1)
        horiz = self._sum(r0, r1, c0 - self.reach, c1 + self.reach)
        return min(vert / own, horiz / own)

    def weight(self, mask: np.ndarray, prm: CompareParams) -> float:
        r = self.ratio(mask)
        return float(np.clip((r - prm.balance_lo) / (prm.balance_hi - prm.balance_lo), 0.0, 1.0) ** 2)
