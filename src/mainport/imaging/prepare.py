"""Per-scan preparation before comparison: raster orientation, bad detector rows, attenuation, channels.

* Orientation: the travel axis is the long one in millimetres (a container is 6-12 m long, a detector
  column at most ~5.5 m tall); a vendor that writes one detector line per row is transposed back.
* Bad detector rows: a dead row is dark in the open beam, a hot row is bright where everything else is dark
  (its darkest pixels far above its neighbours'); both are replaced by interpolation from good rows. A
  gain step between detector boards is neither (it scales bright and dark pixels alike) and is left to the
  flat field.
* Attenuation ``A = -ln(I / I_air)`` with the open beam per row (:func:`normalise.log_attenuation`).
* A second energy channel is aligned to the first: dual-energy linacs interleave their pulses, so the two
  channels are offset along the travel axis by a fraction of a pixel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import shift as nd_shift

from mainport.imaging.meta import ScanImage
from mainport.imaging.normalise import log_attenuation


@dataclass
class Prepared:
    """A scan ready for comparison (rows = detector, columns = travel, as the contract says)."""

    a: np.ndarray  # attenuation of the first channel, float32
    a2: np.ndarray | None  # attenuation of the second channel, aligned to ``a``
    pitch: tuple[float, float]  # (travel, detector) mm per pixel of ``a``
    energy_mev: float
    energy2_mev: float | None
    transposed: bool = False  # the file had the travel axis along its rows
    bad_rows: list[int] = field(default_factory=list)
    shape_in: tuple[int, int] = (0, 0)  # shape of the image as stored

    def to_input_box(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """A box (x0, y0, x1, y1) in prepared pixels -> the stored image's pixels."""
        if not self.transposed:
            return box
        x0, y0, x1, y1 = box
        return (y0, x0, y1, x1)


def is_transposed(shape: tuple[int, int], pitch_mm: tuple[float, float]) -> bool:
    """True when axis 0 is the longer one in millimetres (pitch = (axis 1, axis 0) as in the sidecar)."""
    ext0 = shape[0] * pitch_mm[1]
    ext1 = shape[1] * pitch_mm[0]
    return ext0 > 1.15 * ext1


def bad_rows(pixels: np.ndarray, threshold: float = 0.3) -> list[int]:
    """Dead and hot detector rows (see module docstring). Works on raw counts.

    A row is compared with the nearest good row above and below, pixel by pixel in log counts: a dead row
    is far below both over most of its length, a hot row far above both (a structure edge is below one
    neighbour and like the other). Runs of adjacent bad rows are found by repeating with the flagged rows
    skipped."""
    n = pixels.shape[0]
    if n < 12 or pixels.shape[1] < 12:
        return []
    lg = np.log(np.maximum(pixels[:, ::2].astype(np.float32), 1.0))
    bad = np.zeros(n, bool)
    for _ in range(3):
        good = np.flatnonzero(~bad)
        new = np.zeros(n, bool)
        for j in range(1, n - 1):
            if bad[j]:
                continue
            k = np.searchsorted(good, j)
            up = good[k - 1] if k - 1 >= 0 and good[k - 1] < j else None
            dn_i = k + 1 if k < good.size and good[k] == j else k
            dn = good[dn_i] if dn_i < good.size else None
            if up is None or dn is None or j - up > 4 or dn - j > 4:
                continue
            d_up = float(np.median(lg[j] - lg[up]))
            d_dn = float(np.median(lg[j] - lg[dn]))
            if (d_up < -threshold and d_dn < -threshold) or (d_up > 2 * threshold and d_dn > 2 * threshold):
                new[j] = True
        if not new.any():
            break
        bad |= new
    return [int(j) for j in np.flatnonzero(bad)]


def repair_rows(img: np.ndarray, rows: list[int]) -> np.ndarray:
    """Replace ``rows`` by linear interpolation between the nearest good rows (runs of bad rows too)."""
    if not rows:
        return img
    out = img.astype(np.float32, copy=True)
    bad = np.zeros(img.shape[0], bool)
    bad[rows] = True
    good = np.flatnonzero(~bad)
    if good.size < 2:
        return out
    for j in np.flatnonzero(bad):
        k = int(np.searchsorted(good, j))
        lo_i = int(good[max(k - 1, 0)])
        hi_i = int(good[min(k, good.size - 1)])
        if lo_i == hi_i:
            out[j] = out[lo_i]
        else:
            w = (j - lo_i) / (hi_i - lo_i)
            out[j] = (1 - w) * out[lo_i] + w * out[hi_i]
    return out


def channel_offset(a: np.ndarray, b: np.ndarray, max_px: float = 1.5) -> float:
    """Sub-pixel shift s (columns) with b(col) ~ a(col + s), from the column-profile gradients."""
    pa = np.gradient(a.mean(axis=0))
    pb = np.gradient(b.mean(axis=0))
    pa = (pa - pa.mean()) / (pa.std() + 1e-9)
    pb = (pb - pb.mean()) / (pb.std() + 1e-9)
    m = int(np.ceil(max_px)) + 1
    core = slice(m, len(pa) - m)
    sc = np.array([float(np.dot(pb[core], pa[m + s : len(pa) - m + s])) for s in range(-m, m + 1)])
    k = int(np.argmax(sc))
    off = float(k - m)
    if 0 < k < len(sc) - 1:
        den = sc[k - 1] - 2 * sc[k] + sc[k + 1]
        if den < 0:
            off += 0.5 * (sc[k - 1] - sc[k + 1]) / den
    return float(np.clip(off, -max_px, max_px))


def prepare(scan: ScanImage) -> Prepared:
    px, second = scan.pixels, scan.second
    pitch = scan.meta.pixel_pitch_mm
    transposed = is_transposed(px.shape, pitch)
    if transposed:
        px = np.ascontiguousarray(px.T)
        second = None if second is None else np.ascontiguousarray(second.T)
        pitch = (pitch[1], pitch[0])
    rows = bad_rows(px)
    if rows:
        px = repair_rows(px, rows)
        if second is not None:
            second = repair_rows(second, rows)
    a = log_attenuation(px)
    a2 = None
    if second is not None:
        a2 = log_attenuation(second)
        s = channel_offset(a, a2)  # a2(col) ~ a(col + s): resample a2 at col - s
        if abs(s) > 0.1:
            a2 = nd_shift(a2, (0.0, s), order=1, mode="nearest").astype(np.float32)
    return Prepared(
        a=a,
        a2=a2,
        pitch=(float(pitch[0]), float(pitch[1])),
        energy_mev=scan.meta.energy_mev,
        energy2_mev=scan.meta.second_energy_mev,
        transposed=transposed,
        bad_rows=rows,
        shape_in=(int(scan.pixels.shape[0]), int(scan.pixels.shape[1])),
    )
