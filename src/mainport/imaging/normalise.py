"""Per-scan normalisation: log attenuation, detector-row flat field, container detection, resampling.

Array contract: input ``pixels`` (rows = detector rows, cols = travel axis), transmitted intensity.
Output attenuation ``A = -ln(I / I_air)`` as float32 with the same shape (0 = air, larger = denser).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d

A_MAX = 9.0  # beyond this the signal is photon-starved noise: clip
AIR_THRESHOLD = 0.02  # thin walls attenuate more than this at MeV energies, even with saturated air
NOMINAL_LENGTHS_MM = (6058.0, 12192.0)  # 20 ft, 40 ft
NOMINAL_HEIGHTS_MM = (2591.0, 2896.0)  # standard, high cube


_LOG_LUT = np.log(np.maximum(np.arange(65536, dtype=np.float32), 1.0)).astype(np.float32)


def log_attenuation(pixels: np.ndarray) -> np.ndarray:
    """Flat-fielded log attenuation.

    The open-beam level of each detector row is estimated from its brightest pixels (the air margins
    before/after the container), which also removes the row gain stripes. Rows without air fall back to
    the global open-beam level. Column (pulse-to-pulse dose) drift is corrected from air rows at the
    top when there are any.
    """
    sub = pixels[:, ::3]  # a third of the columns is plenty for a percentile
    k = max(0, int(sub.shape[1] * 0.995) - 1)
    air_row = np.partition(sub, k, axis=1)[:, k].astype(np.float32)
    ref = float(np.percentile(air_row, 90))
    no_air = air_row < 0.8 * ref
    air_row[no_air] = ref
    if pixels.dtype == np.uint16:  # log through a 64k lookup table: a gather is cheaper than log()
        log_img = _LOG_LUT[pixels]
    else:
        log_img = np.log(np.maximum(pixels.astype(np.float32), 1.0))
    a = np.log(np.maximum(air_row, 1.0))[:, None] - log_img
    top = a[: max(3, a.shape[0] // 40)]
    if float(np.median(top)) < AIR_THRESHOLD * 0.5:  # air above the container: per-column dose drift
        drift = np.median(top, axis=0)
        a -= uniform_filter1d(drift, 3)[None, :]
    np.clip(a, -0.5, A_MAX, out=a)
    return a


def _longest_run(mask: np.ndarray, max_gap: int) -> tuple[int, int]:
    """[start, end) of the longest run of True allowing gaps up to ``max_gap``."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return 0, 0
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [idx.size - 1]])
    j = int(np.argmax(idx[ends] - idx[starts]))
    return int(idx[starts[j]]), int(idx[ends[j]]) + 1


@dataclass(frozen=True)
class ContainerBox:
    """Container extent in image pixels: columns [x0, x1), rows [y0, y1) (y1 = observed bottom)."""

    x0: int
    x1: int
    y0: int
    y1: int


def find_container(a: np.ndarray) -> ContainerBox:
    """Locate the container: the long block whose every column/row attenuates more than thin walls."""
    # coarse pass on 4x4 block means (noise down, speed up)
    h, w = (a.shape[0] // 4) * 4, (a.shape[1] // 4) * 4
    small = a[:h, :w].reshape(h // 4, 4, w // 4, 4).mean(axis=(1, 3))
    m = small > AIR_THRESHOLD
    cx0, cx1 = _longest_run(m.mean(axis=0) > 0.5, max_gap=3)
    if cx1 - cx0 < 20:
        return ContainerBox(0, a.shape[1], 0, a.shape[0])
    rows = m[:, cx0:cx1].mean(axis=1) > 0.8
    ry0, ry1 = _longest_run(rows, max_gap=3)
    # refine edges at full resolution with robust (median) profiles
    y_lo, y_hi = max(ry0 * 4 - 8, 0), min(ry1 * 4 + 8, a.shape[0])
    x_lo, x_hi = max(cx0 * 4 - 8, 0), min(cx1 * 4 + 8, a.shape[1])
    # "median > t" == "more than half above t": a mean of booleans is much cheaper than a median
    colp = (a[y_lo:y_hi:3, x_lo:x_hi] > AIR_THRESHOLD).mean(axis=0) > 0.5
    x0, x1 = _longest_run(colp, max_gap=6)
    rowp = (a[y_lo:y_hi, x_lo + x0 : x_lo + x1 : 3] > AIR_THRESHOLD).mean(axis=1) > 0.5
    y0, y1 = _longest_run(rowp, max_gap=2)
    return ContainerBox(x_lo + x0, x_lo + x1, y_lo + y0, y_lo + y1)


def snap(value: float, nominal: tuple[float, ...], tol: float) -> float:
    """Nearest nominal dimension if within ``tol`` (relative), else the observed value."""
    best = min(nominal, key=lambda n: abs(n - value))
    return best if abs(best - value) <= tol * best else value


def resample(a: np.ndarray, rows: np.ndarray, cols: np.ndarray, step: tuple[float, float]) -> np.ndarray:
    """Area-weighted bilinear sampling of ``a`` at fractional ``rows`` x ``cols`` indices.

    ``step`` = (row step, col step) in input pixels: when > 1.5 the output averages that many taps
    (anti-aliasing). Rows are gathered first, so filtering runs on the smaller intermediate image.
    """
    kr, kc = max(1, round(step[0])), max(1, round(step[1]))
    tmp = np.zeros((len(rows), a.shape[1]), np.float32)
    for off in (np.arange(kr) - (kr - 1) / 2) * (step[0] / kr):
        fr = np.clip(rows + off, 0, a.shape[0] - 1)
        r0 = np.minimum(np.floor(fr).astype(np.intp), a.shape[0] - 2)
        wr = (fr - r0).astype(np.float32)[:, None]
        tmp += a[r0] * (1 - wr) + a[r0 + 1] * wr
    tmp /= np.float32(kr)
    if kc > 1:
        tmp = uniform_filter1d(tmp, kc, axis=1)
    fc = np.clip(cols, 0, a.shape[1] - 1)
    c0 = np.minimum(np.floor(fc).astype(np.intp), a.shape[1] - 2)
    wc = (fc - c0).astype(np.float32)[None, :]
    return np.asarray(tmp[:, c0] * (1 - wc) + tmp[:, c0 + 1] * wc, dtype=np.float32)
