"""Road vehicles in drive-through portals: tractor units, skeletal and flatbed trailers, clip-on gensets.

Truck frame (mm): X behind the trailer's front end (the tractor is at negative X), Y above the road,
Z across the lane. A gantry scan has no vehicle (the container stands on the ground).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mainport.imaging.sim2.solids import Solid, box, hollow_box

STEEL = 7.85
TRAILERS = ("skeletal", "skeletal", "flatbed", "skeletal-3axle")


@dataclass(frozen=True)
class Truck:
    trailer: str = "skeletal"
    seed: int = 0
    deck_y: float = 1250.0  # underside of the container above the road
    container_x: float = 60.0  # container front end behind the trailer's front end
    trailer_len: float = 12400.0
    axles: int = 2
    dual_tyres: bool = False
    genset: bool = False
    fuel_fill: float = 0.6
    tractor_wheelbase: float = 3700.0

    @property
    def cab_rear_x(self) -> float:
        return -1150.0 - 0.1 * (self.tractor_wheelbase - 3600.0)


def random_truck(rng: np.random.Generator, container_len: float, reefer: bool) -> Truck:
    kind = str(rng.choice(TRAILERS))
    flat = kind == "flatbed"
    trailer_len = 13600.0 if flat else (12400.0 if container_len > 7000 or rng.random() < 0.6 else 6400.0)
    if (
        container_len < 7000 and trailer_len > 7000
    ):  # a 20 ft box at the front, middle or rear of a 40 ft chassis
        cx = float(rng.choice([60.0, (trailer_len - container_len) / 2, trailer_len - container_len - 60.0]))
    else:
        cx = float(rng.uniform(40, 120)) if not flat else float(rng.uniform(100, 1400))
    return Truck(
        trailer="flatbed" if flat else "skeletal",
        seed=int(rng.integers(1 << 30)),
        deck_y=float(rng.uniform(1380, 1480) if flat else rng.uniform(1150, 1330)),
        container_x=cx,
        trailer_len=trailer_len,
        axles=3 if kind == "skeletal-3axle" or flat else int(rng.choice([2, 3])),
        dual_tyres=bool(rng.random() < 0.4),
        genset=bool(reefer and rng.random() < 0.35),
        fuel_fill=float(rng.uniform(0.15, 0.95)),
        tractor_wheelbase=float(rng.uniform(3500, 3950)),
    )


def _wheel(xc: float, r: float, z0: float, z1: float, dual: bool, group: str) -> list[Solid]:
    out: list[Solid] = []
    widths = [(z0, z0 + (z1 - z0) * 0.48), (z0 + (z1 - z0) * 0.52, z1)] if dual else [(z0, z1)]
    rim = 0.535 * r
    for za, zb in widths:
        out.append(
            Solid("zcyl", xc - r, xc + r, r - r, r + r, za, zb, "rubber", 1.15, inner=rim / r, group=group)
        )
        out.append(
            Solid(
                "zcyl",
                xc - r * 0.93,
                xc + r * 0.93,
                r - r * 0.93,
                r + r * 0.93,
                za + 20,
                zb - 20,
                "mild_steel",
                STEEL * 0.06,
                inner=0.62,
                group=group,
            )
        )  # steel belts
        out.append(
            Solid(
                "zcyl",
                xc - rim,
                xc + rim,
                r - rim,
                r + rim,
                za,
                zb,
                "mild_steel",
                STEEL,
                inner=0.955,
                group=group,
            )
        )  # rim barrel
    zc = 0.5 * (z0 + z1)
    out.append(
        Solid(
            "zcyl",
            xc - rim,
            xc + rim,
            r - rim,
            r + rim,
            zc - 7,
            zc + 7,
            "mild_steel",
            STEEL,
            inner=0.25,
            group=group,
        )
    )  # wheel disc
    hub = 0.4 * r
    zi = z0 if z0 > 0 else z1
    out.append(
        Solid(
            "zcyl",
            xc - hub,
            xc + hub,
            r - hub,
            r + hub,
            min(zi, zc),
            max(zi, zc),
            "mild_steel",
            STEEL * 0.35,
            group=group,
        )
    )  # hub and brake drum
    return out


def _axle(xc: float, r: float, dual: bool, group: str, drive: bool = False) -> list[Solid]:
    out = [
        Solid(
            "zcyl", xc - 65, xc + 65, r - 65, r + 65, -1000, 1000, "mild_steel", STEEL, inner=0.8, group=group
        )
    ]
    if drive:  # differential housing
        out.append(
            box(xc - 220, xc + 220, r - 200, r + 200, -220, 220, "mild_steel", STEEL * 0.45, group=group)
        )
    for sgn in (-1, 1):
        za, zb = (sgn * 1250.0, sgn * (1250.0 - (620.0 if dual else 385.0)))
        out += _wheel(xc, r, min(za, zb), max(za, zb), dual, group)
    return out


def truck_solids(t: Truck, container_len: float) -> list[Solid]:
    rng = np.random.default_rng([t.seed, 71])
    g = "vehicle"
    out: list[Solid] = []
    d = t.deck_y
    lt = t.trailer_len
    r = 535.0
    if t.trailer == "flatbed":
        out.append(box(0, lt, d - 35, d, -1250, 1250, "wood", 0.75, group=g))
        for sgn in (-1, 1):
            out.append(
                box(0, lt, d - 200, d - 35, sgn * 1250 - 3, sgn * 1250 + 3, "mild_steel", STEEL, group=g)
            )
        x = 300.0
        while x < lt - 200:
            out.append(box(x, x + 6, d - 155, d - 35, -1240, 1240, "mild_steel", STEEL * 0.7, group=g))
            x += float(rng.uniform(380, 460))
    # main beams (I-sections), tapering towards the ends
    hb = float(rng.uniform(380, 480))
    for sgn in (-1, 1):
        zc = sgn * float(rng.uniform(470, 540))
        for xa, xb, h in ((0, 0.25 * lt, 0.6 * hb), (0.25 * lt, 0.8 * lt, hb), (0.8 * lt, lt, 0.65 * hb)):
            out.append(box(xa, xb, d - h, d - 12, zc - 3, zc + 3, "mild_steel", STEEL, group=g))
            out.append(box(xa, xb, d - 12, d, zc - 75, zc + 75, "mild_steel", STEEL, group=g))
            out.append(box(xa, xb, d - h - 12, d - h, zc - 75, zc + 75, "mild_steel", STEEL, group=g))
    if t.trailer != "flatbed":
        x = float(rng.uniform(700, 1200))
        while x < lt - 300:
            out += hollow_box(x, x + 60, d - 112, d - 12, -1219, 1219, 4.0, "mild_steel", STEEL, group=g)
            x += float(rng.uniform(1000, 1500))
        for xb in (t.container_x, t.container_x + container_len - 200):  # bolsters with twistlocks
            out += hollow_box(xb, xb + 200, d - 160, d - 10, -1219, 1219, 5.0, "mild_steel", STEEL, group=g)
            for xt in (xb + 40, xb + 100):
                for zt in (-1150.0, 1090.0):
                    out.append(
                        box(xt, xt + 60, d - 10, d + 70, zt, zt + 60, "mild_steel", STEEL * 0.7, group=g)
                    )
    out.append(box(0, 1500, d - 150, d - 140, -900, 900, "mild_steel", STEEL, group=g))  # kingpin plate
    out.append(Solid("ycyl", 875, 925, d - 230, d - 150, -25, 25, "mild_steel", STEEL, group=g))
    # landing legs
    xl = float(rng.uniform(2200, 2900))
    for sgn in (-1, 1):
        out += hollow_box(
            xl, xl + 110, 420, d - 150, sgn * 950 - 55, sgn * 950 + 55, 5.0, "mild_steel", STEEL, group=g
        )
        out.append(
            box(
                xl - 20,
                xl + 130,
                360,
                420,
                sgn * 950 - 110,
                sgn * 950 + 110,
                "mild_steel",
                STEEL * 0.5,
                group=g,
            )
        )
    out.append(
        box(xl + 20, xl + 180, d - 450, d - 250, 700, 900, "mild_steel", STEEL * 0.4, group=g)
    )  # gearbox
    out.append(
        Solid("zcyl", xl + 35, xl + 75, d - 420, d - 380, -950, 950, "mild_steel", STEEL, inner=0.6, group=g)
    )
    # axles, suspension, spare wheel, underrun guard, toolbox
    rear = lt - float(rng.uniform(1000, 1500))
    for i in range(t.axles):
        xa = rear - i * 1310.0
        out += _axle(xa, r, t.dual_tyres, g)
        for sgn in (-1, 1):
            out.append(
                box(
                    xa - 600,
                    xa,
                    r + 60,
                    r + 160,
                    sgn * 520 - 50,
                    sgn * 520 + 50,
                    "mild_steel",
                    STEEL * 0.5,
                    group=g,
                )
            )
            out.append(
                Solid(
                    "ycyl",
                    xa + 150,
                    xa + 450,
                    r + 100,
                    d - 160,
                    sgn * 520 - 150,
                    sgn * 520 + 150,
                    "rubber",
                    0.12,
                    group=g,
                )
            )  # air spring
            out.append(
                box(
                    xa - r,
                    xa + r,
                    2 * r + 40,
                    2 * r + 45,
                    sgn * 1250 - 400,
                    sgn * 1250,
                    "plastic",
                    0.95,
                    group=g,
                )
            )  # mudguard
    if rng.random() < 0.7:
        xs = float(rng.uniform(4500, 6500))
        out.append(
            Solid("ycyl", xs, xs + 2 * r, d - 640, d - 255, -r, r, "rubber", 1.15, inner=0.535, group=g)
        )
        out.append(
            Solid(
                "ycyl",
                xs + 0.465 * r,
                xs + 1.535 * r,
                d - 640,
                d - 255,
                -0.535 * r,
                0.535 * r,
                "mild_steel",
                STEEL,
                inner=0.95,
                group=g,
            )
        )
    out += hollow_box(lt - 150, lt - 50, 480, 580, -1219, 1219, 4.0, "mild_steel", STEEL, group=g)
    if rng.random() < 0.5:
        xt = float(rng.uniform(3500, 8000))
        out += hollow_box(xt, xt + 600, d - 550, d - 150, 700, 1150, 2.0, "mild_steel", STEEL, group=g)
        out.append(box(xt + 30, xt + 570, d - 520, d - 300, 750, 1100, "mild_steel", STEEL * 0.12, group=g))
    if t.genset:  # clip-on diesel generator under a reefer
        xg = t.container_x + float(rng.uniform(1800, 2600))
        out += hollow_box(xg, xg + 1300, d - 900, d - 140, -900, 900, 4.0, "mild_steel", STEEL, group=g)
        out.append(box(xg + 200, xg + 800, d - 800, d - 300, -350, 250, "mild_steel", STEEL * 0.42, group=g))
        out.append(box(xg + 850, xg + 1200, d - 700, d - 350, -300, 300, "copper", 2.0, group=g))
        out.append(
            box(xg + 100, xg + 1200, d - 880, d - 700, 350, 850, "diesel", 0.84 * t.fuel_fill, group=g)
        )
    out += _tractor(t, rng)
    return out


def _tractor(t: Truck, rng: np.random.Generator) -> list[Solid]:
    g = "vehicle"
    out: list[Solid] = []
    r = 538.0
    fifth = 900.0  # under the kingpin
    rear_axle = fifth + float(rng.uniform(300, 600))
    front_axle = rear_axle - t.tractor_wheelbase
    y_frame = float(rng.uniform(780, 860))
    for sgn in (-1, 1):  # frame rails
        zc = sgn * 430.0
        out.append(
            box(
                front_axle - 1200,
                rear_axle + 900,
                y_frame,
                y_frame + 300,
                zc - 4,
                zc + 4,
                "mild_steel",
                STEEL,
                group=g,
            )
        )
        for ya in (y_frame, y_frame + 292):
            out.append(
                box(
                    front_axle - 1200,
                    rear_axle + 900,
                    ya,
                    ya + 8,
                    zc - 40,
                    zc + 40,
                    "mild_steel",
                    STEEL,
                    group=g,
                )
            )
    out.append(
        box(
            fifth - 450,
            fifth + 450,
            t.deck_y - 160,
            t.deck_y - 70,
            -450,
            450,
            "mild_steel",
            STEEL * 0.45,
            group=g,
        )
    )  # fifth wheel plate
    out.append(
        box(
            fifth - 350,
            fifth + 350,
            y_frame + 300,
            t.deck_y - 160,
            -500,
            500,
            "mild_steel",
            STEEL * 0.08,
            group=g,
        )
    )  # mounting
    out += _axle(rear_axle, r, True, g, drive=True)
    if rng.random() < 0.4:  # tandem drive axle
        out += _axle(rear_axle + 1350.0, r, True, g, drive=True)
    out += _axle(front_axle, r, False, g)
    # fuel tank behind the cab on one side (aluminium, partly filled), battery box and air tanks on the other
    cab = t.cab_rear_x
    tl = float(rng.uniform(900, 1600))
    tr = float(rng.uniform(280, 350))
    side = float(rng.choice([-1, 1]))
    zt = side * 850.0
    x0 = min(cab - float(rng.uniform(0.3, 0.7)) * tl, rear_axle - r - 100 - tl)  # partly behind the cab
    out.append(
        Solid("xcyl", x0, x0 + tl, 500, 500 + 2 * tr, zt - tr, zt + tr, "aluminium", 2.7, inner=0.99, group=g)
    )
    fill_h = 2 * tr * t.fuel_fill
    out.append(
        box(x0 + 5, x0 + tl - 5, 505, 505 + fill_h, zt - 0.85 * tr, zt + 0.85 * tr, "diesel", 0.84, group=g)
    )
    out.append(box(x0, x0 + 600, 520, 800, -side * 1000, -side * 700, "lead", 3.2, group=g))  # batteries
    out.append(box(x0, x0 + 600, 500, 820, -side * 1050, -side * 650, "plastic", 0.3, group=g))
    out.append(
        Solid(
            "xcyl",
            x0 + 650,
            x0 + 1450,
            560,
            800,
            -side * 950,
            -side * 710,
            "mild_steel",
            STEEL,
            inner=0.97,
            group=g,
        )
    )  # air tank
    out.append(
        Solid(
            "xcyl",
            cab - 900,
            cab - 150,
            650,
            1000,
            side * 500,
            side * 850,
            "mild_steel",
            STEEL,
            inner=0.96,
            group=g,
        )
    )  # silencer
    # cab back wall and roof deflector (scanned only when the beam switches on early)
    out.append(box(cab - 2, cab, 1150, 3650, -1200, 1200, "mild_steel", STEEL, group=g))
    out.append(box(cab - 60, cab - 2, 1150, 3650, -1150, 1150, "plastic", 0.05, group=g))
    out.append(box(cab - 700, cab - 10, 3650, 3720, -1200, 1200, "plastic", 0.9, group=g))
    return out
