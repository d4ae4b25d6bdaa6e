"""Origin vs arrival comparison: prepare, locate, register, noise-aware change map, calibrated score.

Steps (details in docs/imaging.md): each scan is prepared (orientation, bad rows, attenuation, channel
alignment, :mod:`prepare`) and its container located without the vehicle (:mod:`locate`); both containers
are resampled onto one working grid (:mod:`grid`, cut-off ends become invalid columns); direction, a
vertical and a travel-axis warp and the intensity map are estimated (:mod:`register`; with a second energy
channel the map is material-aware); changes are detected zone by zone (:mod:`detect`) and the strongest
region's evidence is turned into a calibrated score.

Boxes are (x0, y0, x1, y1) in pixels of the stored image, x = column, y = row, end-exclusive.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from mainport.imaging.detect import detect
from mainport.imaging.errors import ComparisonError
from mainport.imaging.grid import Crop, Grid, common_grid, remap
from mainport.imaging.locate import Located, locate
from mainport.imaging.meta import ScanImage
from mainport.imaging.params import DEFAULT_PARAMS, CompareParams
from mainport.imaging.physics import mass_attenuation
from mainport.imaging.prepare import Prepared, prepare
from mainport.imaging.register import (
    affine_search,
    affine_search_2d,
    apply_map,
    detect_flip,
    estimate_vwarp,
    estimate_vwarp_field,
    estimate_warp,
    fit_material_map,
    fit_monotone,
    quantile_map,
    warp_image,
    warp_image_field,
)

Box = tuple[int, int, int, int]
__all__ = ["DEFAULT_PARAMS", "ChangeRegion", "CompareParams", "Comparison", "calibrate", "compare"]


@dataclass
class ChangeRegion:
    sign: Literal["added", "removed"]
    box_origin: Box
    box_arrival: Box
    box_work: Box
    strength: float  # sum of robust z over the core (evidence)
    mass_kg: float  # rough estimate from the integrated attenuation change
    area_cm2: float
    zone: str = ""  # where on the container: door end, front end, roof, floor, cargo space

    def to_json(self) -> dict[str, Any]:
        return {
            "sign": self.sign,
            "box_origin": list(self.box_origin),
            "box_arrival": list(self.box_arrival),
            "strength": round(self.strength, 2),
            "mass_kg": round(self.mass_kg, 1),
            "area_cm2": round(self.area_cm2, 1),
            "zone": self.zone,
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
    change_z: np.ndarray  # signed evidence (added > 0, removed < 0), 0 outside the change regions
    warp_px: np.ndarray  # travel-axis displacement per working column
    vshift_px: float  # mean vertical displacement (the warp per row is in ``vwarp_px``)
    work_mm: float
    origin_id: str = ""
    arrival_id: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    vwarp_px: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    coverage: float = 1.0  # fraction of the container compared (cut-off ends, short views)
    channels: str = "single"  # single | dual (origin) | dual (arrival) | dual (both)
    notes: list[str] = field(default_factory=list)

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
            "coverage": round(self.coverage, 3),
            "channels": self.channels,
            "notes": self.notes,
            "regions": [r.to_json() for r in self.regions],
            "origin": self.origin_id,
            "arrival": self.arrival_id,
        }


def _check(loc: Located, p: Prepared, scan: ScanImage, which: str) -> None:
    """A clear reason when a scan holds no container to compare."""
    length = (loc.x1 - loc.x0) * p.pitch[0]
    height = (loc.y1 - loc.y0) * p.pitch[1]
    if length < 2500 or height < 1500:
        raise ComparisonError(
            f"no container found in the {which} scan of {scan.meta.container_id} "
            f"(longest roof line {length / 1000:.1f} m, height {height / 1000:.1f} m): vehicle only, "
            "empty lane, or wrong pixel pitch in the metadata"
        )


def _box_of(mask: np.ndarray) -> Box:
    rr, cc = np.nonzero(mask)
    return (int(cc.min()), int(rr.min()), int(cc.max()) + 1, int(rr.max()) + 1)


def _to_pixels(
    box_w: Box, p: Prepared, c: Crop, warp: np.ndarray | None, vwarp: np.ndarray | None, flip: bool
) -> Box:
    """Working-grid box -> stored-image pixel box (through warps, flip, crop, pitch and orientation)."""
    x0, y0, x1, y1 = box_w
    n_cols, n_rows = len(c.cols), len(c.rows)
    xs = np.array([x0, x1 - 1], float)
    ys = np.array([y0, y1 - 1], float)
    if warp is not None:
        xs = xs + np.interp(xs, np.arange(len(warp)), warp)
    if vwarp is not None:
        ys = ys + np.interp(ys, np.arange(len(vwarp)), vwarp)
    if flip:
        xs = (n_cols - 1) - xs
    cols = np.interp(xs, np.arange(n_cols), c.cols)
    rows = np.interp(ys, np.arange(n_rows), c.rows)
    sx, sy = c.step[1] / 2, c.step[0] / 2
    box = (
        int(np.floor(cols.min() - sx)),
        int(np.floor(rows.min() - sy)),
        int(np.ceil(cols.max() + sx)),
        int(np.ceil(rows.max() + sy)),
    )
    h, w = p.a.shape
    box = (max(box[0], 0), max(box[1], 0), min(box[2], w), min(box[3], h))
    return p.to_input_box(box)


def _bin2(a: np.ndarray) -> np.ndarray:
    h, w = (a.shape[0] // 2) * 2, (a.shape[1] // 2) * 2
    return np.asarray(a[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)), dtype=np.float32)


def _overlap(a: Box, b: Box) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / small if small > 0 else 0.0


def _zone_of(box_w: Box, g: Grid, prm: CompareParams) -> str:
    x0, y0, x1, y1 = box_w
    ez = prm.end_zone_mm / prm.work_mm
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    if cx < ez:
        return "end (origin left)"
    if cx > g.n_cols - ez:
        return "end (origin right)"
    if cy < prm.roof_zone_frac * g.floor_row:
        return "roof"
    if cy >= g.under_row:
        return "under floor"
    if cy >= g.floor_row - 60.0 / prm.work_mm:
        return "floor"
    return "cargo space"


def calibrate(stat: float, prm: CompareParams = DEFAULT_PARAMS) -> float:
    x = prm.calib_a * np.log1p(max(stat, 0.0)) + prm.calib_b
    return float(1.0 / (1.0 + np.exp(-x)))


def _fill_invalid(a: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Invalid pixels take the valid median so they add no structure to correlations."""
    if valid.all():
        return a
    out = a.copy()
    out[~valid] = float(np.median(a[valid])) if valid.any() else 0.0
    return out


def compare(origin: ScanImage, arrival: ScanImage, params: CompareParams | None = None) -> Comparison:
    """Compare an origin scan with an arrival scan of the same container.

    Pure function on the two images and their metadata. Raises :class:`ComparisonError` with the reason
    when either scan holds no container (vehicle only, empty lane, wrong pitch)."""
    prm = params or DEFAULT_PARAMS
    t = {"start": time.perf_counter()}
    po, pa = prepare(origin), prepare(arrival)
    lo, la = locate(po.a, po.pitch), locate(pa.a, pa.pitch)
    _check(lo, po, origin, "origin")
    _check(la, pa, arrival, "arrival")
    t["normalise"] = time.perf_counter()
    g = common_grid(lo, la, po, pa, prm.work_mm)
    A_o = g.co.sample(po.a)
    A_a0 = g.ca.sample(pa.a)
    use2 = prm.dual_energy
    A_o2 = g.co.sample(po.a2) if (use2 and po.a2 is not None) else None
    A_a2 = g.ca.sample(pa.a2) if (use2 and pa.a2 is not None) else None
    v_o = np.outer(g.co.row_valid, g.co.col_valid)
    v_a = np.outer(g.ca.row_valid, g.ca.col_valid)
    flip, _margin = detect_flip(_fill_invalid(A_o, v_o), _fill_invalid(A_a0, v_a))

    def oriented(x: np.ndarray | None) -> np.ndarray | None:
        return None if x is None else (np.ascontiguousarray(x[:, ::-1]) if flip else x)

    A_a0, A_a2, v_a = oriented(A_a0), oriented(A_a2), oriented(v_a)  # type: ignore[assignment]
    both = v_o & v_a
    if both.sum() < 0.2 * both.size:
        raise ComparisonError("the two scans show too little of the same container to compare")
    A_a1 = apply_map(A_a0, quantile_map(A_a0[both][None, :], A_o[both][None, :]))
    # global alignment: vertical scale/offset (fan-beam magnification differs by scanner) and, when an end
    # is cut off, the travel-axis scale/offset of the virtual end
    # (the roof band is left out: its near and far rails project at scanner-dependent heights, while the
    # cargo and the floor band are centred on the lane's centre plane, where the pitch is calibrated)
    below_roof = both.copy()
    below_roof[: round(prm.align_skip_frac * g.floor_row)] = False
    s_v, o_v, _ = affine_search_2d(
        A_o, A_a1, below_roof, np.array([1.0]), max(2, round(prm.max_affine_mm / prm.work_mm))
    )
    ca = remap(g.ca, pa, la, 0, s_v, o_v)
    align = [f"vertical scale {s_v:.3f} offset {o_v * prm.work_mm:+.0f} mm"]
    cut = lo.cut_left or lo.cut_right or la.cut_left or la.cut_right
    if cut:
        s_h, o_h, _ = affine_search(
            A_o,
            A_a1,
            both,
            1,
            np.linspace(0.85, 1.15, 31),
            max(4, round(prm.max_affine_mm / prm.work_mm)),
        )
        if flip:  # the search ran on the flipped arrival: express it in the arrival's own column order
            o_h = (g.n_cols - 1) * (1 - s_h) - o_h
        ca = remap(ca, pa, la, 1, s_h, o_h)
        align.append(f"travel scale {s_h:.3f} offset {o_h * prm.work_mm:+.0f} mm")
    g.ca = ca
    A_a0 = oriented(ca.sample(pa.a))  # type: ignore[assignment]
    A_a2 = oriented(ca.sample(pa.a2)) if (use2 and pa.a2 is not None) else None
    v_a = oriented(np.outer(ca.row_valid, ca.col_valid))  # type: ignore[assignment]
    both = v_o & v_a
    if both.sum() < 0.2 * both.size:
        raise ComparisonError("the two scans show too little of the same container to compare")
    A_a1 = apply_map(A_a0, quantile_map(A_a0[both][None, :], A_o[both][None, :]))
    t["grid"] = time.perf_counter()
    # fine registration: vertical warp (depth-dependent magnification), then the travel-axis warp
    eo, ea = _fill_invalid(A_o, both), _fill_invalid(A_a1, both)
    r_skip = round(prm.align_skip_frac * g.floor_row)
    vwarp = np.zeros(g.n_rows, np.float32)
    vwarp[r_skip:] = estimate_vwarp(eo[r_skip:], ea[r_skip:], max(4, round(prm.max_vshift_mm / prm.work_mm)))
    vwarp[:r_skip] = vwarp[r_skip] if r_skip < g.n_rows else 0.0
    ea_v = warp_image(ea, np.zeros(g.n_cols, np.float32), vwarp)
    warp = estimate_warp(eo, ea_v, max(8, round(prm.max_shift_mm / prm.work_mm)))
    # then per section of the container (which stacks dominate the view changes along it)
    if prm.max_vlocal_mm > 0:
        ea_t = warp_image(ea, warp, 0.0)
        vfield = estimate_vwarp_field(eo, ea_t, vwarp, max(3, round(prm.max_vlocal_mm / prm.work_mm)))
        vfield[:r_skip] = vfield[min(r_skip, g.n_rows - 1)]
    else:
        vfield = np.repeat(vwarp[:, None], g.n_cols, axis=1)
    A_a0w = warp_image_field(A_a0, warp, vfield)
    v_aw = warp_image_field(v_a.astype(np.float32), warp, vfield) > 0.99
    valid = v_o & v_aw
    # intensity: material-aware where a scan has two channels
    channels = "single"
    if A_a2 is not None:
        A_a2w = warp_image_field(A_a2, warp, vfield)
        A_a = fit_material_map(A_a0w, A_a2w, A_o, valid)(A_a0w, A_a2w)
        channels = "dual (both)" if A_o2 is not None else "dual (arrival)"
    elif A_o2 is not None:  # map the origin into the arrival's single channel instead
        A_o = fit_material_map(A_o, A_o2, A_a0w, valid)(A_o, A_o2)
        A_a = A_a0w
        channels = "dual (origin)"
    else:
        A_a = apply_map(A_a0w, fit_monotone(A_a0w[valid][None, :], A_o[valid][None, :]))
    t["register"] = time.perf_counter()

    mu = mass_attenuation("organic", origin.meta.energy_mev)
    regions: list[ChangeRegion] = []
    change_z = np.zeros(A_o.shape, np.float32)
    # two scales: fine (working grid) for compact objects, 2x coarser for large faint layers (walls)
    for f in (1, 2):
        o_f, a_f = (A_o, A_a) if f == 1 else (_bin2(A_o), _bin2(A_a))
        v_f = valid if f == 1 else (_bin2(valid.astype(np.float32)) > 0.99)
        for sign, mask, strength, dsum in detect(o_f, a_f, v_f, prm, f, g.floor_row, g.under_row):
            full = mask if f == 1 else np.kron(mask, np.ones((2, 2), bool))[: A_o.shape[0], : A_o.shape[1]]
            full = np.pad(full, ((0, A_o.shape[0] - full.shape[0]), (0, A_o.shape[1] - full.shape[1])))
            bw = _box_of(full)
            if any(_overlap(bw, r.box_work) > 0.3 for r in regions):
                continue  # already found at the finer scale
            change_z[full & (change_z == 0)] = strength / max(full.sum(), 1) * (1 if sign == "added" else -1)
            px_cm2 = (prm.work_mm * f / 10.0) ** 2
            regions.append(
                ChangeRegion(
                    sign=sign,  # type: ignore[arg-type]
                    box_origin=_to_pixels(bw, po, g.co, None, None, False),
                    box_arrival=_to_pixels(bw, pa, ca, warp, vwarp, flip),
                    box_work=bw,
                    strength=strength,
                    mass_kg=dsum * px_cm2 / mu / 1000.0,
                    area_cm2=float(full.sum()) * (prm.work_mm / 10.0) ** 2,
                    zone=_zone_of(bw, g, prm),
                )
            )
    regions.sort(key=lambda r: -r.strength)
    stat = regions[0].strength if regions else 0.0
    t["detect"] = time.perf_counter()
    notes = list(align)
    coverage = float(valid.any(axis=0).mean())
    if lo.cut_left or lo.cut_right:
        notes.append("origin scan cut off at one end")
    if la.cut_left or la.cut_right:
        notes.append("arrival scan cut off at one end")
    return Comparison(
        score=calibrate(stat, prm),
        stat=stat,
        regions=regions,
        flipped=flip,
        origin_aligned=A_o,
        arrival_aligned=A_a,
        change_z=change_z,
        warp_px=warp,
        vshift_px=float(np.mean(vwarp)),
        work_mm=prm.work_mm,
        origin_id=origin.meta.container_id,
        arrival_id=arrival.meta.container_id,
        timings={k: t[k] - t["start"] for k in t if k != "start"},
        vwarp_px=vwarp,
        coverage=coverage,
        channels=channels,
        notes=notes,
    )
