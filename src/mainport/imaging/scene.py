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

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.random import Generator

from mainport.imaging.canvas import (
    FLOOR_TOP_MM,
    HEIGHT_MM,
    LENGTH_MM,
    WIDTH_CM,
    X_PAD_MM,
    Y_ABOVE_MM,
    Y_BELOW_MM,
    Canvas,
    rng_for,
)
from mainport.imaging.cargo import cargo_span, cargo_units
from mainport.imaging.physics import DENSITY_G_CM3

Commodity = Literal["bananas", "cocoa", "coffee", "tiles", "machinery", "furniture", "empty"]
COMMODITIES: tuple[str, ...] = ("bananas", "cocoa", "coffee", "tiles", "machinery", "furniture", "empty")
ConcealmentKind = Literal["door", "cargo", "reefer", "floor", "wall"]
CONCEALMENT_KINDS: tuple[str, ...] = ("door", "cargo", "reefer", "floor", "wall")


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


# ----------------------------------------------------------------------------------------------------
# container structure


def _structure(cv: Canvas, c: ContainerContents, rng: Generator) -> None:
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


def _reefer_unit(cv: Canvas, c: ContainerContents, rng: Generator) -> None:
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
# concealments, door hardware, chassis


def concealment_box_mm(c: ContainerContents, idx: int) -> tuple[float, float, float, float]:
    """Physical box (x0, y0, x1, y1) of concealment ``idx`` (deterministic from the layout seed)."""
    k = c.concealments[idx]
    rng = rng_for("conceal", c.layout_seed, idx, k.kind)
    t_cm, pack = _CONCEAL_GEOM[k.kind]
    areal = DENSITY_G_CM3["drug"] * t_cm * pack
    area_mm2 = k.mass_kg * 1000.0 / areal * 100.0
    L, H = c.length_mm, c.height_mm
    start, front = cargo_span(c)
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


def _concealment(cv: Canvas, c: ContainerContents, idx: int, dx: float, dy: float) -> tuple[float, ...]:
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


def _door_hardware(cv: Canvas, c: ContainerContents, door_seed: int) -> None:
    """Locking bars outside the doors; handles and the seal move between scans (benign)."""
    st = DENSITY_G_CM3["steel"]
    H = c.height_mm
    rng = rng_for("door", c.layout_seed, door_seed)
    cv.rect("steel", -30, 0, 100, H - 100, 4 * 1.0 * st)
    for _ in range(4):
        yh = 1100 + rng.uniform(-60, 60)
        cv.rect("steel", -90, -30, yh, yh + 40, 3 * st)
        cv.rect("steel", -50, -30, 60 + rng.uniform(0, 20), 160, 6 * st)  # cams/keepers
        cv.rect("steel", -50, -30, H - 160, H - 60 - rng.uniform(0, 20), 6 * st)
    if rng.random() < 0.8:  # bolt seal
        ys = 1000 + rng.uniform(-80, 80)
        cv.rect("steel", -140, -90, ys, ys + 25, 2.5 * st)


def _chassis(cv: Canvas, c: ContainerContents, seed: int) -> None:
    st = DENSITY_G_CM3["steel"]
    L = c.length_mm
    rng = rng_for("chassis", seed)
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
    cv = Canvas(grid_mm, x0, y_top, nx, ny)
    _structure(cv, c, rng_for("structure", c.layout_seed, c.size_ft, c.reefer))
    units = cargo_units(cv, c)
    srng = rng_for("settle", state.settle_seed) if state.settle_seed is not None else None
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
