"""Container builds for the second simulator: dry vans of several makers, reefers with vendor machinery.

Container frame (mm): x from the front end wall's outer face (x = 0) to the door end (x = L), y from the
underside of the corner castings, z across the width (centre 0). Every structural part is a solid with
its real section (sheets, tubes, C-sections), so edge-on sheets and the partial volume of thin plates come
out of the projection, not from a texture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mainport.imaging.sim2.solids import Solid, Texture, box, hollow_box

W = 2438.0  # outer width
LENGTHS = {20: 6058.0, 40: 12192.0}
HEIGHTS = {False: 2591.0, True: 2896.0}
FLOOR_Y0, FLOOR_Y1 = 165.0, 193.0  # floor boards (dry van)
STEEL = 7.85


@dataclass(frozen=True)
class Maker:
    """What differs between container factories (and so between containers of one size)."""

    name: str
    wall_mm: float
    corrugation_mm: float  # side wall period
    roof_period_mm: float
    crossmember_mm: float  # spacing of floor cross-members
    floor: str  # plywood | bamboo | steel
    steel: str  # corten | mild_steel


MAKERS = (
    Maker("cimc-a", 1.6, 262.0, 205.0, 300.0, "plywood", "corten"),
    Maker("dfic-b", 2.0, 300.0, 230.0, 330.0, "bamboo", "corten"),
    Maker("singamas-c", 1.6, 246.0, 190.0, 285.0, "plywood", "mild_steel"),
    Maker("old-d", 2.0, 318.0, 240.0, 350.0, "steel", "mild_steel"),
)
REEFER_LAYOUTS = ("compressor-near", "compressor-far", "compressor-high", "watercooled")


@dataclass(frozen=True)
class ContainerBuild:
    size_ft: int = 40
    high_cube: bool = False
    reefer: bool = False
    maker: int = 0
    reefer_layout: int = 0
    build_seed: int = 0  # manufacturing tolerances, dents

    @property
    def length(self) -> float:
        return LENGTHS[self.size_ft]

    @property
    def height(self) -> float:
        return HEIGHTS[self.high_cube]

    @property
    def inner(self) -> tuple[float, float, float, float]:
        """Cargo space (x0, x1, z half-width, floor top)."""
        if self.reefer:
            return (470.0, self.length - 80.0, 1140.0, 255.0)
        return (60.0, self.length - 90.0, 1174.0, FLOOR_Y1)

    @property
    def ceiling(self) -> float:
        return self.height - (140.0 if self.reefer else 45.0)


def _side_walls(b: ContainerBuild, mk: Maker, rng: np.random.Generator) -> list[Solid]:
    out: list[Solid] = []
    L, H = b.length, b.height
    y0, y1 = 165.0, H - 62.0
    if b.reefer:  # sandwich: aluminium outer skin, PU foam, stainless inner skin, no corrugation
        for sgn in (-1, 1):
            zo = sgn * W / 2
            out.append(box(20, L - 20, 170, H - 80, zo, zo - sgn * 1.2, "aluminium", 2.7, group="container"))
            out.append(
                box(
                    20,
                    L - 20,
                    170,
                    H - 80,
                    zo - sgn * 1.2,
                    zo - sgn * 75,
                    "plastic",
                    0.045,
                    group="container",
                )
            )
            out.append(
                box(
                    20,
                    L - 20,
                    170,
                    H - 80,
                    zo - sgn * 75,
                    zo - sgn * 75.8,
                    "stainless",
                    7.95,
                    group="container",
                )
            )
        return out
    t = mk.wall_mm
    p = mk.corrugation_mm
    depth = 36.0
    flat_o, flat_i = 0.27 * p, 0.27 * p
    web = (p - flat_o - flat_i) / 2
    web_path = t * np.hypot(web, depth) / web
    for sgn in (-1, 1):
        zo = sgn * W / 2
        x = 150.0 + rng.uniform(-0.2, 0.2) * p
        segs = []
        while x < L - 150:
            segs.append((x, x + flat_o, zo, zo - sgn * t))
            segs.append(
                (
                    x + flat_o,
                    x + flat_o + web,
                    zo - sgn * (depth / 2 - web_path / 2),
                    zo - sgn * (depth / 2 + web_path / 2),
                )
            )
            xi = x + flat_o + web
            segs.append((xi, xi + flat_i, zo - sgn * (depth - t), zo - sgn * depth))
            segs.append(
                (
                    xi + flat_i,
                    xi + flat_i + web,
                    zo - sgn * (depth / 2 - web_path / 2),
                    zo - sgn * (depth / 2 + web_path / 2),
                )
            )
            x += p
        for xa, xb, za, zb in segs:
            out.append(box(xa, min(xb, L - 150), y0, y1, za, zb, mk.steel, STEEL, group="container"))
        # a dent or patch repair on some boxes (same in every scan of the box)
        if rng.random() < 0.3:
            xd = rng.uniform(500, L - 500)
            out.append(
                box(
                    xd,
                    xd + rng.uniform(150, 500),
                    400,
                    rng.uniform(700, 1800),
                    zo,
                    zo - sgn * 3,
                    mk.steel,
                    STEEL,
                    group="container",
                )
            )
    return out


def _roof_and_rails(b: ContainerBuild, mk: Maker) -> list[Solid]:
    out: list[Solid] = []
    L, H = b.length, b.height
    for sgn in (-1, 1):  # top side rails: 60 x 60 x 3 tubes; bottom side rails: C-sections
        zo = sgn * W / 2
        out += hollow_box(
            0,
            L,
            H - 62,
            H - 2,
            min(zo, zo - sgn * 60),
            max(zo, zo - sgn * 60),
            3.0,
            mk.steel,
            STEEL,
            group="container",
        )
        out.append(box(178, L - 178, 12, 165, zo, zo - sgn * 4.5, mk.steel, STEEL, group="container"))
        out.append(
            box(178, L - 178, 12, 17, zo - sgn * 4.5, zo - sgn * 48, mk.steel, STEEL, group="container")
        )
        out.append(
            box(178, L - 178, 160, 165, zo - sgn * 4.5, zo - sgn * 35, mk.steel, STEEL, group="container")
        )
    if b.reefer:
        for ya, yb, mat, rho in (
            (H - 8, H - 6.8, "aluminium", 2.7),
            (H - 130, H - 8, "plastic", 0.045),
            (H - 131, H - 130, "aluminium", 2.7),
        ):
            out.append(box(40, L - 40, ya, yb, -W / 2 + 60, W / 2 - 60, mat, rho, group="container"))
        return out
    x, up = 60.0, True
    half = mk.roof_period_mm / 2
    while x < L - 60:  # corrugated roof: ridges across the width
        yt = H - 4 if up else H - 24
        out.append(
            box(
                x,
                min(x + half, L - 60),
                yt - 2.0,
                yt,
                -W / 2 + 55,
                W / 2 - 55,
                mk.steel,
                STEEL,
                group="container",
            )
        )
        x += half
        up = not up
    return out


def crossmember_positions(b: ContainerBuild) -> list[float]:
    """x of the front face of every floor cross-member."""
    step = MAKERS[b.maker % len(MAKERS)].crossmember_mm
    return [float(x) for x in np.arange(230.0, b.length - 200.0, step)]


def tunnel_length(b: ContainerBuild) -> float:
    """Gooseneck tunnel at the front of 40 ft boxes (no cross-member webs across its middle)."""
    return 3150.0 if b.size_ft == 40 and not b.reefer else 0.0


def _floor(b: ContainerBuild, mk: Maker) -> list[Solid]:
    out: list[Solid] = []
    L = b.length
    zi = W / 2 - 10
    if b.reefer:  # aluminium T-floor on insulation and steel cross-members
        z = -1120.0
        while z < 1120:
            out.append(box(300, L - 60, 195, 255, z, z + 2.2, "aluminium", 2.7, group="container"))
            out.append(box(300, L - 60, 252, 255, z - 11, z + 13, "aluminium", 2.7, group="container"))
            z += 47.0
        out.append(box(300, L - 60, 130, 195, -zi, zi, "plastic", 0.05, group="container"))
        out.append(box(300, L - 60, 126, 130, -zi, zi, "stainless", 7.95, group="container"))
    else:
        mat, rho, y0 = {
            "plywood": ("wood", 0.72, FLOOR_Y0),
            "bamboo": ("wood", 0.88, FLOOR_Y0),
            "steel": ("mild_steel", STEEL, FLOOR_Y1 - 4.5),
        }[mk.floor]
        out.append(box(40, L - 40, y0, FLOOR_Y1, -zi, zi, mat, rho, group="container"))
        if mk.floor == "steel":
            out.append(box(40, L - 40, FLOOR_Y0, FLOOR_Y1 - 4.5, -zi, zi, "wood", 0.6, group="container"))
    tunnel = tunnel_length(b)
    for x in crossmember_positions(b):
        spans = [(-zi, zi)] if x > tunnel else [(-zi, -515.0), (515.0, zi)]
        for za, zb in spans:  # C-section: 4 mm web, 45 mm flanges
            out.append(box(x, x + 4.0, 47, 161, za, zb, mk.steel, STEEL * 0.85, group="container"))
            out.append(box(x, x + 45.0, 43, 47, za, zb, mk.steel, STEEL, group="container"))
            out.append(box(x, x + 45.0, 161, 165, za, zb, mk.steel, STEEL, group="container"))
    if tunnel:
        out.append(box(0, tunnel, 159, 165, -515, 515, mk.steel, STEEL, group="container"))
        for zs in (-515.0, 509.0):
            out.append(box(0, tunnel, 45, 165, zs, zs + 6, mk.steel, STEEL, group="container"))
    return out


def _ends(b: ContainerBuild, mk: Maker) -> list[Solid]:
    out: list[Solid] = []
    L, H = b.length, b.height
    for xa in (0.0, L - 178.0):  # corner castings (hollow, 12 mm walls)
        for ya in (0.0, H - 118.0):
            for za in (-W / 2, W / 2 - 162):
                out.append(
                    box(xa, xa + 178, ya, ya + 118, za, za + 162, "mild_steel", STEEL, group="container")
                )
                out.append(
                    box(
                        xa + 12,
                        xa + 166,
                        ya + 12,
                        ya + 106,
                        za + 12,
                        za + 150,
                        "mild_steel",
                        -STEEL,
                        group="container",
                    )
                )
    for za in (-W / 2, W / 2 - 150):  # corner posts
        out += hollow_box(5, 155, 118, H - 118, za, za + 150, 6.0, "mild_steel", STEEL, group="container")
        out += hollow_box(
            L - 160, L - 8, 118, H - 118, za, za + 150, 8.0, "mild_steel", STEEL, group="container"
        )
    # front: header, sill and (dry vans) corrugated end wall
    out += hollow_box(
        0, 100, H - 120, H - 10, -W / 2 + 150, W / 2 - 150, 4.0, mk.steel, STEEL, group="container"
    )
    out += hollow_box(0, 120, 12, 150, -W / 2 + 150, W / 2 - 150, 4.5, mk.steel, STEEL, group="container")
    if not b.reefer:
        z = -W / 2 + 150
        while z < W / 2 - 150:
            out.append(box(8, 10, 150, H - 120, z, z + 110, mk.steel, STEEL, group="container"))
            out.append(box(10, 46, 150, H - 120, z + 110, z + 130, mk.steel, STEEL * 0.09, group="container"))
            out.append(box(44, 46, 150, H - 120, z + 130, z + 240, mk.steel, STEEL, group="container"))
            out.append(box(10, 46, 150, H - 120, z + 240, z + 260, mk.steel, STEEL * 0.09, group="container"))
            z += 260
    # door end: header, sill, two leaves (corrugated sheet in 4 panels) with frames
    out += hollow_box(
        L - 160,
        L - 10,
        H - 170,
        H - 20,
        -W / 2 + 150,
        W / 2 - 150,
        5.0,
        "mild_steel",
        STEEL,
        group="container",
    )
    out += hollow_box(
        L - 160, L - 10, 12, 130, -W / 2 + 150, W / 2 - 150, 5.0, "mild_steel", STEEL, group="container"
    )
    for za, zb in ((-W / 2 + 150, -3.0), (3.0, W / 2 - 150)):
        out.append(box(L - 40, L - 38, 140, H - 175, za, zb, "corten", STEEL, group="container"))
        out += hollow_box(
            L - 50, L - 10, 140, H - 175, za, za + 50, 3.0, "mild_steel", STEEL, group="container"
        )
        out += hollow_box(
            L - 50, L - 10, 140, H - 175, zb - 50, zb, 3.0, "mild_steel", STEEL, group="container"
        )
        if b.reefer:  # insulated doors
            out.append(box(L - 120, L - 40, 140, H - 175, za, zb, "plastic", 0.045, group="container"))
            out.append(box(L - 121, L - 120, 140, H - 175, za, zb, "stainless", 7.95, group="container"))
    return out


def _reefer_unit(b: ContainerBuild, rng: np.random.Generator) -> list[Solid]:
    """Refrigeration machinery at the front end (x in [0, 460]); four vendor layouts."""
    H = b.height
    lay = REEFER_LAYOUTS[b.reefer_layout % len(REEFER_LAYOUTS)]
    j = rng.uniform(-15, 15, 8)
    out: list[Solid] = []
    g = "reefer"
    # frame and front panels (aluminium), bulkhead (insulated)
    out.append(box(0, 6, 150, H - 120, -W / 2 + 150, W / 2 - 150, "aluminium", 2.7, group=g))
    for yb in (160.0, 1100.0 + j[0], H - 500):
        out += hollow_box(0, 420, yb, yb + 60, -W / 2 + 150, W / 2 - 150, 4.0, "aluminium", 2.7, group=g)
    out.append(box(410, 470, 200, H - 140, -1150, 1150, "plastic", 0.05, group=g))
    out.append(box(409, 410, 200, H - 140, -1150, 1150, "stainless", 7.95, group=g))
    comp_z = {
        "compressor-near": -650.0,
        "compressor-far": 650.0,
        "compressor-high": -350.0,
        "watercooled": 500.0,
    }[lay] + j[1]
    comp_y = 1350.0 if lay == "compressor-high" else 230.0
    # scroll compressor: welded shell (8 mm) with motor/scroll inside (dense core)
    out.append(
        Solid(
            "ycyl",
            90 + j[2],
            350 + j[2],
            comp_y,
            comp_y + 430,
            comp_z - 130,
            comp_z + 130,
            "mild_steel",
            STEEL,
            inner=0.94,
            group=g,
        )
    )
    out.append(
        Solid(
            "ycyl",
            130 + j[2],
            310 + j[2],
            comp_y + 40,
            comp_y + 380,
            comp_z - 90,
            comp_z + 90,
            "mild_steel",
            4.2,
            group=g,
        )
    )
    out.append(
        Solid(
            "ycyl",
            150 + j[2],
            290 + j[2],
            comp_y + 120,
            comp_y + 260,
            comp_z - 70,
            comp_z + 70,
            "copper",
            2.5,
            group=g,
        )
    )  # motor windings
    # condenser coil (copper tubes, aluminium fins) and condenser fan with its motor
    cz = -comp_z * 0.6
    out.append(
        box(
            20,
            120,
            300,
            1250,
            cz - 700,
            cz + 700,
            "aluminium",
            0.16,
            texture=Texture(int(rng.integers(1 << 30)), 0.05, 25.0, 0.0, 38.0, 0.35),
            group=g,
        )
    )
    out.append(box(20, 120, 300, 1250, cz - 700, cz + 700, "copper", 0.07, group=g))
    out.append(Solid("xcyl", 150, 330, 700 + j[3], 880 + j[3], cz - 90, cz + 90, "mild_steel", 5.0, group=g))
    out.append(
        Solid(
            "xcyl",
            120,
            150,
            450 + j[3],
            1130 + j[3],
            cz - 340,
            cz + 340,
            "plastic",
            0.35,
            inner=0.25,
            group=g,
        )
    )
    # evaporator coil and fans (top, inside the bulkhead)
    out.append(
        box(
            250,
            400,
            H - 900,
            H - 350,
            -1000,
            1000,
            "aluminium",
            0.14,
            texture=Texture(int(rng.integers(1 << 30)), 0.05, 25.0, 0.0, 32.0, 0.3),
            group=g,
        )
    )
    out.append(box(250, 400, H - 900, H - 350, -1000, 1000, "copper", 0.06, group=g))
    n_fans = 3 if lay == "watercooled" else 2
    for zf in np.linspace(-600, 600, n_fans) + j[4]:
        out.append(Solid("xcyl", 200, 290, H - 330, H - 200, zf - 65, zf + 65, "mild_steel", 4.8, group=g))
    # control box: steel enclosure, boards, contactors (copper)
    cbz = 700.0 if comp_z < 0 else -700.0
    cby = 1350.0 if lay != "compressor-high" else 400.0
    out += hollow_box(20, 210, cby, cby + 520, cbz - 260, cbz + 260, 2.0, "mild_steel", STEEL, group=g)
    out.append(box(40, 190, cby + 80, cby + 440, cbz - 200, cbz + 200, "copper", 0.12, group=g))
    # receiver / filter-drier and refrigerant lines
    out.append(
        Solid(
            "ycyl",
            240 + j[5],
            330 + j[5],
            350,
            720,
            comp_z + 250,
            comp_z + 340,
            "mild_steel",
            STEEL,
            inner=0.9,
            group=g,
        )
    )
    out.append(box(80, 100, 300, H - 400, comp_z - 20, comp_z - 4, "copper", 8.9, group=g))
    if lay == "watercooled":  # water-cooled condenser tank
        out.append(Solid("ycyl", 230, 400, 300, 900, -200, -30, "mild_steel", STEEL, inner=0.93, group=g))
        out.append(Solid("ycyl", 236, 394, 310, 890, -195, -35, "water", 0.7, group=g))
    return out


def container_solids(b: ContainerBuild) -> list[Solid]:
    """Every structural part of one container (identical in each of its scans)."""
    rng = np.random.default_rng([b.build_seed, 31])
    mk = MAKERS[b.maker % len(MAKERS)]
    out = _side_walls(b, mk, rng) + _roof_and_rails(b, mk) + _floor(b, mk) + _ends(b, mk)
    if b.reefer:
        out += _reefer_unit(b, rng)
    return out


def per_scan_hardware(b: ContainerBuild, seed: int) -> list[Solid]:
    """What moves between two scans of the same box: door handles, cams, seal, reefer cable and fan."""
    rng = np.random.default_rng([seed, 41])
    L, H = b.length, b.height
    out: list[Solid] = []
    for zc in (-880.0, -330.0, 330.0, 880.0):  # locking bars outside the doors
        z = zc + rng.uniform(-6, 6)
        out.append(
            Solid(
                "ycyl",
                L + 5,
                L + 33,
                90,
                H - 90,
                z - 14,
                z + 14,
                "mild_steel",
                STEEL,
                inner=0.75,
                group="hardware",
            )
        )
        for yb in (60.0, H - 140):  # cams and keepers
            out.append(
                box(L - 5, L + 45, yb, yb + 80, z - 35, z + 35, "mild_steel", STEEL * 0.6, group="hardware")
            )
        # handle: stowed flat against the door, or swung out by some angle
        ang = 0.0 if rng.random() < 0.6 else rng.uniform(0.1, 1.2)
        ln = 380.0
        hy = 1150.0 + rng.uniform(-40, 40)
        dz, dx = ln * np.cos(ang), ln * np.sin(ang)
        zs = z if zc < 0 else z - dz
        out.append(
            box(L + 20, L + 40 + dx, hy, hy + 30, zs, zs + dz, "mild_steel", STEEL * 0.5, group="hardware")
        )
    if rng.random() < 0.85:  # bolt seal on one handle
        out.append(box(L + 30, L + 70, 1120, 1200, 320, 340, "mild_steel", STEEL * 0.5, group="hardware"))
    if b.reefer:
        # the power cable coiled in its compartment, lying differently each time
        cy, cz = rng.uniform(250, 700), rng.uniform(-900, -300)
        out.append(
            box(
                30,
                200,
                cy,
                cy + rng.uniform(120, 220),
                cz,
                cz + rng.uniform(200, 400),
                "copper",
                0.5,
                texture=Texture(int(rng.integers(1 << 30)), 0.5, 30.0),
                group="hardware",
            )
        )
        out.append(box(30, 200, cy, cy + 180, cz, cz + 300, "rubber", 0.5, group="hardware"))
        for k in range(3):  # condenser fan blades at a random angle
            a = rng.uniform(0, np.pi) + k * np.pi / 3
            half = 300 * abs(np.cos(a))
            out.append(
                box(
                    130,
                    140,
                    790 - 300 * abs(np.sin(a)),
                    790 + 300 * abs(np.sin(a)),
                    -half,
                    half,
                    "plastic",
                    0.6,
                    group="hardware",
                )
            )
    return out
