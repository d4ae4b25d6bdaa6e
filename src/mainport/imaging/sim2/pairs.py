"""Origin/arrival pairs from the second simulator, with ground truth.

``simulate_pair(seed, change=...)`` picks a container (build, commodity, load), an origin and an arrival
installation, a vehicle for each portal scan (none at a gantry, so either, both or neither scan may show
one, and two trucks always differ), the motion of the load during each scan, and optionally a concealment
of 5-60 kg present in one scan only (``added``: arrival only, ``removed``: origin only). Everything is
deterministic for the seed. Ground truth (boxes in each image's pixels, how much of the box each image
shows, what is where) sits in :class:`Sim2Pair` and in each scan's ``extra``; the product never reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from mainport.imaging.meta import ScanImage, ScanMeta
from mainport.imaging.sim2 import cargo as cargo_mod
from mainport.imaging.sim2.conceal import Concealment, make
from mainport.imaging.sim2.container import ContainerBuild, container_solids, per_scan_hardware
from mainport.imaging.sim2.scanners import (
    ARRIVAL_SCANNERS,
    INSTALLATIONS,
    ORIGIN_SCANNERS,
    Installation,
    acquire,
    travel_positions,
)
from mainport.imaging.sim2.solids import RayGeometry, Solid, box
from mainport.imaging.sim2.vehicles import Truck, random_truck, truck_solids
from mainport.reference.containers import iso6346_check_digit

Box = tuple[int, int, int, int]


@dataclass
class Sim2Pair:
    origin: ScanImage
    arrival: ScanImage
    change: str | None  # added | removed | None
    place: str | None
    variant: str
    mass_kg: float
    box_origin: Box | None
    box_arrival: Box | None
    visible_origin: float  # fraction of the concealment's box inside each image (cut-off ends)
    visible_arrival: float
    commodity: str
    group: str  # declared commodity group (what customs sees)
    declared_packages: int
    declared_mass_kg: float
    size_ft: int
    reefer: bool
    vehicles: tuple[str, str]
    info: dict[str, Any] = field(default_factory=dict)


def _container_id(rng: np.random.Generator) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    owner = "".join(letters[int(i)] for i in rng.integers(0, 26, 3)) + "U"
    serial = f"{int(rng.integers(0, 10**6)):06d}"
    return owner + serial + str(iso6346_check_digit(owner + serial))


def _choose_commodity(rng: np.random.Generator) -> str:
    names = list(cargo_mod.COMMODITIES)
    p = np.array([cargo_mod.COMMODITIES[n][2] for n in names])
    return str(rng.choice(names, p=p / p.sum()))


def _container_for(commodity: str, rng: np.random.Generator) -> ContainerBuild:
    reefer = cargo_mod.COMMODITIES[commodity][1] or (commodity == "empty" and rng.random() < 0.3)
    heavy = commodity in ("coffee_bags", "coffee_bulk", "cocoa_bags", "tiles")
    if reefer:
        size = 40 if rng.random() < 0.85 else 20
    else:
        size = 20 if (heavy and rng.random() < 0.8) or (not heavy and rng.random() < 0.4) else 40
    hc = bool(rng.random() < (0.9 if reefer else (0.5 if size == 40 else 0.05)))
    return ContainerBuild(
        size, hc, bool(reefer), int(rng.integers(0, 4)), int(rng.integers(0, 4)), int(rng.integers(1 << 30))
    )


def _to_lane(
    solids: list[Solid], *, mirror_len: float | None, dx: float, dy: float, dz: float, flip_z: bool
) -> list[Solid]:
    out = []
    for s in solids:
        t = s.mirrored_x(mirror_len / 2) if mirror_len is not None else s
        t = t.moved(dx, dy, dz)
        out.append(t.mirrored_z() if flip_z else t)
    return out


@dataclass
class _ScanPlan:
    inst: Installation
    truck: Truck | None
    col_x: np.ndarray
    dx: float
    dy: float
    dz: float
    mirror: bool  # container front at larger lane X
    direction: str


def _plan(inst: Installation, b: ContainerBuild, rng: np.random.Generator) -> _ScanPlan:
    L = b.length
    if inst.kind == "portal":
        truck = random_truck(rng, L, b.reefer)
        dy = truck.deck_y + rng.normal(0, 6)  # suspension
        dz = rng.normal(0, 90)
        x_start = truck.cab_rear_x + rng.uniform(250, 1500)  # cab avoidance: beam on after the cab
        x_end = truck.trailer_len + rng.uniform(250, 900)
        u = rng.random()
        if u < 0.03:  # operator stopped the scan early
            x_end = truck.container_x + L * rng.uniform(0.55, 0.9)
        elif u < 0.10:  # stopped at the rear of the box, or a late trigger at the front
            x_end = truck.container_x + L - rng.uniform(0, 450)
        col_x = travel_positions(inst, x_start, x_end, rng)
        # container front towards the tractor: lane X = container_x + x; image left = vehicle front
        return _ScanPlan(inst, truck, col_x, truck.container_x, dy, dz, False, "forward")
    mirror = bool(rng.random() < 0.5)  # which end the straddle carrier put where
    dy = rng.uniform(0, 80)  # on the ground or on timber
    dz = rng.normal(0, 40)
    m0, m1 = rng.uniform(150, 900), rng.uniform(150, 900)
    u = rng.random()
    if u < 0.05:
        m0 = -rng.uniform(50, 600)
    elif u < 0.09:
        m1 = -rng.uniform(50, 600)
    backwards = bool(rng.random() < 0.5)
    x0, x1 = (-m0, L + m1) if not backwards else (L + m1, -m0)
    col_x = travel_positions(inst, x0, x1, rng)
    front_left = (not mirror) != backwards
    return _ScanPlan(inst, None, col_x, 0.0, dy, dz, mirror, "forward" if front_left else "reverse")


def _truth_box(solids: list[Solid], g: RayGeometry, shape: tuple[int, int]) -> tuple[Box | None, float]:
    cols, rows = [], []
    for s in solids:
        for x, y, z in s.corners():
            c, r = g.project_point(x, y, z)
            cols.append(c)
            rows.append(r)
    if not cols:
        return None, 0.0
    # a point beyond the scanned length interpolates to the edge column: measure what is really covered
    xs = [x for s in solids for x in (s.x0, s.x1)]
    lo, hi = min(xs), max(xs)
    cx_lo, cx_hi = float(np.min(g.col_x)), float(np.max(g.col_x))
    covered = max(0.0, min(hi, cx_hi) - max(lo, cx_lo)) / max(hi - lo, 1e-6)
    x0, x1 = int(np.floor(min(cols))), int(np.ceil(max(cols))) + 1
    y0, y1 = int(np.floor(min(rows))), int(np.ceil(max(rows))) + 1
    h, w = shape
    x0, x1, y0, y1 = max(x0, 0), min(x1, w), max(y0, 0), min(y1, h)
    if x1 <= x0 or y1 <= y0 or covered <= 0:
        return None, 0.0
    return (x0, y0, x1, y1), float(covered)


def _scan(
    b: ContainerBuild,
    load: cargo_mod.Load,
    motion: cargo_mod.Motion,
    conceal: Concealment | None,
    conceal_present: bool,
    displaced_present: bool,
    fixed_extra: list[Solid],
    plan: _ScanPlan,
    meta_base: dict[str, Any],
    rng: np.random.Generator,
) -> ScanImage:
    cargo_solids, offs = cargo_mod.placed_solids(load, motion)
    c_solids: list[Solid] = []
    c_truth: list[Solid] = []
    if conceal is not None:
        dx = dy = 0.0
        if conceal.unit is not None and conceal.layer is not None:
            dx, dy, _tilt = offs[conceal.unit][conceal.layer]
        c_truth = [s.moved(dx, dy) for s in conceal.solids]  # where it is, or would be
        if conceal_present:
            c_solids = c_truth
        if displaced_present:
            cargo_solids += [s.moved(dx, dy) for s in conceal.displaced]
    scene_c = (
        container_solids(b) + per_scan_hardware(b, int(rng.integers(1 << 30))) + cargo_solids + fixed_extra
    )
    flip_z = plan.inst.source_side < 0
    mirror = b.length if plan.mirror else None
    lane = _to_lane(scene_c + c_solids, mirror_len=mirror, dx=plan.dx, dy=plan.dy, dz=plan.dz, flip_z=flip_z)
    truth_lane = _to_lane(c_truth, mirror_len=mirror, dx=plan.dx, dy=plan.dy, dz=plan.dz, flip_z=flip_z)
    if plan.truck is not None:
        lane += _to_lane(
            truck_solids(plan.truck, b.length), mirror_len=None, dx=0, dy=0, dz=plan.dz * 0.5, flip_z=flip_z
        )
    images, geom = acquire(lane, plan.inst, plan.col_x, rng)
    box_px, visible = _truth_box(truth_lane, geom, images[0].shape)
    inst = plan.inst
    pitch = (inst.col_pitch, inst.row_pitch)
    first, second = images[0], images[1] if len(images) > 1 else None
    if inst.raster == "rows":  # this vendor writes one detector line per row
        first = np.ascontiguousarray(first.T)
        second = None if second is None else np.ascontiguousarray(second.T)
        pitch = (inst.row_pitch, inst.col_pitch)
        if box_px is not None:
            box_px = (box_px[1], box_px[0], box_px[3], box_px[2])
    meta = ScanMeta(
        container_id=meta_base["container_id"],
        scanner_id=inst.scanner_id,
        pixel_pitch_mm=pitch,
        energy_mev=inst.energies[0],
        scan_time=meta_base["scan_time"],
        direction=plan.direction,  # type: ignore[arg-type]
        second_energy_mev=inst.energies[1] if inst.dual else None,
    )
    extra = {
        "simulator": "sim2",
        "concealment_present": conceal_present,
        "concealment_box_px": box_px,  # where the concealment is (or, when absent, would be)
        "concealment_visible": visible,
        "vehicle": plan.truck.trailer if plan.truck is not None else "none",
        "raster": inst.raster,
        "geometry": geom,
    }
    return ScanImage(first, meta, extra=extra, second=second)


def simulate_pair(
    seed: int,
    *,
    change: str | None = None,
    place: str | None = None,
    mass_kg: float | None = None,
    commodity: str | None = None,
    origin_scanner: str | None = None,
    arrival_scanner: str | None = None,
    size_ft: int | None = None,
    pitch_scale: float = 1.0,
) -> Sim2Pair:
    """One origin/arrival pair (see module docstring). ``change``: None, ``added`` or ``removed``.

    The concealment is drawn whatever ``change`` is, so the same seed with and without a change gives the
    same scene and noise apart from the concealment. ``pitch_scale`` > 1 coarsens every scanner's pixel
    pitch (fast images for tests)."""
    if change not in (None, "added", "removed"):
        raise ValueError(f"change must be None, 'added' or 'removed', got {change!r}")
    rng = np.random.default_rng([seed, 2])
    com = commodity or _choose_commodity(rng)
    b = _container_for(com, rng)
    if size_ft is not None and size_ft != b.size_ft:
        b = ContainerBuild(size_ft, b.high_cube, b.reefer, b.maker, b.reefer_layout, b.build_seed)
    places = ["door", "wall", "floor", "roof"] + (["reefer"] if b.reefer else [])
    if com != "empty":
        places.append("cargo")
    where = place or str(rng.choice(places))
    mass = float(mass_kg if mass_kg is not None else rng.uniform(5, 60))
    variant = "front" if (where == "wall" and not b.reefer and rng.random() < 0.3) else ""
    reserve = float(rng.uniform(90, 180)) if variant == "front" else 0.0
    load = cargo_mod.build_load(com, b, int(rng.integers(1 << 30)), front_reserve_mm=reserve)
    fixed: list[Solid] = []
    if variant == "front":  # the false front wall exists in both scans
        x_in0 = load.x_bounds[0]
        fixed.append(
            box(x_in0 - 12, x_in0, b.inner[3], b.ceiling, -b.inner[2], b.inner[2], "wood", 0.6, group="cargo")
        )
    conceal = make(where, mass, b, load, rng, variant)
    osc = INSTALLATIONS[origin_scanner or str(rng.choice(ORIGIN_SCANNERS))]
    asc = INSTALLATIONS[arrival_scanner or str(rng.choice(ARRIVAL_SCANNERS))]
    if pitch_scale != 1.0:
        osc, asc = (
            replace(
                i,
                row_pitch=i.row_pitch * pitch_scale,
                col_pitch=i.col_pitch * pitch_scale,
                slit=i.slit * pitch_scale,
                dead_rows=(),
                hot_rows=(),
            )
            for i in (osc, asc)
        )
    cid = _container_id(rng)
    t0 = datetime(2026, 2, 1, tzinfo=UTC) + timedelta(hours=float(rng.uniform(0, 6000)))
    t1 = t0 + timedelta(days=float(rng.uniform(9, 30)))
    m_o = cargo_mod.random_motion(rng, voyage=False)
    m_a = cargo_mod.random_motion(rng, voyage=True)
    p_o, p_a = _plan(osc, b, rng), _plan(asc, b, rng)
    added, removed = change == "added", change == "removed"
    origin = _scan(
        b, load, m_o, conceal, removed, removed, fixed, p_o, {"container_id": cid, "scan_time": t0}, rng
    )
    arrival = _scan(
        b,
        load,
        m_a,
        conceal,
        added,
        added or removed,
        fixed,
        p_a,
        {"container_id": cid, "scan_time": t1},
        rng,
    )
    decl_mass = load.mass_kg * float(rng.uniform(0.96, 1.04))
    box_o = origin.extra["concealment_box_px"] if change else None
    box_a = arrival.extra["concealment_box_px"] if change else None
    return Sim2Pair(
        origin=origin,
        arrival=arrival,
        change=change,
        place=where if change else None,
        variant=conceal.variant if change else "",
        mass_kg=mass if change else 0.0,
        box_origin=box_o,
        box_arrival=box_a,
        visible_origin=float(origin.extra["concealment_visible"]),
        visible_arrival=float(arrival.extra["concealment_visible"]),
        commodity=com,
        group=load.group,
        declared_packages=load.packages,
        declared_mass_kg=round(decl_mass, 1),
        size_ft=b.size_ft,
        reefer=b.reefer,
        vehicles=(str(origin.extra["vehicle"]), str(arrival.extra["vehicle"])),
        info={
            "maker": b.maker,
            "layout": b.reefer_layout,
            "high_cube": b.high_cube,
            "scanners": (osc.scanner_id, asc.scanner_id),
            "fall": m_a.fall,
            "slide_mm": m_a.slide_all_mm,
        },
    )
