"""Physical 2-D projection of a container and its contents (the 'phantom').

The X-ray beam crosses the container width (z); a scan is the side projection onto the x-y plane:
x = along the container length in mm (0 = outer face of the doors), y = height in mm (0 = underside of
the bottom rails). Each material channel holds areal density in g/cm2 on a regular grid of
``grid_mm``; array axis 0 runs from the top (high y) down, axis 1 along +x.

All randomness comes from ``ContainerContents.layout_seed`` (what is physically in the box, so two
scans of the same container share it) and from :class:`ScanState` (what changed between scans:
settling, moisture, door hardware, chassis, which concealments are present).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.random import Generator

from mainport.imaging.physics import DENSITY_G_CM3, MATERIALS

Commodity = Literal["bananas", "cocoa", "coffee", "tiles", "machinery", "furniture", "empty"]
COMMODITIES: tuple[str, ...] = ("bananas", "cocoa", "coffee", "tiles", "machinery", "furniture", "empty")
ConcealmentKind = Literal["door", "cargo", "reefer", "floor", "wall"]
CONCEALMENT_KINDS: tuple[str, ...] = ("door", "cargo", "reefer", "floor", "wall")

LENGTH_MM = {20: 6058.0, 40: 12192.0}
HEIGHT_MM = {False: 2591.0, True: 2896.0}
WIDTH_CM = 235.0  # inner width crossed by the beam
FLOOR_TOP_MM = 186.0  # top of the plywood floor above the rail underside
X_PAD_MM = 700.0  # phantom extent beyond the container ends (air margins live here)
Y_BELOW_MM = 700.0  # room under the container for a chassis
Y_ABOVE_MM = 500.0

# (thickness along the beam in cm, packing fraction) of a concealment of each kind; brick density 1.2.
_CONCEAL_GEOM = {
    "door": (40.0, 0.65),
    "cargo": (30.0, 0.8),
    "reefer": (15.0, 0.85),
    "floor": (80.0, 0.7),
    "wall": (6.0, 0.85),
}


@dataclass(frozen=True)
class Concealment:
    """Drugs in 1 kg bricks. ``position_m`` = (centre distance from the door end, centre height above the
    floor) in metres; ``None`` lets the layout pick a plausible spot for ``kind``."""

    kind: ConcealmentKind
    mass_kg: float
    position_m: tuple[float, float] | None = None


@dataclass(frozen=True)
class ContainerContents:
    """What is physically in the container (the synthetic world renders scans from this)."""

    size_ft: Literal[20, 40] = 40
    reefer: bool = False
    commodity: Commodity = "bananas"
    fill_fraction: float = 0.9
    concealments: tuple[Concealment, ...] = ()
    high_cube: bool = False
    layout_seed: int = 0

    @property
    def length_mm(self) -> float:
        return LENGTH_MM[self.size_ft]

    @property
    def height_mm(self) -> float:
        return HEIGHT_MM[self.high_cube]


@dataclass(frozen=True)
class ScanState:
    """Per-scan physical state: benign changes between two scans of the same container."""

    settle_seed: int | None = None  # None = cargo exactly as loaded
    settle_mm: float = 25.0  # scale of per-unit cargo shifts (few cm)
    moisture: float = 1.0  # multiplies organic cargo density (drying / humidity)
    chassis: bool = False  # truck chassis under the container
    door_seed: int = 0  # door handle/seal positions
    present: tuple[bool, ...] | None = None  # which concealments are in the box (default all)


@dataclass
class Phantom:
    grid_mm: float
    x0_mm: float  # x of the left edge of column 0
    y_top_mm: float  # y of the top edge of row 0
    channels: dict[str, np.ndarray]
    length_mm: float
    height_mm: float
    boxes_mm: list[tuple[float, float, float, float]] = field(default_factory=list)  # x0, y0, x1, y1

    @property
    def shape(self) -> tuple[int, int]:
        sh = self.channels["steel"].shape
        return (int(sh[0]), int(sh[1]))


def _rng(*keys: object) -> Generator:
    """Deterministic generator from a tuple of keys (stable across processes, unlike hash())."""
    return np.random.default_rng(zlib.crc32(repr(keys).encode()))


class _Canvas:
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


def _smooth_noise(rng: Generator, shape: tuple[int, int], cell: int, amp: float) -> np.ndarray:
    """Low-frequency multiplicative texture: coarse normal noise, bilinear upsampled."""
    from scipy.ndimage import zoom

    ch, cw = max(2, shape[0] // cell + 2), max(2, shape[1] // cell + 2)
    coarse = rng.standard_normal((ch, cw)).astype(np.float32)
    up = zoom(coarse, (shape[0] / (ch - 1) + 1e-3, shape[1] / (cw - 1) + 1e-3), order=1)
    return (1.0 + amp * up[: shape[0], : shape[1]]).astype(np.float32)


def _blob(h: int, w: int) -> np.ndarray:
    """Path-length profile of a soft bag (ellipsoid section), max 1."""
    yy = (np.arange(h, dtype=np.float32) + 0.5) / h * 2 - 1
    xx = (np.arange(w, dtype=np.float32) + 0.5) / w * 2 - 1
    r2 = yy[:, None] ** 2 + (xx[None, :] ** 2) ** 2  # squarish bag
    return np.sqrt(np.clip(1 - r2, 0, 1)).astype(np.float32)


# ----------------------------------------------------------------------------------------------------
# container structure


def _structure(cv: _Canvas, c: ContainerContents, rng: Generator) -> None:
    L, H = c.length_mm, c.height_mm
    st = DENSITY_G_CM3["steel"]
    if c.reefer:
        # sandwich walls: 2 x (1 mm alu + 1 mm steel) skins + PU foam, smooth (no corrugation)
        cv.rect("mineral", 0, L, 0, H, 2 * 0.1 * 2.7)
        cv.rect("steel", 0, L, 0, H, 2 * 0.1 * st)
        cv.rect("organic", 0, L, 0, H, 2 * 10 * 0.04)
    else:
        wall = 0.16 * st  # 1.6 mm corrugated side wall, two of them in the beam
        cv.rect("steel", 0, L, 0, H, 2 * wall)
        for phase in (0.0, 139.0 + rng.uniform(-20, 20)):
            x = 60.0 + phase
            while x < L - 60:  # inclined corrugation webs: ~2.5x the sheet path length
                cv.rect("steel", x, x + 40, 60, H - 60, 1.5 * wall)
                cv.rect("steel", x + 110, x + 150, 60, H - 60, 1.5 * wall)
                x += 278.0
    wcm = WIDTH_CM
    cv.rect("steel", 0, L, H - 20, H, 0.2 * wcm * st / 2.0)  # roof seen edge-on (2 mm over 20 mm)
    cv.rect("steel", 0, L, H - 60, H, 1.6 * st)  # top side rails
    cv.rect("steel", 0, L, H - 64, H - 60, 12 * st)
    cv.rect("steel", 0, L, 0, 160, 0.9 * st)  # bottom side rails (webs)
    cv.rect("steel", 0, L, 0, 5, 10 * st)
    cv.rect("steel", 0, L, 155, 160, 10 * st)
    cv.rect("organic", 0, L, 158, FLOOR_TOP_MM, DENSITY_G_CM3["plywood"] * wcm)  # plywood floor
    # floor cross-members: 122 mm C-sections seen along their length. The beam would cross 2.35 m of
    # web; lightening holes, forklift pockets and the gooseneck tunnel leave ~12% of that on average.
    web = wcm * st * 0.12
    flange = 0.45 * web  # 45 mm flange seen edge-on, spread over the 45 mm it covers
    x = 250.0
    while x < L - 200:
        cv.rect("steel", x, x + 4.5, 36, 158, web)
        cv.rect("steel", x - 20, x + 25, 36, 41, flange)
        cv.rect("steel", x - 20, x + 25, 153, 158, flange)
        x += 300.0 + rng.uniform(-8, 8)
    # front end: corrugated end wall, corner posts and castings
    cv.rect("steel", L - 40, L, 0, H, 0.2 * wcm * st / 4.0)
    cv.rect("steel", L - 150, L, 0, H, 2.4 * st)
    cv.rect("steel", L - 150, L - 144, 0, H, 15 * st)
    # door end: door panels, frame posts, header and sill
    cv.rect("steel", 20, 50, 0, H, 0.2 * wcm * st / 3.0 * 0.8)
    cv.rect("steel", 0, 150, 0, H, 2.0 * st)
    cv.rect("steel", 144, 150, 0, H, 12 * st)
    cv.rect("steel", 0, 150, H - 200, H, 2.0 * st)
    cv.rect("steel", 0, 150, 0, 220, 3.0 * st)
    for xc in (0.0, L - 178):  # corner castings
        cv.rect("steel", xc, xc + 178, 0, 118, 16 * st)
        cv.rect("steel", xc, xc + 178, H - 118, H, 16 * st)
    if c.reefer:
        _reefer_unit(cv, c, rng)


def _reefer_unit(cv: _Canvas, c: ContainerContents, rng: Generator) -> None:
    L, H = c.length_mm, c.height_mm
    st = DENSITY_G_CM3["steel"]
    x0 = L - 420
    cv.rect("steel", x0, L, 0, H, 2 * 0.3 * st)  # frame and panels
    cv.rect("organic", x0 + 60, L - 40, 200, H - 200, 8 * 0.04 * 3)  # insulation
    cy = 550 + rng.uniform(-50, 50)  # compressor (heavy steel cylinder)
    cv.rect("steel", x0 + 120, x0 + 360, cy - 200, cy + 200, 12 * st)
    cv.rect("steel", x0 + 150, x0 + 330, cy - 150, cy + 150, 8 * st)
    cv.rect("mineral", x0 + 40, L - 60, 900, 1700, 60 * 0.35)  # condenser coil (Al/Cu fins)
    cv.rect("steel", x0 + 100, x0 + 380, 1800, 2000, 4 * st)  # fan motor
    cv.rect("steel", x0 + 50, x0 + 200, H - 700, H - 300, 1.5 * st)  # control box
    cv.rect("mineral", x0 + 80, L - 60, H - 450, H - 250, 40 * 0.3)  # evaporator
    cv.rect("steel", x0, x0 + 10, 0, H, 10 * st)  # bulkhead


# ----------------------------------------------------------------------------------------------------
# cargo: a list of units, each rendered as a textured patch; settling moves units as a whole


@dataclass
class _Unit:
    mat: str
    x0: float
    y1: float  # top edge
    patch: np.ndarray
    organic_cargo: bool = True
    settles_down: bool = True


def _cargo_span(c: ContainerContents) -> tuple[float, float]:
    """Usable floor between the doors and the front wall (or reefer bulkhead)."""
    front = c.length_mm - (440.0 if c.reefer else 160.0)
    return 160.0, front


def _pallet_boxes(
    cv: _Canvas, rng: Generator, w_mm: float, h_mm: float, areal: float, box_h: float, box_w: float
) -> np.ndarray:
    """Stack of cartons on a pallet (one pallet deep along the beam) with seams and texture."""
    h, w = cv.cells(h_mm), cv.cells(w_mm)
    p = np.full((h, w), areal, np.float32) * _smooth_noise(rng, (h, w), cv.cells(120), 0.06)
    base = cv.cells(150)
    p[h - base :, :] = 0.0
    wood = 0.55 * 100.0
    p[h - base : h - base + cv.cells(22), :] += wood
    p[h - cv.cells(22) :, :] += wood
    for xb in (0, w // 2 - cv.cells(50), w - cv.cells(100)):
        p[h - base : h - cv.cells(22), xb : xb + cv.cells(100)] += 0.55 * 30.0
    y = h - base - cv.cells(box_h)
    while y > 0:  # carton layer seams (lids overlap: denser line)
        p[y : y + 1, :] *= 1.35
        y -= cv.cells(box_h) + int(rng.integers(-1, 2))
    x = cv.cells(box_w)
    while x < w - 1:  # gaps between carton columns
        p[: h - base, x : x + 1] *= 0.8
        x += cv.cells(box_w)
    p[: h - base, :2] *= 0.6
    p[: h - base, -2:] *= 0.6
    return p


def _cargo_units(cv: _Canvas, c: ContainerContents) -> list[_Unit]:
    rng = _rng("cargo", c.layout_seed, c.commodity, c.size_ft, c.reefer)
    start, front = _cargo_span(c)
    fill = float(np.clip(c.fill_fraction, 0.0, 1.0))
    x_end = front - fill * (front - start)  # loaded from the front towards the doors
    y_floor = FLOOR_TOP_MM
    room = c.height_mm - 80 - y_floor
    units: list[_Unit] = []
    com = c.commodity
    if com in ("bananas", "tiles"):
        pal_h = min(room - 100, 2250.0) if com == "bananas" else rng.uniform(650, 950)
        layers = 2 if com == "bananas" else 1  # pallets across the width (tiles: weight limited)
        for layer in range(layers):
            x = front - rng.uniform(0, 60)
            while x - 1200 >= x_end - 1:
                if com == "bananas":
                    p = _pallet_boxes(cv, rng, 1200, pal_h, 100 * 0.33, 240, 400)
                    mat = "organic"
                else:
                    p = _pallet_boxes(cv, rng, 1150, pal_h, 100 * 1.4, 90, 575)
                    mat = "mineral"
                # pallets slide a little but do not sink (their base stands on the floor)
                units.append(_Unit(mat, x - 1200, y_floor + pal_h, p, com == "bananas", settles_down=False))
                x -= 1200 + rng.uniform(20, 60) + (layer * rng.uniform(0, 30))
    elif com in ("cocoa", "coffee"):
        bag_w, bag_h = (900.0, 300.0) if com == "cocoa" else (750.0, 260.0)
        rho = 0.5 if com == "cocoa" else 0.62
        stack_h = min(room - 150, 1900.0 if com == "cocoa" else 2000.0)
        for depth in range(4):  # four bags deep along the beam
            areal = rho * WIDTH_CM / 4 * 1.3
            y = y_floor
            row = 0
            while y + bag_h * 0.8 < y_floor + stack_h:
                x = front - (row % 2) * bag_w / 2 - depth * rng.uniform(0, bag_w / 3)
                while x - bag_w > x_end:
                    bw = bag_w * rng.uniform(0.92, 1.08)
                    bh = bag_h * rng.uniform(0.9, 1.1)
                    p = _blob(cv.cells(bh * 1.1), cv.cells(bw)) * areal
                    p *= _smooth_noise(rng, p.shape, cv.cells(100), 0.05)
                    units.append(_Unit("organic", x - bw, y + bh * 1.1, p))
                    x -= bw * rng.uniform(0.97, 1.02)
                y += bag_h * 0.92
                row += 1
    elif com == "furniture":
        x = front
        while x > x_end + 300:
            bw = rng.uniform(500, 2000)
            y = y_floor
            while y < y_floor + room - 300:
                bh = min(rng.uniform(300, 1200), y_floor + room - y)
                h, w = cv.cells(bh), cv.cells(bw)
                p = np.full((h, w), rng.uniform(6, 20), np.float32)
                p[:2, :] += 25
                p[-2:, :] += 25
                p[:, :2] += 12
                p[:, -2:] += 12
                for _ in range(int(rng.integers(0, 4))):  # panel edges inside
                    r = int(rng.integers(2, max(3, h - 2)))
                    p[r : r + 1, :] += 15
                units.append(_Unit("organic", x - bw, y + bh, p))
                if rng.random() < 0.3:  # steel frame/legs
                    q = np.zeros((h, w), np.float32)
                    q[:, : cv.cells(20)] += 2.0
                    q[:, -cv.cells(20) :] += 2.0
                    q[-cv.cells(20) :, :] += 2.0
                    units.append(_Unit("steel", x - bw, y + bh, q, organic_cargo=False))
                y += bh + 10
            x -= bw + rng.uniform(10, 80)
    elif com in ("machinery", "empty"):
        n = int(rng.integers(3, 7)) if com == "machinery" else int(rng.integers(0, 3))
        span = max(x_end, start)
        slots: list[float] = sorted(rng.uniform(span, front - 600, size=n)) if front - 600 > span else []
        for xs in slots:
            cw, chh = rng.uniform(600, 1800), rng.uniform(500, 1700)
            h, w = cv.cells(chh), cv.cells(cw)
            crate = np.full((h, w), 2.5, np.float32)
            crate[:3, :] += 45
            crate[-3:, :] += 45
            crate[:, :3] += 45
            crate[:, -3:] += 45
            units.append(_Unit("organic", xs, y_floor + chh, crate, settles_down=False))
            if com == "machinery":
                m = np.zeros((h, w), np.float32)
                for _ in range(int(rng.integers(2, 6))):
                    bh, bw = int(rng.integers(h // 5, h - 3)), int(rng.integers(w // 5, w - 3))
                    r0, c0 = int(rng.integers(2, h - bh)), int(rng.integers(2, w - bw))
                    if rng.random() < 0.5:
                        m[r0 : r0 + bh, c0 : c0 + bw] += rng.uniform(8, 45)
                    else:
                        m[r0 : r0 + bh, c0 : c0 + bw] += _blob(bh, bw) * rng.uniform(15, 70)
                units.append(_Unit("steel", xs, y_floor + chh, m, organic_cargo=False, settles_down=False))
            else:
                units.append(_Unit("organic", xs, y_floor + chh, crate * 4, settles_down=False))
    return units


# ----------------------------------------------------------------------------------------------------
# concealments, door hardware, chassis


def concealment_box_mm(c: ContainerContents, idx: int) -> tuple[float, float, float, float]:
    """Physical box (x0, y0, x1, y1) of concealment ``idx`` (deterministic from the layout seed)."""
    k = c.concealments[idx]
    rng = _rng("conceal", c.layout_seed, idx, k.kind)
    t_cm, pack = _CONCEAL_GEOM[k.kind]
    areal = DENSITY_G_CM3["drug"] * t_cm * pack
    area_mm2 = k.mass_kg * 1000.0 / areal * 100.0
    L, H = c.length_mm, c.height_mm
    start, front = _cargo_span(c)
    if k.kind == "floor":
        h = 100.0
        w = area_mm2 / h
    else:
        aspect = rng.uniform(0.8, 1.8)
        h = float(np.sqrt(area_mm2 / aspect))
        w = area_mm2 / h
    if k.position_m is not None:
        xc, yc = k.position_m[0] * 1000.0, FLOOR_TOP_MM + k.position_m[1] * 1000.0
    elif k.kind == "door":
        xc, yc = start + 30 + w / 2 + rng.uniform(0, 200), FLOOR_TOP_MM + h / 2
    elif k.kind == "cargo":
        fill_start = front - np.clip(c.fill_fraction, 0.1, 1.0) * (front - start)
        xc = rng.uniform(fill_start + w / 2, front - w / 2)
        yc = FLOOR_TOP_MM + rng.uniform(h / 2 + 50, max(h / 2 + 60, min(1900.0, H - 400) - h / 2))
    elif k.kind == "reefer":
        w, h = min(w, 300.0), area_mm2 / min(w, 300.0)
        xc, yc = L - 250 + rng.uniform(-30, 30), rng.uniform(900 + h / 2, H - 300 - h / 2)
    elif k.kind == "floor":
        xc, yc = rng.uniform(400 + w / 2, L - 400 - w / 2), 95.0
    else:  # wall
        xc = rng.uniform(400 + w / 2, L - 400 - w / 2)
        yc = rng.uniform(FLOOR_TOP_MM + h / 2 + 50, H - 150 - h / 2)
    return (xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2)


def _concealment(cv: _Canvas, c: ContainerContents, idx: int, dx: float, dy: float) -> tuple[float, ...]:
    k = c.concealments[idx]
    x0, y0, x1, y1 = concealment_box_mm(c, idx)
    x0, x1, y0, y1 = x0 + dx, x1 + dx, y0 + dy, y1 + dy
    t_cm, pack = _CONCEAL_GEOM[k.kind]
    areal = DENSITY_G_CM3["drug"] * t_cm * pack
    h, w = cv.cells(y1 - y0), cv.cells(x1 - x0)
    p = np.full((h, w), areal, np.float32)
    bw, bh = cv.cells(200), cv.cells(120)
    p[::bh, :] *= 0.8  # gaps between 1 kg bricks
    p[:, ::bw] *= 0.8
    p[:, :1] *= 0.6
    p[:1, :] *= 0.6
    # rescale so the integrated mass is exact after the texture (area per cell = g^2 mm2)
    p *= np.float32(k.mass_kg * 1000.0 / (p.sum() * (cv.g / 10.0) ** 2))
    cv.patch("organic", x0, y1, p)
    if k.kind == "door":  # holdall fabric and zips
        cv.rect("organic", x0 - 20, x1 + 20, y0, y1 + 20, 1.5)
        cv.rect("steel", x0, x1, y1 + 10, y1 + 15, 3.0)
    return (x0, y0, x1, y1)


def _door_hardware(cv: _Canvas, c: ContainerContents, door_seed: int) -> None:
    """Locking bars outside the doors; handles and the seal move between scans (benign)."""
    st = DENSITY_G_CM3["steel"]
    H = c.height_mm
    rng = _rng("door", c.layout_seed, door_seed)
    cv.rect("steel", -30, 0, 100, H - 100, 4 * 1.0 * st)
    for _ in range(4):
        yh = 1100 + rng.uniform(-60, 60)
        cv.rect("steel", -90, -30, yh, yh + 40, 3 * st)
        cv.rect("steel", -50, -30, 60 + rng.uniform(0, 20), 160, 6 * st)  # cams/keepers
        cv.rect("steel", -50, -30, H - 160, H - 60 - rng.uniform(0, 20), 6 * st)
    if rng.random() < 0.8:  # bolt seal
        ys = 1000 + rng.uniform(-80, 80)
        cv.rect("steel", -140, -90, ys, ys + 25, 2.5 * st)


def _chassis(cv: _Canvas, c: ContainerContents, seed: int) -> None:
    st = DENSITY_G_CM3["steel"]
    L = c.length_mm
    rng = _rng("chassis", seed)
    x0, x1 = -150.0, L + 150
    cv.rect("steel", x0, x1, -260, -20, 1.2 * st)  # two main beams (webs)
    cv.rect("steel", x0, x1, -32, -20, 30 * st)  # top flanges
    cv.rect("steel", x0, x1, -260, -248, 30 * st)
    x = x0 + 200
    while x < x1:  # chassis cross-members
        cv.rect("steel", x, x + 8, -240, -40, 0.8 * WIDTH_CM * st * 0.1)
        x += 600 + rng.uniform(-30, 30)
    axles = (900.0, 2210.0, 3520.0) if c.size_ft == 40 else (800.0, 2110.0)
    for xa in axles:  # tyres (rubber ring) and rims, only the tops are inside the field of view
        ya = -780.0
        for rr, mat, val in ((500.0, "organic", 4 * 30 * 1.15), (280.0, "steel", 4 * 1.0 * st)):
            cv.rect(mat, xa - rr * 0.8, xa + rr * 0.8, ya, ya + rr, val * 0.6)
    if c.size_ft == 40:  # landing legs
        cv.rect("steel", L - 2400, L - 2300, -700, -260, 2 * 1.0 * st)


def build_phantom(c: ContainerContents, state: ScanState | None = None, grid_mm: float = 5.0) -> Phantom:
    """Areal density maps (g/cm2 per material) of the container as it is at scan time."""
    state = state or ScanState()
    L, H = c.length_mm, c.height_mm
    x0, y_top = -X_PAD_MM, H + Y_ABOVE_MM
    nx = int(np.ceil((L + 2 * X_PAD_MM) / grid_mm))
    ny = int(np.ceil((H + Y_ABOVE_MM + Y_BELOW_MM) / grid_mm))
    cv = _Canvas(grid_mm, x0, y_top, nx, ny)
    _structure(cv, c, _rng("structure", c.layout_seed, c.size_ft, c.reefer))
    units = _cargo_units(cv, c)
    srng = _rng("settle", state.settle_seed) if state.settle_seed is not None else None
    for u in units:
        dx = dy = 0.0
        if srng is not None:
            dx = float(np.clip(srng.normal(0, state.settle_mm * 0.5), -state.settle_mm, state.settle_mm))
            sink = srng.uniform(0, state.settle_mm)
            dy = -sink if u.settles_down and u.y1 - u.patch.shape[0] * grid_mm > FLOOR_TOP_MM + 50 else 0.0
        scale = state.moisture if u.organic_cargo and u.mat == "organic" else 1.0
        cv.patch(u.mat, u.x0 + dx, u.y1 + dy, u.patch * np.float32(scale))
    boxes: list[tuple[float, float, float, float]] = []
    present = state.present or tuple(True for _ in c.concealments)
    for i, _k in enumerate(c.concealments):
        dx = dy = 0.0
        if srng is not None and c.concealments[i].kind in ("door", "cargo"):
            dx = float(srng.normal(0, state.settle_mm * 0.3))
        if present[i]:
            boxes.append(tuple(_concealment(cv, c, i, dx, dy)))  # type: ignore[arg-type]
        else:
            boxes.append(concealment_box_mm(c, i))
    _door_hardware(cv, c, state.door_seed)
    if state.chassis:
        _chassis(cv, c, c.layout_seed)
    return Phantom(grid_mm, x0, y_top, cv.ch, L, H, boxes)
