"""Concealments for the second simulator: 1 kg bricks of cocaine hydrochloride in six hiding places.

``door`` (holdalls just inside the doors), ``wall`` (behind a false panel against a side wall, in a reefer's
wall foam, or in a false front wall), ``floor`` (between floor cross-members, or in a reefer's floor
insulation), ``roof`` (a layer under the roof), ``reefer`` (in the refrigeration machinery) and ``cargo``
(replacing part of a package, or on top of the load among the packages). Positions are in the container
frame; a concealment inside a package rides with that package's layer when the load moves.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from mainport.imaging.sim2.cargo import Load
from mainport.imaging.sim2.container import ContainerBuild, crossmember_positions, tunnel_length
from mainport.imaging.sim2.solids import Solid, Texture, box

PLACES: tuple[str, ...] = ("door", "wall", "floor", "cargo", "reefer", "roof")
BRICK_DENSITY = 1.22  # pressed powder in tape and film, as packed (g/cm3)


@dataclass
class Concealment:
    place: str
    mass_kg: float
    solids: list[Solid]
    displaced: list[Solid] = field(default_factory=list)  # what it replaces (negative density)
    unit: int | None = None  # rides with this cargo unit's layer
    layer: int | None = None
    variant: str = ""

    def all_solids(self) -> list[Solid]:
        return self.solids + self.displaced


def _bricks(
    x0: float,
    y0: float,
    z0: float,
    dx: float,
    dy: float,
    dz: float,
    mass: float,
    seed: int,
    rho: float = BRICK_DENSITY,
) -> Solid:
    vol = dx * dy * dz / 1000.0  # cm3
    # brick seams lower the mean by ~3.5%: scale so that the integrated mass is the nominal one
    density = mass * 1000.0 / vol / 0.965
    tex = Texture(seed, 0.04, 40.0, 200.0, 110.0, 0.25)
    return box(
        x0,
        x0 + dx,
        y0,
        y0 + dy,
        z0,
        z0 + dz,
        "cocaine_hcl",
        min(density, rho * 1.1),
        texture=tex,
        group="conceal",
    )


def _dims(vol_mm3: float, fixed: dict[str, float], limits: dict[str, float]) -> dict[str, float]:
    """Block dimensions for a volume with some sides fixed and others capped."""
    free = [k for k in ("x", "y", "z") if k not in fixed]
    known = float(np.prod([fixed[k] for k in fixed])) if fixed else 1.0
    rest = vol_mm3 / known
    out = dict(fixed)
    if len(free) == 1:
        out[free[0]] = rest
    elif len(free) == 2:
        a, b = free
        side = np.sqrt(rest)
        out[a] = min(side, limits.get(a, 1e9))
        out[b] = rest / out[a]
        if out[b] > limits.get(b, 1e9):
            out[b] = limits[b]
            out[a] = rest / out[b]
    else:
        side = rest ** (1 / 3)
        out = {"x": side, "y": side, "z": side}
    return out


def make(
    place: str, mass: float, b: ContainerBuild, load: Load, rng: np.random.Generator, variant: str = ""
) -> Concealment:
    """A concealment of ``mass`` kg at ``place`` that fits this container and load."""
    seed = int(rng.integers(1 << 30))
    vol = mass * 1000.0 / BRICK_DENSITY * 1000.0  # mm3
    x_in0, x_in1, zh, floor = b.inner
    _L, H = b.length, b.height
    ceiling = b.ceiling
    if place == "door":
        n_bags = int(np.ceil(mass / 25.0))
        last = max(load.units, key=lambda u: u.x1) if load.units else None
        gap = x_in1 - (last.x1 if last else x_in0)
        solids: list[Solid] = []
        per = mass / n_bags
        zs = np.linspace(-zh + 400, zh - 400, n_bags) if n_bags > 1 else np.array([rng.uniform(-600, 600)])
        for i, zc in enumerate(zs):
            bz = rng.uniform(550, 750)
            bx = rng.uniform(280, 380)
            by = per * 1000 / 0.72 * 1000 / (bz * bx)  # holdall of bricks, ~0.72 g/cm3 as packed
            x0 = x_in1 - 30 - bx - rng.uniform(0, 120)
            if gap > bx + 60 or last is None:
                y0 = floor
            elif last.top + by < ceiling - 20:
                y0 = last.top + 2
            else:
                y0 = floor  # squeezed in front of the last stack (the load ends short of the doors)
                x0 = min(x0, (last.x1 if last else x_in1) + 2)
            solids.append(
                box(
                    x0,
                    x0 + bx,
                    y0,
                    y0 + by,
                    zc - bz / 2,
                    zc + bz / 2,
                    "cocaine_hcl",
                    0.72 / 0.965,
                    texture=Texture(seed + i, 0.06, 50.0, 200.0, 110.0, 0.25),
                    group="conceal",
                )
            )
            solids.append(
                box(
                    x0 - 3,
                    x0 + bx + 3,
                    y0,
                    y0 + by + 3,
                    zc - bz / 2 - 3,
                    zc + bz / 2 + 3,
                    "plastic",
                    0.03,
                    group="conceal",
                )
            )
        return Concealment("door", mass, solids, variant="holdall")
    if place == "wall":
        if variant == "front":
            d = load.x_bounds[0] - 46 - 14  # the space the false wall (12 mm plywood) leaves
            h = vol / (d * 2 * zh)
            y0 = floor + rng.uniform(0, max(ceiling - floor - h - 50, 1))
            return Concealment(
                "wall", mass, [_bricks(46, y0, -zh, d, h, 2 * zh, mass, seed)], variant="front"
            )
        t = rng.uniform(40, 70) if not b.reefer else rng.uniform(45, 70)
        hgt = rng.uniform(400, min(1800.0, ceiling - floor - 300))
        length = vol / (t * hgt)
        if length > 3000:
            length = 3000.0
            t = vol / (length * hgt)
        side = float(rng.choice([-1, 1]))
        z_out = side * (1219.0 - (1.2 if b.reefer else 4.0))
        z0 = z_out if side < 0 else z_out - t
        x0 = rng.uniform(x_in0 + 200, max(x_in0 + 201, x_in1 - 200 - length))
        y0 = rng.uniform(floor + 100, max(floor + 101, ceiling - hgt - 80))
        s = _bricks(x0, y0, z0, length, hgt, t, mass, seed)
        disp = []
        if b.reefer:  # replaces wall foam
            disp.append(box(x0, x0 + length, y0, y0 + hgt, z0, z0 + t, "plastic", -0.045, group="conceal"))
        else:  # a thin plywood false panel in front of it
            zp = z0 - 6 if side > 0 else z0 + t
            disp.append(
                box(
                    x0 - 20,
                    x0 + length + 20,
                    y0 - 20,
                    y0 + hgt + 20,
                    zp,
                    zp + 6,
                    "wood",
                    0.6,
                    group="conceal",
                )
            )
        return Concealment("wall", mass, [s], disp, variant="side")
    if place == "floor":
        if b.reefer:  # in the floor insulation under the aluminium T-floor
            t = 58.0
            dims = _dims(vol, {"y": t}, {"x": 1500.0, "z": 2000.0})
            x0 = rng.uniform(x_in0 + 300, x_in1 - 300 - dims["x"])
            z0 = rng.uniform(-zh, zh - dims["z"])
            s = _bricks(x0, 134, z0, dims["x"], t, dims["z"], mass, seed)
            return Concealment(
                "floor",
                mass,
                [s],
                [
                    box(
                        x0,
                        x0 + dims["x"],
                        134,
                        134 + t,
                        z0,
                        z0 + dims["z"],
                        "plastic",
                        -0.05,
                        group="conceal",
                    )
                ],
                variant="insulation",
            )
        xs = crossmember_positions(b)
        tun = tunnel_length(b)
        bays = [(a + 50.0, c - 5.0) for a, c in itertools.pairwise(xs) if a > tun + 100]
        k = int(rng.integers(0, max(len(bays) - 2, 1)))
        dy = 105.0
        solids = []
        left = vol
        for xa, xb in bays[k : k + 3]:
            dx = xb - xa
            dz = min(left / (dx * dy), 2 * zh - 40)
            z0 = rng.uniform(-zh + 20, zh - 20 - dz)
            part = mass * (dx * dy * dz) / vol
            solids.append(_bricks(xa, 52, z0, dx, dy, dz, part, seed + len(solids)))
            left -= dx * dy * dz
            if left <= 1:
                break
        # the floor boards over the cavity were cut and refitted: a saw line either side
        return Concealment("floor", mass, solids, variant="crossmember")
    if place == "roof":
        t = rng.uniform(30, 50) if not b.reefer else rng.uniform(40, 90)
        y1 = ceiling if not b.reefer else H - 15
        zw = rng.uniform(600, 2 * zh - 100)
        dx = vol / (t * zw)
        if dx > 3000:
            dx = 3000.0
            zw = min(vol / (t * dx), 2 * zh - 50)
            t = vol / (dx * zw)
        x0 = rng.uniform(x_in0 + 200, max(x_in0 + 201, x_in1 - 200 - dx))
        z0 = rng.uniform(-zh + 20, zh - 20 - zw)
        s = _bricks(x0, y1 - t, z0, dx, t, zw, mass, seed)
        disp = (
            [box(x0, x0 + dx, y1 - t, y1, z0, z0 + zw, "plastic", -0.045, group="conceal")]
            if b.reefer
            else []
        )
        return Concealment("roof", mass, [s], disp, variant="lining")
    if place == "reefer":
        zone = str(rng.choice(["bottom", "evaporator"] + (["controlbox"] if mass <= 12 else [])))
        if zone == "bottom":
            dims = _dims(vol, {}, {"x": 260.0, "y": 600.0, "z": 900.0})
            dims = _dims(vol, {"x": min(260.0, dims["x"])}, {"y": 600.0, "z": 1000.0})
            zc = rng.uniform(300, 950) * rng.choice([-1, 1])
            s = _bricks(135, 210, zc - dims["z"] / 2, dims["x"], dims["y"], dims["z"], mass, seed)
        elif zone == "evaporator":
            dims = _dims(vol, {"x": 140.0}, {"y": 380.0, "z": 1900.0})
            zc = rng.uniform(-900 + dims["z"] / 2, 900 - dims["z"] / 2) if dims["z"] < 1800 else 0.0
            s = _bricks(255, H - 1290, zc - dims["z"] / 2, 140, dims["y"], dims["z"], mass, seed)
        else:
            dims = _dims(vol, {"x": 140.0}, {"y": 340.0, "z": 380.0})
            s = _bricks(45, 1440, 510, 140, dims["y"], dims["z"], mass, seed)
        return Concealment("reefer", mass, [s], variant=zone)
    # cargo
    cands = [
        i
        for i, u in enumerate(load.units)
        if u.layers and u.kind in ("pallet", "cartons", "bags", "bulk", "crate")
    ]
    if not cands:
        raise ValueError("no cargo to hide in")
    inner = [i for i in cands if load.units[i].x0 > x_in0 + 800 and load.units[i].x1 < x_in1 - 800] or cands
    ui = int(rng.choice(inner))
    u = load.units[ui]
    top = u.top
    on_top = rng.random() < 0.3 and top < ceiling - 250 and u.kind != "bulk"
    if on_top:
        dims = _dims(
            vol, {"y": min(200.0, ceiling - top - 40)}, {"x": u.x1 - u.x0 - 40, "z": u.z1 - u.z0 - 40}
        )
        x0 = rng.uniform(u.x0 + 10, max(u.x0 + 11, u.x1 - 10 - dims["x"]))
        z0 = rng.uniform(u.z0 + 10, max(u.z0 + 11, u.z1 - 10 - dims["z"]))
        s = _bricks(x0, top + 2, z0, dims["x"], dims["y"], dims["z"], mass, seed)
        return Concealment("cargo", mass, [s], unit=ui, layer=len(u.layers) - 1, variant="on-top")
    y_lo, y_hi = u.layers[0].y0, top
    dims = _dims(vol, {}, {"x": u.x1 - u.x0 - 60, "y": y_hi - y_lo - 60, "z": u.z1 - u.z0 - 60})
    x0 = rng.uniform(u.x0 + 30, max(u.x0 + 31, u.x1 - 30 - dims["x"]))
    y0 = rng.uniform(y_lo + 30, max(y_lo + 31, y_hi - 30 - dims["y"]))
    z0 = rng.uniform(u.z0 + 30, max(u.z0 + 31, u.z1 - 30 - dims["z"]))
    s = _bricks(x0, y0, z0, dims["x"], dims["y"], dims["z"], mass, seed)
    li = int(np.argmin([abs(ly.y0 + ly.height / 2 - (y0 + dims["y"] / 2)) for ly in u.layers]))
    disp = []
    if u.density > 0.05:  # the bricks took the place of goods
        disp.append(
            box(
                x0,
                x0 + dims["x"],
                y0,
                y0 + dims["y"],
                z0,
                z0 + dims["z"],
                u.material,
                -u.density,
                group="conceal",
            )
        )
    return Concealment("cargo", mass, [s], disp, unit=ui, layer=li, variant="inside")
