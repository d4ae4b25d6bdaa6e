"""Cargo for the second simulator: loads built from packages, and how they move between two scans.

A load is a list of :class:`Unit` (a pallet, a column of bags, a crate, a bulk liner) made of layers
(bottom to top). Between the origin scan and the arrival scan a unit slides along the container, leans
(upper layers shift more), settles (layers compress, bags slump) and tilts a little; the whole load may
slide towards one end, and a top package may fall off. Texture lives in each package's own coordinates,
so it moves with the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mainport.imaging.sim2.container import ContainerBuild
from mainport.imaging.sim2.solids import Solid, Texture, box

# name -> (declared commodity group as customs would file it, reefer, relative frequency)
COMMODITIES: dict[str, tuple[str, bool, float]] = {
    "bananas": ("fresh_fruit", True, 0.24),
    "pineapples": ("fresh_fruit", True, 0.06),
    "frozen_fish": ("frozen_food", True, 0.07),
    "coffee_bags": ("coffee", False, 0.10),
    "coffee_bulk": ("coffee", False, 0.04),
    "cocoa_bags": ("cocoa", False, 0.08),
    "tiles": ("tiles", False, 0.06),
    "machinery": ("machinery", False, 0.10),
    "furniture": ("furniture", False, 0.10),
    "resin": ("plastics", False, 0.06),
    "empty": ("empty", False, 0.09),
}


@dataclass
class Layer:
    solids: list[Solid]
    y0: float  # bottom of the layer above the floor top (container frame y)
    height: float


@dataclass
class Unit:
    kind: str
    x0: float
    x1: float
    z0: float
    z1: float
    base: list[Solid] = field(default_factory=list)  # pallet base: slides, never settles
    layers: list[Layer] = field(default_factory=list)
    mass_kg: float = 0.0
    packages: int = 0
    material: str = "fruit"
    density: float = 0.0  # bulk density of the packed goods (what a cut-out displaces)
    settles: float = 0.01  # typical relative compression over a voyage

    @property
    def top(self) -> float:
        return max((ly.y0 + ly.height for ly in self.layers), default=0.0)


@dataclass
class Load:
    commodity: str
    group: str
    units: list[Unit]
    loose: list[Solid] = field(default_factory=list)  # dunnage, airbags: fixed
    packages: int = 0
    mass_kg: float = 0.0
    x_bounds: tuple[float, float] = (0.0, 1e9)  # cargo space along the length
    floor_y: float = 0.0


def _vol_cm3(s: Solid) -> float:
    v = (s.x1 - s.x0) * (s.y1 - s.y0) * (s.z1 - s.z0) / 1000.0
    if s.shape != "box":
        v *= np.pi / 4 * (1 - s.inner**2)
    return v


def _mass(solids: list[Solid]) -> float:
    return sum(_vol_cm3(s) * s.density for s in solids) / 1000.0


def _pallet_base(
    x0: float, x1: float, z0: float, z1: float, y: float, rng: np.random.Generator
) -> list[Solid]:
    out = [
        box(
            x0,
            x1,
            y,
            y + 22,
            z0,
            z1,
            "wood",
            0.55,
            texture=Texture(int(rng.integers(1 << 30)), 0.1, 80.0, 105.0, 0.0, 0.6),
            group="cargo",
        )
    ]
    for zz in (z0, 0.5 * (z0 + z1) - 50, z1 - 100):  # stringers/blocks
        out.append(box(x0, x1, y + 22, y + 122, zz, zz + 100, "wood", 0.5, group="cargo"))
    out.append(
        box(
            x0,
            x1,
            y + 122,
            y + 144,
            z0,
            z1,
            "wood",
            0.5,
            texture=Texture(int(rng.integers(1 << 30)), 0.1, 80.0, 140.0, 0.0, 0.5),
            group="cargo",
        )
    )
    return out


def _carton_layers(
    unit: Unit,
    y_start: float,
    n: int,
    h: float,
    mat: str,
    rho: float,
    tex_amp: float,
    cell: float,
    carton_u: float,
    rng: np.random.Generator,
    lid_rho: float = 0.25,
    ceiling: float = 1e9,
) -> None:
    y = y_start
    n = max(1, min(n, int((ceiling - 120 - y_start) // h)))
    for _ in range(n):
        sol = [
            box(
                unit.x0,
                unit.x1,
                y,
                y + h - 6,
                unit.z0,
                unit.z1,
                mat,
                rho,
                texture=Texture(int(rng.integers(1 << 30)), tex_amp, cell, carton_u, 0.0, 0.35),
                group="cargo",
            ),
            box(unit.x0, unit.x1, y + h - 6, y + h, unit.z0, unit.z1, "dry_organic", lid_rho, group="cargo"),
        ]
        unit.layers.append(Layer(sol, y, h))
        y += h


def build_load(commodity: str, b: ContainerBuild, seed: int, front_reserve_mm: float = 0.0) -> Load:
    """The packages in the box as loaded (deterministic for ``seed``). ``front_reserve_mm``: space at the
    front taken by a false wall (the cargo starts behind it)."""
    rng = np.random.default_rng([seed, 53])
    group = COMMODITIES[commodity][0]
    x_in0, x_in1, zh, floor = b.inner
    x_in0 += front_reserve_mm
    ceiling = b.ceiling
    units: list[Unit] = []
    loose: list[Solid] = []
    fill = float(rng.uniform(0.7, 1.0))
    x_end = x_in0 + fill * (x_in1 - x_in0)
    if commodity in ("bananas", "pineapples", "resin", "tiles"):
        dx = {"tiles": 1100.0, "resin": 1200.0}.get(commodity, 1200.0)
        dz = {"tiles": 1100.0, "resin": 1100.0}.get(commodity, 1000.0)
        x = x_in0 + rng.uniform(0, 40)
        row = 0
        while x + dx <= x_end + 1:
            across: tuple[int, ...] = (-1, 1)
            if commodity == "tiles":
                across = (0,) if row % 2 == 0 else (-1, 1)
            for side in across:
                zc = side * (zh - dz / 2 - rng.uniform(5, 40)) if side else rng.uniform(-60, 60)
                u = Unit("pallet", x + rng.uniform(-15, 15), x + dx - 20, zc - dz / 2, zc + dz / 2)
                u.base = _pallet_base(u.x0, u.x1, u.z0, u.z1, floor, rng)
                if commodity == "bananas":
                    n, h = int(rng.integers(8, 11)), 240.0
                    _carton_layers(
                        u, floor + 144, n, h, "fruit", 0.34, 0.28, 45.0, 400.0, rng, ceiling=ceiling
                    )
                    u.material, u.density, u.settles, u.packages = "fruit", 0.34, 0.015, len(u.layers) * 5
                elif commodity == "pineapples":
                    n, h = int(rng.integers(6, 9)), 290.0
                    _carton_layers(
                        u, floor + 144, n, h, "fruit", 0.42, 0.35, 110.0, 300.0, rng, ceiling=ceiling
                    )
                    u.material, u.density, u.settles, u.packages = "fruit", 0.42, 0.01, len(u.layers) * 6
                elif commodity == "resin":
                    n, h = int(rng.integers(9, 12)), 125.0
                    _carton_layers(
                        u,
                        floor + 144,
                        n,
                        h,
                        "plastic",
                        0.56,
                        0.12,
                        70.0,
                        600.0,
                        rng,
                        lid_rho=0.0,
                        ceiling=ceiling,
                    )
                    u.material, u.density, u.settles, u.packages = "plastic", 0.56, 0.02, len(u.layers) * 5
                else:  # tiles: boxed ceramic, weight-limited height
                    n, h = int(rng.integers(3, 6)), 160.0
                    _carton_layers(
                        u, floor + 144, n, h, "ceramic", 1.65, 0.04, 200.0, 330.0, rng, lid_rho=0.3
                    )
                    u.material, u.density, u.settles, u.packages = "ceramic", 1.65, 0.002, n * 4
                units.append(u)
            x += dx
            row += 1
    elif commodity in ("coffee_bags", "cocoa_bags"):
        bag_x, bag_h, rho = (850.0, 215.0, 0.68) if commodity == "coffee_bags" else (780.0, 235.0, 0.62)
        x = x_in0 + rng.uniform(0, 30)
        top_layers = int((ceiling - floor - 250) // bag_h)
        while x + bag_x <= x_end + 1:
            u = Unit("bags", x, x + bag_x - 5, -zh + rng.uniform(0, 30), zh - rng.uniform(0, 30))
            n = int(np.clip(top_layers - rng.integers(0, 3), 3, top_layers))
            y = floor
            for _ in range(n):
                # bags across the width: pillow shape (thin at the seams) and jute texture
                sol: list[Solid] = [
                    box(
                        u.x0 + rng.uniform(-25, 25),
                        u.x1 + rng.uniform(-25, 25),
                        y,
                        y + bag_h,
                        u.z0,
                        u.z1,
                        "dry_organic",
                        rho,
                        texture=Texture(int(rng.integers(1 << 30)), 0.12, 60.0, bag_x / 2, bag_h, 0.45),
                        group="cargo",
                    )
                ]
                u.layers.append(Layer(sol, y, bag_h))
                y += bag_h
            u.material, u.density, u.settles, u.packages = "dry_organic", rho, 0.03, n * 4
            units.append(u)
            x += bag_x
    elif commodity == "coffee_bulk":
        top = floor + rng.uniform(0.7, 0.85) * (ceiling - floor)
        u = Unit("bulk", x_in0, x_in1 - 500, -zh, zh)
        u.layers.append(
            Layer(
                [
                    box(
                        u.x0,
                        u.x1,
                        floor,
                        top,
                        -zh,
                        zh,
                        "dry_organic",
                        0.66,
                        texture=Texture(int(rng.integers(1 << 30)), 0.03, 25.0),
                        group="cargo",
                    )
                ],
                floor,
                top - floor,
            )
        )
        slope_x = u.x1 + 250  # the liner's bulkhead end: beans at their angle of repose
        u.layers.append(
            Layer(
                [
                    box(
                        u.x1,
                        slope_x,
                        floor,
                        floor + 0.6 * (top - floor),
                        -zh,
                        zh,
                        "dry_organic",
                        0.66,
                        tilt=-0.9,
                        texture=Texture(int(rng.integers(1 << 30)), 0.03, 25.0),
                        group="cargo",
                    )
                ],
                floor,
                0.6 * (top - floor),
            )
        )
        u.layers.append(
            Layer(
                [box(x_in0, x_in1 - 300, floor, top + 5, -zh, zh, "plastic", 0.0004, group="cargo")],
                floor,
                0.0,
            )
        )  # the liner film
        u.material, u.density, u.settles, u.packages = "dry_organic", 0.66, 0.008, 1
        units.append(u)
        loose.append(
            box(x_in1 - 480, x_in1 - 440, floor, top, -zh, zh, "wood", 0.45, group="cargo")
        )  # bulkhead
    elif commodity == "frozen_fish":
        cx, ch = 600.0, 150.0
        x = x_in0 + rng.uniform(0, 30)
        while x + cx <= x_end + 1:
            for zc in (-zh / 2, zh / 2):
                u = Unit("cartons", x, x + cx - 4, zc - zh / 2 + 3, zc + zh / 2 - 3)
                n = int(rng.integers(10, int((ceiling - floor - 250) // ch) + 1))
                _carton_layers(
                    u, floor, n, ch, "water", 0.78, 0.06, 80.0, 300.0, rng, lid_rho=0.2, ceiling=ceiling
                )
                u.material, u.density, u.settles, u.packages = "water", 0.78, 0.003, len(u.layers) * 2
                units.append(u)
            x += cx
    elif commodity == "machinery":
        x = x_in0 + rng.uniform(0, 200)
        while x < x_end - 600:
            ln = float(rng.uniform(900, 2600))
            ht = float(rng.uniform(700, min(2100.0, ceiling - floor - 100)))
            wd = float(rng.uniform(1000, 2200))
            zc = rng.uniform(-(zh - wd / 2), zh - wd / 2)
            u = Unit("crate", x, x + ln, zc - wd / 2, zc + wd / 2)
            sol = []
            for xa, xb, ya, yb, za, zb in (
                (u.x0, u.x1, floor, floor + 100, u.z0, u.z1),  # skid base
                (u.x0, u.x0 + 22, floor, floor + ht, u.z0, u.z1),
                (u.x1 - 22, u.x1, floor, floor + ht, u.z0, u.z1),
                (u.x0, u.x1, floor + ht - 22, floor + ht, u.z0, u.z1),
            ):
                sol.append(box(xa, xb, ya, yb, za, zb, "wood", 0.55, group="cargo"))
            sol.append(box(u.x0, u.x1, floor, floor + ht, u.z0, u.z0 + 22, "wood", 0.55, group="cargo"))
            sol.append(box(u.x0, u.x1, floor, floor + ht, u.z1 - 22, u.z1, "wood", 0.55, group="cargo"))
            for _ in range(int(rng.integers(2, 7))):  # steel parts inside
                px0 = rng.uniform(u.x0 + 40, u.x1 - 300)
                px1 = min(px0 + rng.uniform(150, 900), u.x1 - 30)
                py0 = rng.uniform(floor + 100, floor + 0.6 * ht)
                py1 = min(py0 + rng.uniform(100, 700), floor + ht - 40)
                pz = rng.uniform(u.z0 + 100, u.z1 - 100)
                hw = rng.uniform(60, 500)
                shape = str(rng.choice(["box", "box", "xcyl", "zcyl", "ycyl"]))
                rho = float(rng.choice([7.85, 7.85 * rng.uniform(0.15, 0.6), 2.7]))
                mat = "aluminium" if rho == 2.7 else "mild_steel"
                inner = float(rng.uniform(0.5, 0.9)) if shape != "box" and rng.random() < 0.5 else 0.0
                if shape == "zcyl":
                    d = min(px1 - px0, py1 - py0)
                    px1, py1 = px0 + d, py0 + d
                elif shape == "ycyl":
                    d = min(px1 - px0, 2 * hw)
                    px1, hw = px0 + d, d / 2
                elif shape == "xcyl":
                    d = min(py1 - py0, 2 * hw)
                    py1, hw = py0 + d, d / 2
                sol.append(
                    Solid(shape, px0, px1, py0, py1, pz - hw, pz + hw, mat, rho, inner=inner, group="cargo")
                )
            u.layers.append(Layer(sol, floor, ht))
            u.material, u.density, u.settles, u.packages = "wood", 0.1, 0.0, 1
            units.append(u)
            x += ln + rng.uniform(50, 600)
    elif commodity == "furniture":
        x = x_in0 + rng.uniform(0, 50)
        while x < x_end - 400:
            ln = float(rng.uniform(400, 1400))
            u = Unit("cartons", x, x + ln, -zh + rng.uniform(0, 200), zh - rng.uniform(0, 200))
            y = floor
            while y < ceiling - 500:
                h = float(rng.uniform(150, 900))
                sol = [box(u.x0, u.x1, y, y + h, u.z0, u.z1, "dry_organic", 0.05, group="cargo")]
                for _ in range(int(rng.integers(1, 5))):  # panels, frames inside the cartons
                    if rng.random() < 0.6:
                        t = rng.uniform(15, 40)
                        yy = rng.uniform(y, y + h - t)
                        sol.append(
                            box(
                                u.x0 + 20,
                                u.x1 - 20,
                                yy,
                                yy + t,
                                u.z0 + 50,
                                u.z1 - 50,
                                "wood",
                                0.65,
                                group="cargo",
                            )
                        )
                    else:
                        xx = rng.uniform(u.x0 + 20, u.x1 - 60)
                        sol.append(
                            box(
                                xx,
                                xx + 25,
                                y + 20,
                                y + h - 20,
                                u.z0 + 100,
                                u.z1 - 100,
                                "mild_steel",
                                7.85 * 0.06,
                                group="cargo",
                            )
                        )
                u.layers.append(Layer(sol, y, h))
                y += h + rng.uniform(0, 15)
            u.material, u.density, u.settles, u.packages = "dry_organic", 0.12, 0.01, len(u.layers)
            units.append(u)
            x += ln + rng.uniform(0, 40)
    else:  # empty: a few bits of dunnage left behind
        for _ in range(int(rng.integers(0, 4))):
            x0 = rng.uniform(x_in0, x_in1 - 1300)
            loose.append(box(x0, x0 + 1200, floor, floor + 144, -500, 500, "wood", 0.18, group="cargo"))
    # airbags / dunnage between some units (low density)
    for _ in range(int(rng.integers(0, 3))) if units else ():
        xa = rng.uniform(x_in0 + 500, x_end)
        loose.append(
            box(xa, xa + 60, floor + 200, floor + 1800, -zh + 100, zh - 100, "plastic", 0.01, group="cargo")
        )
    load = Load(commodity, group, units, loose, x_bounds=(x_in0, x_in1), floor_y=floor)
    for u in units:
        u.mass_kg = _mass(u.base + [s for ly in u.layers for s in ly.solids])
    load.packages = sum(u.packages for u in units)
    load.mass_kg = sum(u.mass_kg for u in units) + _mass(loose)
    return load


@dataclass(frozen=True)
class Motion:
    """How the load sits during one scan. ``scale`` = 0 is 'as loaded'; ~1 is after a voyage."""

    seed: int
    scale: float = 1.0
    slide_all_mm: float = 0.0  # the whole load slid towards the front (+) or the doors (-)
    fall: bool = False  # one top package fell onto the next unit / the floor


def random_motion(rng: np.random.Generator, voyage: bool) -> Motion:
    if not voyage:
        return Motion(int(rng.integers(1 << 30)), scale=0.15)
    slide = float(rng.normal(0, 40)) if rng.random() < 0.5 else 0.0
    return Motion(
        int(rng.integers(1 << 30)),
        scale=float(rng.uniform(0.5, 1.5)),
        slide_all_mm=slide,
        fall=bool(rng.random() < 0.12),
    )


def layer_offsets(load: Load, motion: Motion) -> list[list[tuple[float, float, float]]]:
    """Per unit, per layer: (dx, dy, tilt) of that layer in this scan."""
    rng = np.random.default_rng([motion.seed, 59])
    out: list[list[tuple[float, float, float]]] = []
    s = motion.scale
    for u in load.units:
        slide = motion.slide_all_mm + rng.normal(0, 12 * s)
        lean = rng.normal(0, 0.008 * s) if u.kind in ("pallet", "cartons", "bags") else 0.0  # rad
        squash = abs(rng.normal(u.settles, u.settles / 2)) * s
        offs = []
        drop = 0.0
        for ly in u.layers:
            rise = ly.y0 + ly.height / 2 - (u.layers[0].y0 if u.layers else 0.0)
            dx = slide + lean * rise + (rng.normal(0, 8 * s) if u.kind == "bags" else 0.0)
            offs.append((float(dx), float(-drop - squash * ly.height / 2), float(rng.normal(0, 0.004 * s))))
            drop += squash * ly.height
        out.append(offs)
    return out


def placed_solids(load: Load, motion: Motion) -> tuple[list[Solid], list[list[tuple[float, float, float]]]]:
    """The load's solids for one scan (moved), plus the offsets used (concealments inside units follow)."""
    offs = layer_offsets(load, motion)
    out = list(load.loose)
    rng = np.random.default_rng([motion.seed, 61])
    fall_unit = int(rng.integers(len(load.units))) if (motion.fall and load.units) else -1
    for ui, (u, uo) in enumerate(zip(load.units, offs, strict=True)):
        base_dx = uo[0][0] if uo else 0.0
        out += [s.moved(dx=base_dx) for s in u.base]
        for li, (ly, (dx, dy, tilt)) in enumerate(zip(u.layers, uo, strict=True)):
            extra = drop = 0.0
            if ui == fall_unit and li == len(u.layers) - 1 and li > 0:
                extra = float(rng.choice([-1, 1]) * rng.uniform(300, 700))  # slid off its stack ...
                lo, hi = load.x_bounds
                extra = float(np.clip(extra, lo - (u.x0 + dx), hi - (u.x1 + dx)))
                nx0, nx1 = u.x0 + dx + extra, u.x1 + dx + extra
                support = load.floor_y  # ... and came down on whatever is below its new place
                for v in load.units:
                    if v is not u and v.x0 < nx1 and v.x1 > nx0 and v.z0 < u.z1 and v.z1 > u.z0:
                        support = max(support, v.top)
                if nx0 < u.x1 and nx1 > u.x0:
                    support = max(support, ly.y0)  # still half on its own stack
                drop = support - (ly.y0 + dy)
                if drop > 0:  # blocked by a taller neighbour: it stays
                    extra = drop = 0.0
            for s in ly.solids:
                m = s.moved(dx=dx + extra, dy=dy + drop)
                if tilt and m.shape == "box" and m.texture is not None:
                    m = Solid(
                        m.shape,
                        m.x0,
                        m.x1,
                        m.y0,
                        m.y1,
                        m.z0,
                        m.z1,
                        m.material,
                        m.density,
                        m.inner,
                        tilt,
                        m.texture,
                        m.group,
                        m.u_flip,
                    )
                out.append(m)
    return out, offs
