"""Drawing primitives of the own renderer's phantom (:mod:`scene`): the container's physical dimensions,
deterministic random streams, anti-aliased rectangles and patches in the material channels, textures."""

from __future__ import annotations

import zlib

import numpy as np
from numpy.random import Generator

from mainport.imaging.physics import MATERIALS

LENGTH_MM = {20: 6058.0, 40: 12192.0}
HEIGHT_MM = {False: 2591.0, True: 2896.0}
WIDTH_CM = 235.0  # inner width crossed by the beam
FLOOR_TOP_MM = 186.0  # top of the plywood floor above the rail underside
X_PAD_MM = 700.0  # phantom extent beyond the container ends (air margins live here)
Y_BELOW_MM = 700.0  # room under the container for a chassis
Y_ABOVE_MM = 500.0


def rng_for(*keys: object) -> Generator:
    """Deterministic generator from a tuple of keys (stable across processes, unlike hash())."""
    return np.random.default_rng(zlib.crc32(repr(keys).encode()))


class Canvas:
    """Anti-aliased drawing of rectangles/patches into the material channels (coordinates in mm)."""

    def __init__(self, grid: float, x0: float, y_top: float, nx: int, ny: int) -> None:
        self.g, self.x0, self.y_top = grid, x0, y_top
        self.ch = {m: np.zeros((ny, nx), np.float32) for m in MATERIALS}

    def _cov(self, a0: float, a1: float, n: int) -> tuple[int, np.ndarray]:
        # fractional coverage of cells [i, i+1) by the interval [a0, a1) (in cell units)
        i0, i1 = max(int(np.floor(a0)), 0), min(int(np.ceil(a1)), n)
        if i1 <= i0:
            return i0, np.zeros(0, np.float32)
        edges = np.arange(i0, i1 + 1, dtype=np.float64)
        cov = np.clip(np.minimum(edges[1:], a1) - np.maximum(edges[:-1], a0), 0, 1)
        return i0, cov.astype(np.float32)

    def rect(self, mat: str, x0: float, x1: float, y0: float, y1: float, value: float) -> None:
        arr = self.ch[mat]
        c0, cx = self._cov((x0 - self.x0) / self.g, (x1 - self.x0) / self.g, arr.shape[1])
        r0, cy = self._cov((self.y_top - y1) / self.g, (self.y_top - y0) / self.g, arr.shape[0])
        if cx.size and cy.size:
            arr[r0 : r0 + cy.size, c0 : c0 + cx.size] += np.float32(value) * np.outer(cy, cx)

    def patch(self, mat: str, x0: float, y1: float, patch: np.ndarray) -> None:
        """Add a patch (already at grid resolution) with its top-left corner at (x0, y1)."""
        arr = self.ch[mat]
        c0 = round((x0 - self.x0) / self.g)
        r0 = round((self.y_top - y1) / self.g)
        h, w = patch.shape
        rs, cs = max(r0, 0), max(c0, 0)
        re, ce = min(r0 + h, arr.shape[0]), min(c0 + w, arr.shape[1])
        if re > rs and ce > cs:
            arr[rs:re, cs:ce] += patch[rs - r0 : re - r0, cs - c0 : ce - c0]

    def cells(self, mm: float) -> int:
        return max(1, round(mm / self.g))


def smooth_noise(rng: Generator, shape: tuple[int, int], cell: int, amp: float) -> np.ndarray:
    """Low-frequency multiplicative texture: coarse normal noise, bilinear upsampled."""
    from scipy.ndimage import zoom

    ch, cw = max(2, shape[0] // cell + 2), max(2, shape[1] // cell + 2)
    coarse = rng.standard_normal((ch, cw)).astype(np.float32)
    up = zoom(coarse, (shape[0] / (ch - 1) + 1e-3, shape[1] / (cw - 1) + 1e-3), order=1)
    return (1.0 + amp * up[: shape[0], : shape[1]]).astype(np.float32)


def blob(h: int, w: int) -> np.ndarray:
    """Path-length profile of a soft bag (ellipsoid section), max 1."""
    yy = (np.arange(h, dtype=np.float32) + 0.5) / h * 2 - 1
    xx = (np.arange(w, dtype=np.float32) + 0.5) / w * 2 - 1
    r2 = yy[:, None] ** 2 + (xx[None, :] ** 2) ** 2  # squarish bag
    return np.sqrt(np.clip(1 - r2, 0, 1)).astype(np.float32)
