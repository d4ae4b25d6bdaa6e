"""Three-dimensional solids and their fan-beam projection.

A scene is a list of :class:`Solid` (boxes, cylinders along one axis, tilted boxes), in millimetres in
the lane frame: X along the lane (direction of travel), Y height above the road, Z across the lane with the
source on the -Z side. The X-ray source is a point at (Y = ``source_y``, Z = ``-source_dist``); each
detector row is the ray through a fixed height on the lane's centre plane (Z = 0), which is how vendors
calibrate the vertical pixel pitch. Objects off the centre plane are therefore magnified (near the source)
or shrunk (far side), and rays are oblique: the path through a solid is computed exactly per ray.

Projection accumulates areal density (g/cm2) in four basis materials (plastic, water, steel, lead; any
compound's attenuation is a least-squares combination of theirs to 0.2% between 0.12 and 9 MeV).
Untextured solids with X-independent cross-sections are separable (row path x column coverage) and are
summed with one matrix product per basis; textured, tilted or X-varying ones are drawn in their footprint.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from mainport.imaging.sim2.spectra import MATERIALS, mu_rho

BASIS: tuple[str, ...] = ("plastic", "water", "mild_steel", "lead")


@lru_cache(maxsize=1)
def basis_coefficients() -> dict[str, np.ndarray]:
    """Compound -> coefficients on :data:`BASIS` (mu_compound(E) ~ sum_b c_b mu_b(E))."""
    e = np.geomspace(0.12, 9.0, 40)
    b = np.stack([mu_rho(x, e) for x in BASIS], axis=1)
    return {m: np.linalg.lstsq(b, mu_rho(m, e), rcond=None)[0].astype(np.float32) for m in MATERIALS}


@dataclass(frozen=True)
class Texture:
    """Density modulation in the solid's own coordinates (so two scans see the same texture).

    ``amp``: relative amplitude of smooth lumps of size ``cell_mm``; ``seam_u``/``seam_v``: period (mm) of
    package boundaries along the solid's length / height, where density drops by ``seam_depth``."""

    seed: int
    amp: float = 0.15
    cell_mm: float = 60.0
    seam_u: float = 0.0
    seam_v: float = 0.0
    seam_depth: float = 0.3


@dataclass(frozen=True)
class Solid:
    """An axis-aligned solid. ``shape``: ``box``; ``xcyl``/``ycyl``/``zcyl`` = cylinder whose axis runs
    along X/Y/Z inscribed in the box (``inner`` = hollow fraction of the radius). ``tilt`` = dY/dX of a box
    leaning about its centre (cargo that tilted). ``density`` in g/cm3 (negative = a cavity cut out of an
    overlapping solid)."""

    shape: str
    x0: float
    x1: float
    y0: float
    y1: float
    z0: float
    z1: float
    material: str
    density: float
    inner: float = 0.0
    tilt: float = 0.0
    texture: Texture | None = None
    group: str = ""
    u_flip: bool = False  # texture runs along -X (the solid was mirrored)

    def moved(self, dx: float = 0.0, dy: float = 0.0, dz: float = 0.0) -> Solid:
        return replace(
            self,
            x0=self.x0 + dx,
            x1=self.x1 + dx,
            y0=self.y0 + dy,
            y1=self.y1 + dy,
            z0=self.z0 + dz,
            z1=self.z1 + dz,
        )

    def mirrored_x(self, about: float) -> Solid:
        return replace(
            self, x0=2 * about - self.x1, x1=2 * about - self.x0, tilt=-self.tilt, u_flip=not self.u_flip
        )

    def mirrored_z(self) -> Solid:
        return replace(self, z0=-self.z1, z1=-self.z0)

    def corners(self) -> list[tuple[float, float, float]]:
        h = 0.5 * abs(self.tilt) * (self.x1 - self.x0)
        return [
            (x, y, z)
            for x in (self.x0, self.x1)
            for y in (self.y0 - h, self.y1 + h)
            for z in (self.z0, self.z1)
        ]


def box(
    x0: float,
    x1: float,
    y0: float,
    y1: float,
    z0: float,
    z1: float,
    material: str,
    density: float,
    *,
    tilt: float = 0.0,
    texture: Texture | None = None,
    group: str = "",
) -> Solid:
    return Solid(
        "box",
        min(x0, x1),
        max(x0, x1),
        min(y0, y1),
        max(y0, y1),
        min(z0, z1),
        max(z0, z1),
        material,
        density,
        tilt=tilt,
        texture=texture,
        group=group,
    )


def hollow_box(
    x0: float,
    x1: float,
    y0: float,
    y1: float,
    z0: float,
    z1: float,
    wall: float,
    material: str,
    density: float,
    group: str = "",
) -> list[Solid]:
    """A tube of rectangular section running along the longest of its three extents."""
    out = [box(x0, x1, y0, y1, z0, z1, material, density, group=group)]
    ext = [x1 - x0, y1 - y0, z1 - z0]
    ax = int(np.argmax(ext))
    inner = [x0 + wall, x1 - wall, y0 + wall, y1 - wall, z0 + wall, z1 - wall]
    inner[2 * ax], inner[2 * ax + 1] = (x0, x1) if ax == 0 else ((y0, y1) if ax == 1 else (z0, z1))
    if inner[1] > inner[0] and inner[3] > inner[2] and inner[5] > inner[4]:
        xa, xb, ya, yb, za, zb = inner
        out.append(box(xa, xb, ya, yb, za, zb, material, -density, group=group))
    return out


@dataclass
class RayGeometry:
    """Where each image row and column looks (lane frame, mm)."""

    row_y: np.ndarray  # centre-plane height of each detector row (row 0 = top)
    col_x: np.ndarray  # beam position along the lane of each column
    source_y: float
    source_dist: float
    slit_mm: float  # beam thickness along the lane at the centre plane
    row_pitch: float
    sub_rays: int = 3
    _k: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        off = (np.arange(self.sub_rays) + 0.5) / self.sub_rays - 0.5
        yc = self.row_y[:, None] + off[None, :] * self.row_pitch  # (rows, sub)
        self._k = ((yc - self.source_y) / self.source_dist).astype(np.float64)

    def slope(self) -> np.ndarray:
        return self._k

    def project_point(self, x: float, y: float, z: float) -> tuple[float, float]:
        """(fractional column, fractional row) where a lane-frame point lands in the image."""
        yc = self.source_y + (y - self.source_y) * self.source_dist / (self.source_dist + z)
        order = np.argsort(self.col_x)
        col = float(np.interp(x, self.col_x[order], order.astype(float)))
        rows = np.arange(len(self.row_y), dtype=float)
        row = float(np.interp(-yc, -self.row_y, rows))
        return col, row


def _box_path(k: np.ndarray, ys: float, d: float, y0: Any, y1: Any, z0: Any, z1: Any) -> np.ndarray:
    """Path length (mm) of rays with slope ``k`` (any shape) through Y in [y0, y1], Z in [z0, z1]."""
    flat = np.abs(k) < 1e-9
    ks = np.where(flat, 1.0, k)
    za = (y0 - ys) / ks - d
    zb = (y1 - ys) / ks - d
    lo = np.where(flat, -1e12, np.minimum(za, zb))
    hi = np.where(flat, 1e12, np.maximum(za, zb))
    inside_flat = (ys >= y0) & (ys <= y1)
    lo = np.where(flat & ~inside_flat, 1e12, lo)
    seg = np.clip(np.minimum(hi, z1) - np.maximum(lo, z0), 0.0, None)
    return seg * np.sqrt(1.0 + k * k)


def _xcyl_path(k: np.ndarray, ys: float, d: float, yc: float, zc: float, r: float, ri: float) -> np.ndarray:
    dist = np.abs(yc - ys - k * (zc + d)) / np.sqrt(1.0 + k * k)
    out = 2.0 * np.sqrt(np.clip(r * r - dist * dist, 0.0, None))
    if ri > 0:
        out -= 2.0 * np.sqrt(np.clip(ri * ri - dist * dist, 0.0, None))
    return out


def _coverage(col_x: np.ndarray, slit: float, x0: float, x1: float) -> np.ndarray:
    lo = np.maximum(col_x - slit / 2, x0)
    hi = np.minimum(col_x + slit / 2, x1)
    return np.clip(hi - lo, 0.0, None) / slit


def _texture_field(t: Texture, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Multiplicative density field at solid coordinates (u, v) in mm (broadcastable arrays)."""
    rng = np.random.default_rng([t.seed, 7717])
    n = 64
    grid = rng.standard_normal((n, n)).astype(np.float32)
    gu, gv = u / t.cell_mm, v / t.cell_mm
    i0, j0 = np.floor(gu).astype(np.int64), np.floor(gv).astype(np.int64)
    fu, fv = (gu - i0).astype(np.float32), (gv - j0).astype(np.float32)
    i0, j0 = i0 % n, j0 % n
    i1, j1 = (i0 + 1) % n, (j0 + 1) % n
    val = (
        grid[j0, i0] * (1 - fu) * (1 - fv)
        + grid[j0, i1] * fu * (1 - fv)
        + grid[j1, i0] * (1 - fu) * fv
        + grid[j1, i1] * fu * fv
    )
    out = 1.0 + t.amp * val
    if t.seam_u > 0:
        out *= 1.0 - t.seam_depth * (np.abs(((u / t.seam_u) % 1.0) - 0.5) > 0.47)
    if t.seam_v > 0:
        out *= 1.0 - t.seam_depth * (np.abs(((v / t.seam_v) % 1.0) - 0.5) > 0.46)
    return np.clip(out, 0.05, None).astype(np.float32)


class Projector:
    """Projects one scene for one set of detector rows, column chunk by column chunk.

    The row paths of separable solids do not depend on the columns, so they are computed once (vectorised
    over solids) and each chunk costs one matrix product per basis material plus the non-separable solids
    that reach into it."""

    def __init__(
        self, solids: list[Solid], row_y: np.ndarray, source_y: float, source_dist: float, row_pitch: float
    ) -> None:
        coef = basis_coefficients()
        self.row_y, self.source_y, self.source_dist, self.row_pitch = row_y, source_y, source_dist, row_pitch
        probe = RayGeometry(row_y, np.zeros(1), source_y, source_dist, 1.0, row_pitch)
        k = probe.slope()[:, :, None]  # (rows, sub, 1)
        plain = [s for s in solids if s.density != 0 and s.texture is None and s.tilt == 0]
        boxes = [s for s in plain if s.shape == "box"]
        cyls = [s for s in plain if s.shape == "xcyl"]
        self.others = [
            s
            for s in solids
            if s.density != 0 and not (s.texture is None and s.tilt == 0 and s.shape in ("box", "xcyl"))
        ]
        sep = boxes + cyls
        self.sep_x = np.array([[s.x0, s.x1] for s in sep], np.float64).reshape(-1, 2)
        self.sep_w = (
            np.stack([coef[s.material] * np.float32(s.density / 10.0) for s in sep], axis=1)
            if sep
            else np.zeros((len(BASIS), 0), np.float32)
        )
        paths = []
        for chunk in range(0, len(boxes), 256):
            bb = boxes[chunk : chunk + 256]
            y0 = np.array([s.y0 for s in bb])[None, None, :]
            y1 = np.array([s.y1 for s in bb])[None, None, :]
            z0 = np.array([s.z0 for s in bb])[None, None, :]
            z1 = np.array([s.z1 for s in bb])[None, None, :]
            paths.append(_box_path(k, source_y, source_dist, y0, y1, z0, z1).mean(axis=1))
        for s in cyls:
            r = 0.5 * min(s.y1 - s.y0, s.z1 - s.z0)
            p = _xcyl_path(
                k[:, :, 0], source_y, source_dist, 0.5 * (s.y0 + s.y1), 0.5 * (s.z0 + s.z1), r, r * s.inner
            ).mean(axis=1)
            paths.append(p[:, None])
        self.sep_p = (np.concatenate(paths, axis=1) if paths else np.zeros((len(row_y), 0))).astype(
            np.float32
        )

    def chunk(self, col_x: np.ndarray, slit_mm: float) -> np.ndarray:
        """Areal densities (len(BASIS), rows, len(col_x)) in g/cm2 for beam positions ``col_x``."""
        g = RayGeometry(self.row_y, col_x, self.source_y, self.source_dist, slit_mm, self.row_pitch)
        out = np.zeros((len(BASIS), len(self.row_y), len(col_x)), np.float32)
        if self.sep_p.shape[1]:
            lo = np.maximum(col_x[None, :] - slit_mm / 2, self.sep_x[:, :1])
            hi = np.minimum(col_x[None, :] + slit_mm / 2, self.sep_x[:, 1:])
            cov = (np.clip(hi - lo, 0.0, None) / slit_mm).astype(np.float32)  # (S, cols)
            hit = cov.any(axis=1)
            if hit.any():
                pm, cm, wm = self.sep_p[:, hit], cov[hit], self.sep_w[:, hit]
                for b in range(len(BASIS)):
                    out[b] += (pm * wm[b][None, :]) @ cm
        x_lo, x_hi = float(col_x.min()) - slit_mm, float(col_x.max()) + slit_mm
        for s in self.others:
            if s.x1 >= x_lo and s.x0 <= x_hi:
                _draw(out, s, g, basis_coefficients()[s.material] * np.float32(s.density / 10.0))
        return out


def project(solids: list[Solid], g: RayGeometry) -> np.ndarray:
    """Areal density images (len(BASIS), rows, cols) in g/cm2 of the scene seen through ``g``."""
    return Projector(solids, g.row_y, g.source_y, g.source_dist, g.row_pitch).chunk(g.col_x, g.slit_mm)


def _draw(out: np.ndarray, s: Solid, g: RayGeometry, w: np.ndarray) -> None:
    """Non-separable solid: evaluate its path per (row, column) in its footprint."""
    cols = np.flatnonzero((g.col_x + g.slit_mm / 2 > s.x0) & (g.col_x - g.slit_mm / 2 < s.x1))
    if cols.size == 0:
        return
    x = g.col_x[cols]
    cov = _coverage(x, g.slit_mm, s.x0, s.x1)
    xc = 0.5 * (s.x0 + s.x1)
    y0 = np.full(x.shape, s.y0)
    y1 = np.full(x.shape, s.y1)
    z0 = np.full(x.shape, s.z0)
    z1 = np.full(x.shape, s.z1)
    if s.shape == "box" and s.tilt:
        y0 = y0 + s.tilt * (x - xc)
        y1 = y1 + s.tilt * (x - xc)
    elif s.shape == "zcyl":  # circle in X-Y: Y limits follow the circle along X
        r = 0.5 * (s.x1 - s.x0)
        h = np.sqrt(np.clip(r * r - (x - xc) ** 2, 0.0, None)) * (0.5 * (s.y1 - s.y0) / r)
        yc = 0.5 * (s.y0 + s.y1)
        y0, y1 = yc - h, yc + h
    elif s.shape == "ycyl":  # circle in X-Z: Z limits follow the circle along X
        r = 0.5 * (s.x1 - s.x0)
        h = np.sqrt(np.clip(r * r - (x - xc) ** 2, 0.0, None)) * (0.5 * (s.z1 - s.z0) / r)
        zc = 0.5 * (s.z0 + s.z1)
        z0, z1 = zc - h, zc + h
    # rows that can see the solid: project its Y extent through the nearest and farthest Z
    ys, d = g.source_y, g.source_dist
    ylo, yhi = float(y0.min()), float(y1.max())
    cand = [ys + (yy - ys) * d / (d + zz) for yy in (ylo, yhi) for zz in (s.z0, s.z1)]
    lo_y, hi_y = min(cand) - 2 * g.row_pitch, max(cand) + 2 * g.row_pitch
    rows = np.flatnonzero((g.row_y >= lo_y) & (g.row_y <= hi_y))
    if rows.size == 0:
        return
    k = g.slope()[rows][:, :, None]  # (r, sub, 1)
    path = _box_path(k, ys, d, y0[None, None, :], y1[None, None, :], z0[None, None, :], z1[None, None, :])
    if s.shape == "zcyl" and s.inner > 0:
        hi_ = h * s.inner
        inner = _box_path(
            k,
            ys,
            d,
            (yc - hi_)[None, None, :],
            (yc + hi_)[None, None, :],
            z0[None, None, :],
            z1[None, None, :],
        )
        path = path - inner
    path = path.mean(axis=1) * cov[None, :]  # (r, c)
    if s.texture is not None:
        zm = 0.5 * (s.z0 + s.z1)
        y_mid = ys + g.slope()[rows].mean(axis=1)[:, None] * (zm + d)  # ray height at the solid's depth
        u = (s.x1 - x) if s.u_flip else (x - s.x0)
        base = s.y0 + s.tilt * (x - xc)
        path = path * _texture_field(s.texture, u[None, :], y_mid - base[None, :])
    sub = path.astype(np.float32)
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    for b in range(len(BASIS)):
        out[b, r0:r1, c0:c1] += sub * w[b]
