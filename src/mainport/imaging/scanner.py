"""Scanner model: turns a phantom (areal densities) into a 16-bit transmission image.

Chain: attenuation at the scanner's effective energy -> beam hardening -> sampling on the detector
grid (pitch, field of view, non-uniform line speed, direction) -> blur -> photon noise (Poisson) ->
detector response (row gains/stripes, gamma) -> electronic noise -> clipping to 16 bits.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from numpy.random import Generator
from scipy.ndimage import gaussian_filter

from mainport.imaging.physics import attenuation, beam_hardening_coeff, harden
from mainport.imaging.scene import Phantom


@dataclass(frozen=True)
class ScannerModel:
    """One scanner installation. ``pixel_pitch_mm`` = (travel at nominal speed, detector row)."""

    scanner_id: str
    energy_mev: float = 6.0
    pixel_pitch_mm: tuple[float, float] = (5.0, 6.0)
    photons_air: float = 4.0e4  # detected photons per pixel without object
    electronic_noise: float = 12.0  # output counts (std)
    gamma: float = 1.0  # detector response exponent
    air_level: float = 0.88  # fraction of full scale for the open beam
    row_gain_sd: float = 0.015  # detector row gain spread (stripes)
    module_rows: int = 16  # rows per detector board (board-level gain steps)
    psf_sigma_px: float = 0.7
    margin_mm: tuple[float, float] = (150.0, 550.0)  # air before/after the container (random in range)
    below_mm: tuple[float, float] = (300.0, 550.0)  # field of view below the container bottom
    above_mm: float = 250.0
    speed_variation: float = 0.05  # amplitude of smooth line-speed changes (drive-through)
    drive_through: bool = True
    hardening_scale: float = 1.0

    def row_gains(self, n_rows: int) -> np.ndarray:
        """Fixed per-installation gain pattern (same every scan: it is the hardware)."""
        rng = np.random.default_rng(zlib.crc32(self.scanner_id.encode()))
        gains = 1.0 + self.row_gain_sd * rng.standard_normal(n_rows)
        boards = 1.0 + 1.5 * self.row_gain_sd * rng.standard_normal(n_rows // self.module_rows + 1)
        return (gains * np.repeat(boards, self.module_rows)[:n_rows]).astype(np.float32)


# Four installations with different pitch, energy and response (two origin ports, two arrival lanes).
SCANNERS: dict[str, ScannerModel] = {
    s.scanner_id: s
    for s in (
        ScannerModel("GYE-DT6", 6.0, (5.0, 6.0), gamma=1.0, air_level=0.9, speed_variation=0.06),
        ScannerModel(
            "SMR-DT4", 4.0, (5.3, 6.2), photons_air=3.0e4, gamma=0.9, air_level=0.97, row_gain_sd=0.025
        ),
        ScannerModel(
            "RTM-GANTRY9",
            9.0,
            (4.6, 5.6),
            photons_air=6.0e4,
            gamma=1.1,
            air_level=0.8,
            drive_through=False,
            speed_variation=0.01,
            psf_sigma_px=0.9,
        ),
        ScannerModel(
            "RTM-DT6",
            6.0,
            (4.8, 6.4),
            photons_air=5.0e4,
            gamma=0.95,
            electronic_noise=25.0,
            air_level=0.92,
            speed_variation=0.05,
            hardening_scale=1.3,
        ),
    )
}


@dataclass
class Geometry:
    """Mapping from image pixels to physical mm (kept so ground truth can be projected)."""

    col_x_mm: np.ndarray  # physical x at the centre of each image column
    row_y_mm: np.ndarray  # physical y at the centre of each image row
    flipped: bool

    def box_to_pixels(self, box_mm: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        """Physical (x0, y0, x1, y1) mm -> image (x0, y0, x1, y1) pixels, end-exclusive."""
        x0, y0, x1, y1 = box_mm
        cx = self.col_x_mm
        order = np.argsort(cx)
        cols = np.interp([x0, x1], cx[order], order.astype(float))
        ry = self.row_y_mm[::-1]
        rows = np.interp([y0, y1], ry, np.arange(len(ry))[::-1].astype(float))
        c0, c1 = sorted(cols)
        r0, r1 = sorted(rows)
        return (int(np.floor(c0)), int(np.floor(r0)), int(np.ceil(c1)) + 1, int(np.ceil(r1)) + 1)


def _line_positions(n: int, pitch: float, amp: float, rng: Generator) -> np.ndarray:
    """Physical travel position of each column: smooth speed variation (sum of 1-3 slow sines)."""
    t = np.arange(n, dtype=np.float64)
    speed = np.ones(n)
    if amp > 0:
        k = int(rng.integers(1, 4))
        for j in range(1, k + 1):
            speed += (
                (amp / np.sqrt(k))
                * rng.uniform(0.5, 1.0)
                * np.sin(2 * np.pi * j * t / n * rng.uniform(0.7, 1.3) + rng.uniform(0, 2 * np.pi))
            )
        speed = np.clip(speed, 0.7, 1.3)
    return np.concatenate([[0.0], np.cumsum(speed[:-1])]) * pitch


def _sample(img: np.ndarray, fr: np.ndarray, fc: np.ndarray) -> np.ndarray:
    """Separable bilinear sampling at fractional row indices ``fr`` and column indices ``fc``."""
    r0 = np.clip(np.floor(fr).astype(np.intp), 0, img.shape[0] - 2)
    wr = np.clip(fr - r0, 0, 1).astype(np.float32)[:, None]
    tmp = img[r0] * (1 - wr) + img[r0 + 1] * wr
    c0 = np.clip(np.floor(fc).astype(np.intp), 0, img.shape[1] - 2)
    wc = np.clip(fc - c0, 0, 1).astype(np.float32)[None, :]
    return tmp[:, c0] * (1 - wc) + tmp[:, c0 + 1] * wc


def acquire(
    ph: Phantom, sc: ScannerModel, rng: Generator, *, reverse: bool = False
) -> tuple[np.ndarray, Geometry]:
    """Simulate one scan. Returns (uint16 image, geometry). Deterministic for a given ``rng`` state."""
    a_lin = attenuation(ph.channels, sc.energy_mev)
    a_eff = harden(a_lin, beam_hardening_coeff(sc.energy_mev) * sc.hardening_scale)
    ph_, pv = sc.pixel_pitch_mm
    # vertical field of view (rows from top down)
    below = rng.uniform(*sc.below_mm)
    n_rows = int(np.ceil((ph.height_mm + sc.above_mm + below) / pv))
    y_top = ph.height_mm + sc.above_mm + rng.uniform(-0.5, 0.5) * pv
    row_y = y_top - (np.arange(n_rows) + 0.5) * pv
    # travel axis: margins, non-uniform speed, direction
    m0, m1 = rng.uniform(*sc.margin_mm), rng.uniform(*sc.margin_mm)
    span = ph.length_mm + m0 + m1
    amp = sc.speed_variation if sc.drive_through else sc.speed_variation * 0.2
    pos = _line_positions(int(span / ph_ * 1.4), ph_, amp, rng)
    n_cols = int(np.searchsorted(pos, span))
    pos = pos[:n_cols]
    col_x = (ph.length_mm + m1 - pos) if reverse else (pos - m0)
    fr = (ph.y_top_mm - row_y) / ph.grid_mm - 0.5
    fc = (col_x - ph.x0_mm) / ph.grid_mm - 0.5
    a = _sample(a_eff, fr, fc)
    if sc.psf_sigma_px > 0:
        a = gaussian_filter(a, sc.psf_sigma_px, truncate=2.5)
    # photon statistics: Gaussian approximation where counts are large, exact Poisson where small
    lam = np.float32(sc.photons_air) * np.exp(-a)
    counts = lam + np.sqrt(lam) * rng.standard_normal(lam.shape, dtype=np.float32)
    low = lam < 30
    if low.any():
        counts[low] = rng.poisson(lam[low]).astype(np.float32)
    np.maximum(counts, 0, out=counts)
    rel = counts / np.float32(sc.photons_air)
    if sc.gamma != 1.0:
        rel = rel ** np.float32(sc.gamma)
    gains = sc.row_gains(n_rows) * np.float32(1 + 0.003 * rng.standard_normal())
    signal = rel * (np.float32(65535 * sc.air_level) * gains[:, None])
    signal += np.float32(sc.electronic_noise) * rng.standard_normal(signal.shape, dtype=np.float32)
    out = np.clip(np.rint(signal), 0, 65535).astype(np.uint16)
    return out, Geometry(col_x_mm=col_x, row_y_mm=row_y, flipped=reverse)
