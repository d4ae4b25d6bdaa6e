"""Scanner installations of the second simulator and the acquisition chain (scene -> 16-bit image).

Chain per pulse train (energy channel): fan-beam projection of the scene at two sub-positions per column
(partial volume of edge-on plates) -> polychromatic, detector-weighted transmission -> scatter (a blurred
fraction of the primary) -> pulse dose jitter (partly corrected by the reference detector) -> quantum noise
-> detector lag and afterglow in acquisition order (interleaved pulses of a dual-energy linac leak into
each other) -> crosstalk and focal-spot blur -> residual flat-field gain and dark-offset errors per row ->
dead and hot detector rows (interpolated by some vendors) -> ADC (14 or 16 bits) -> vendor filter ->
raster orientation (some write the travel axis as rows).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi
from scipy.signal import lfilter

from mainport.imaging.sim2.solids import BASIS, Projector, RayGeometry, Solid
from mainport.imaging.sim2.spectra import beam_table, transmit


@dataclass(frozen=True)
class Installation:
    scanner_id: str
    unlocode: str
    kind: str  # portal | gantry
    energies: tuple[float, ...]  # linac end points (MeV): (single,) or (high, low) interleaved
    source_dist: float  # source to the lane centre plane (mm)
    source_y: float  # source height above the road / ground
    row_pitch: float  # detector row pitch at the centre plane (mm)
    col_pitch: float  # nominal travel per pulse (mm)
    y_bottom: float = 60.0
    y_top: float = 4500.0
    source_side: int = 1  # -1: source on the other side of the lane (near and far walls swap)
    crystal_mm: float = 30.0
    quanta: float = 8e4  # effective detected quanta per pixel, open beam
    slit: float = 5.0
    fixed_rate: bool = False  # pulse rate not slaved to the measured speed
    speed_var: float = 0.03
    dose_jitter: float = 0.015
    dose_residual: float = 0.25
    lag: tuple[float, float, float, float] = (0.02, 0.5, 0.003, 0.95)
    crosstalk: float = 0.04
    blur_px: float = 0.5
    scatter: float = 0.006
    scatter_sigma_mm: float = 400.0
    gain_sd: float = 0.004
    module_rows: int = 32
    offset_sd: float = 2e-4
    dead_rows: tuple[int, ...] = ()
    hot_rows: tuple[int, ...] = ()
    fix_bad_rows: bool = False
    air_counts: float = 52000.0
    bits: int = 16
    post: str = "none"  # none | sharpen | median
    raster: str = "columns"  # columns | rows (travel axis along the array's first axis)
    electronic_sd: float = 6.0

    @property
    def dual(self) -> bool:
        return len(self.energies) == 2


INSTALLATIONS: dict[str, Installation] = {
    i.scanner_id: i
    for i in (
        # origin side (Latin America)
        Installation(
            "PEPAI-P1",
            "PEPAI",
            "portal",
            (6.0,),
            5400.0,
            1600.0,
            5.0,
            5.6,
            y_top=5400.0,
            quanta=6e4,
            dead_rows=(311,),
            post="sharpen",
            lag=(0.03, 0.55, 0.004, 0.96),
        ),
        Installation(
            "COCTG-DE2",
            "COCTG",
            "portal",
            (6.0, 4.0),
            6600.0,
            2100.0,
            4.4,
            4.8,
            y_top=5100.0,
            quanta=9e4,
            source_side=-1,
            hot_rows=(402,),
            fixed_rate=True,
            speed_var=0.06,
            module_rows=48,
        ),
        Installation(
            "ECPSJ-G3",
            "ECPSJ",
            "gantry",
            (9.0,),
            4400.0,
            1300.0,
            4.2,
            4.2,
            y_bottom=25.0,
            y_top=3850.0,
            quanta=1.5e5,
            scatter=0.015,
            scatter_sigma_mm=600.0,
            raster="rows",
            post="median",
            speed_var=0.004,
            crystal_mm=40.0,
        ),
        Installation(
            "BRSSZ-G4",
            "BRSSZ",
            "gantry",
            (7.5, 4.5),
            5600.0,
            1150.0,
            5.6,
            5.0,
            y_bottom=20.0,
            y_top=3700.0,
            quanta=7e4,
            bits=14,
            source_side=-1,
            speed_var=0.005,
            dead_rows=(77, 78),
            fix_bad_rows=True,
            gain_sd=0.007,
        ),
        # arrival side (Europe)
        Installation(
            "NLRTM-P5",
            "NLRTM",
            "portal",
            (6.0, 3.5),
            7000.0,
            2300.0,
            4.6,
            5.2,
            y_top=5050.0,
            quanta=1.0e5,
            lag=(0.015, 0.4, 0.002, 0.93),
            crosstalk=0.06,
            air_counts=60000.0,
        ),
        Installation(
            "NLRTM-G6",
            "NLRTM",
            "gantry",
            (9.0,),
            4800.0,
            1200.0,
            3.8,
            4.0,
            y_bottom=30.0,
            y_top=3800.0,
            quanta=2.0e5,
            lag=(0.05, 0.6, 0.008, 0.97),
            speed_var=0.003,
            source_side=-1,
            hot_rows=(150,),
            fix_bad_rows=False,
        ),
        Installation(
            "BEANR-P7",
            "BEANR",
            "portal",
            (4.0,),
            5900.0,
            1800.0,
            5.8,
            6.2,
            y_top=5250.0,
            quanta=3.0e4,
            bits=14,
            dead_rows=(240, 551),
            fix_bad_rows=True,
            fixed_rate=True,
            speed_var=0.08,
            electronic_sd=15.0,
            scatter=0.01,
        ),
        Installation(
            "DEHAM-G8",
            "DEHAM",
            "gantry",
            (9.0, 6.0),
            5000.0,
            1400.0,
            4.5,
            4.5,
            y_bottom=20.0,
            y_top=3700.0,
            quanta=1.2e5,
            post="sharpen",
            speed_var=0.004,
            air_counts=45000.0,
        ),
    )
}
ORIGIN_SCANNERS = ("PEPAI-P1", "COCTG-DE2", "ECPSJ-G3", "BRSSZ-G4")
ARRIVAL_SCANNERS = ("NLRTM-P5", "NLRTM-G6", "BEANR-P7", "DEHAM-G8")


def travel_positions(
    inst: Installation, x_start: float, x_end: float, rng: np.random.Generator
) -> np.ndarray:
    """Beam position along the object for each pulse: nominal pitch with the installation's speed errors."""
    n = int(abs(x_end - x_start) / inst.col_pitch * 1.35) + 16
    t = np.arange(n, dtype=np.float64)
    err = np.zeros(n)
    for _ in range(int(rng.integers(1, 4))):
        period = rng.uniform(150, 1400)
        err += inst.speed_var * rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * t / period + rng.uniform(0, 6.3))
    if inst.kind == "portal":
        for _ in range(int(rng.integers(0, 3))):  # gear changes / throttle: speed steps
            t0 = rng.uniform(0, n)
            step = rng.normal(0, 2.5 * inst.speed_var)
            tail = np.where(t > t0, 1.0, 0.0)
            if not inst.fixed_rate:  # the radar-slaved pulse rate catches up
                tail = tail * np.exp(-np.clip(t - t0, 0, None) / rng.uniform(20, 80))
            err += step * tail
    pitch = inst.col_pitch * np.clip(1 + err, 0.6, 1.5)
    sign = 1.0 if x_end >= x_start else -1.0
    x = x_start + sign * (np.cumsum(pitch) - pitch[0])
    keep = (x <= x_end) if sign > 0 else (x >= x_end)
    return x[keep]


def _lag(series: np.ndarray, a1: float, r1: float, a2: float, r2: float) -> np.ndarray:
    """Detector lag/afterglow along axis 1 (acquisition order), DC gain normalised to 1."""
    out = series.copy()
    for a, r in ((a1, r1), (a2, r2)):
        if a > 0:
            tail = lfilter([0.0, (1 - r)], [1.0, -r], series, axis=1)
            out += a * tail
    return out / (1.0 + a1 + a2)


def acquire(
    solids: list[Solid], inst: Installation, col_x: np.ndarray, rng: np.random.Generator
) -> tuple[list[np.ndarray], RayGeometry]:
    """Images (one per energy channel, uint16, rows x columns in acquisition order) and the geometry of the
    first (high-energy) channel."""
    n_rows = round((inst.y_top - inst.y_bottom) / inst.row_pitch)
    row_y = inst.y_top - (np.arange(n_rows) + 0.5) * inst.row_pitch
    pitch = np.gradient(col_x) if len(col_x) > 1 else np.array([inst.col_pitch])
    chans = len(inst.energies)
    n_cols = len(col_x)
    sub = np.array([-0.25, 0.25]) * inst.slit
    if len(col_x) > 1 and col_x[-1] < col_x[0]:
        sub = sub[::-1]  # keep the sub-positions monotone in acquisition order
    # primary transmission per channel (two sub-positions per column, averaged after the exponential)
    trans = []
    proj = Projector(solids, row_y, inst.source_y, inst.source_dist, inst.row_pitch)
    for c, energy in enumerate(inst.energies):
        xc = col_x + (0.5 * pitch if c == 1 else 0.0)
        w, mu = beam_table(energy, inst.crystal_mm, BASIS)
        acc = np.zeros((n_rows, n_cols), np.float32)
        step = 600
        for c0 in range(0, n_cols, step):
            xs = (xc[c0 : c0 + step, None] + sub[None, :]).ravel()
            t = transmit(proj.chunk(xs, inst.slit / 2), w, mu).reshape(n_rows, -1, 2).mean(axis=2)
            acc[:, c0 : c0 + step] = t
        trans.append(acc)
    geom = RayGeometry(row_y, col_x, inst.source_y, inst.source_dist, inst.slit, inst.row_pitch)
    # scatter: a blurred fraction of what interacts, seen on a coarse grid
    f = 8
    sig = inst.scatter_sigma_mm / (inst.row_pitch * f)
    out_rel: list[np.ndarray] = []
    for t in trans:
        small = t[::f, ::f]
        s = ndi.gaussian_filter(small * (1 - small), sig, mode="nearest")
        s_full = ndi.zoom(s, (t.shape[0] / s.shape[0], t.shape[1] / s.shape[1]), order=1)[
            : t.shape[0], : t.shape[1]
        ]
        tt = t + np.float32(inst.scatter) * s_full.astype(np.float32)
        dose = (
            1.0
            + inst.dose_jitter * rng.standard_normal(n_cols)
            + 0.01 * np.sin(np.linspace(0, rng.uniform(1, 3), n_cols) + rng.uniform(0, 6))
        )
        q = inst.quanta * (1.0 if len(out_rel) == 0 else 0.7) * dose[None, :] * tt
        noisy = q + np.sqrt(np.maximum(q, 1.0)) * rng.standard_normal(q.shape).astype(np.float32)
        rel = noisy / (inst.quanta * (1.0 if len(out_rel) == 0 else 0.7))
        rel = rel / dose[None, :] ** (1 - inst.dose_residual)  # reference-detector correction
        out_rel.append(rel.astype(np.float32))
    # lag in acquisition order: a dual-energy linac interleaves high and low pulses
    a1, r1, a2, r2 = inst.lag
    if chans == 2:
        inter = np.empty((n_rows, 2 * n_cols), np.float32)
        inter[:, 0::2], inter[:, 1::2] = out_rel
        inter = _lag(inter, a1, r1, a2, r2)
        out_rel = [inter[:, 0::2], inter[:, 1::2]]
    else:
        out_rel = [_lag(out_rel[0], a1, r1, a2, r2)]
    # detector: crosstalk between rows, focal-spot blur, residual gains/offsets, bad rows, ADC
    hw_seed = int.from_bytes(hashlib.sha256(inst.scanner_id.encode()).digest()[:4], "little")
    grng = np.random.default_rng(hw_seed)  # the hardware: the same in every scan of this installation
    gains = 1 + inst.gain_sd * grng.standard_normal(n_rows)
    gains *= np.repeat(
        1 + 1.5 * inst.gain_sd * grng.standard_normal(n_rows // inst.module_rows + 1), inst.module_rows
    )[:n_rows]
    offsets = inst.offset_sd * grng.standard_normal(n_rows)
    images = []
    for rel in out_rel:
        k = inst.crosstalk
        rel = ndi.convolve1d(rel, np.array([k, 1 - 2 * k, k], np.float32), axis=0, mode="nearest")
        if inst.blur_px > 0:
            rel = ndi.gaussian_filter(rel, inst.blur_px, truncate=2.5)
        drift = 1 + 0.002 * rng.standard_normal()  # flat-field age
        sig = (rel * (gains[:, None] * drift) + offsets[:, None]) * inst.air_counts
        sig += inst.electronic_sd * rng.standard_normal(sig.shape).astype(np.float32)
        for r in inst.dead_rows:
            if r < n_rows:
                sig[r] = 30 + 5 * rng.standard_normal(n_cols)
        for r in inst.hot_rows:
            if r < n_rows:
                sig[r] = sig[r] * 0.6 + 0.5 * inst.air_counts
        if inst.fix_bad_rows:
            for r in inst.dead_rows + inst.hot_rows:
                if 0 < r < n_rows - 1:
                    sig[r] = 0.5 * (sig[r - 1] + sig[r + 1])
        if rng.random() < 0.3:  # a missed pulse: the column repeats the previous one
            c = int(rng.integers(1, n_cols))
            sig[:, c] = sig[:, c - 1]
        if inst.post == "sharpen":
            sig = sig + 0.4 * (sig - ndi.gaussian_filter(sig, 1.2))
        elif inst.post == "median":
            sig = ndi.median_filter(sig, size=3)
        q = 65535.0 / (2**inst.bits - 1) if inst.bits < 16 else 1.0
        sig = np.round(np.clip(sig, 0, 65535) / q) * q
        images.append(np.clip(sig, 0, 65535).astype(np.uint16))
    return images, geom
