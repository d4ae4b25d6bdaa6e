"""Synthetic scans for tests, benchmarks and the synthetic world.

``render_scan`` renders one scan of a :class:`ContainerContents` on a :class:`ScannerModel`;
``render_pair`` renders an origin scan and an arrival scan of the same container with realistic
benign differences (different scanners, direction, line speed, settling, moisture, chassis, door
hardware, noise) and optionally a rip-on (added) or rip-off (removed) concealment of 10-60 kg, with the
ground-truth box in both images' pixels. Everything is deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np

from mainport.imaging.meta import ScanImage, ScanMeta, iso6346_check_digit
from mainport.imaging.scanner import SCANNERS, Geometry, ScannerModel, acquire
from mainport.imaging.scene import (
    Concealment,
    ContainerContents,
    ScanState,
    build_phantom,
)

Box = tuple[int, int, int, int]  # (x0, y0, x1, y1) pixels, x = column (travel), end-exclusive
ChangeSign = Literal["added", "removed"]
ORIGIN_SCANNERS = ("GYE-DT6", "SMR-DT4")
ARRIVAL_SCANNERS = ("RTM-GANTRY9", "RTM-DT6")


def make_container_id(rng: np.random.Generator) -> str:
    owner = "".join(rng.choice(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), 3))
    serial = f"{int(rng.integers(0, 1_000_000)):06d}"
    code = f"{owner}U{serial}"
    return code + str(iso6346_check_digit(code))


def render_scan(
    contents: ContainerContents,
    scanner: ScannerModel | str,
    *,
    seed: int,
    state: ScanState | None = None,
    reverse: bool = False,
    container_id: str = "MSKU1234565",
    scan_time: datetime | None = None,
    grid_mm: float = 5.0,
) -> ScanImage:
    """Render one scan. ``extra`` holds ground truth: ``geometry`` and ``concealment_boxes_px``."""
    sc = SCANNERS[scanner] if isinstance(scanner, str) else scanner
    ph = build_phantom(contents, state, grid_mm=grid_mm)
    pixels, geom = acquire(ph, sc, np.random.default_rng(seed), reverse=reverse)
    meta = ScanMeta(
        container_id=container_id,
        scanner_id=sc.scanner_id,
        pixel_pitch_mm=sc.pixel_pitch_mm,
        energy_mev=sc.energy_mev,
        scan_time=scan_time or datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        direction="reverse" if reverse else "forward",
    )
    boxes = [geom.box_to_pixels(b) for b in ph.boxes_mm]
    return ScanImage(pixels, meta, extra={"geometry": geom, "concealment_boxes_px": boxes})


@dataclass
class PairSample:
    """An origin/arrival pair plus ground truth (boxes in each image's pixels)."""

    origin: ScanImage
    arrival: ScanImage
    contents: ContainerContents
    change: ChangeSign | None
    change_kind: str | None
    change_mass_kg: float
    box_arrival: Box | None
    box_origin: Box | None


_COMMODITY_P = {
    "bananas": 0.35,
    "cocoa": 0.12,
    "coffee": 0.12,
    "furniture": 0.14,
    "machinery": 0.1,
    "tiles": 0.07,
    "empty": 0.1,
}


def random_contents(rng: np.random.Generator) -> ContainerContents:
    """A plausible container from a Latin American port (bananas in reefers dominate)."""
    names = list(_COMMODITY_P)
    probs = np.array(list(_COMMODITY_P.values()))
    commodity = str(rng.choice(names, p=probs / probs.sum()))
    size = 40 if (commodity == "bananas" or rng.random() < 0.6) else 20
    reefer = commodity == "bananas" or (commodity == "empty" and rng.random() < 0.3)
    fill = 0.15 if commodity == "empty" else float(rng.uniform(0.55, 1.0))
    return ContainerContents(
        size_ft=size,  # type: ignore[arg-type]
        reefer=reefer,
        commodity=commodity,  # type: ignore[arg-type]
        fill_fraction=fill,
        high_cube=bool(reefer or rng.random() < 0.4),
        layout_seed=int(rng.integers(0, 2**31)),
    )


def render_pair(
    seed: int,
    *,
    contents: ContainerContents | None = None,
    change: ChangeSign | None = None,
    change_kind: str | None = None,
    change_mass_kg: float | None = None,
    origin_scanner: str | ScannerModel | None = None,
    arrival_scanner: str | ScannerModel | None = None,
    benign: bool = True,
    grid_mm: float = 5.0,
) -> PairSample:
    """Origin scan + arrival scan of one container, optionally with a concealment added/removed.

    ``benign=False`` switches off settling, moisture, chassis and door-hardware differences (the
    scanners, directions, noise and line-speed still differ).
    """
    rng = np.random.default_rng(seed)
    contents = contents or random_contents(rng)
    osc = origin_scanner or str(rng.choice(ORIGIN_SCANNERS))
    asc = arrival_scanner or str(rng.choice(ARRIVAL_SCANNERS))
    kinds = ["door", "cargo", "floor", "wall"] + (["reefer"] if contents.reefer else [])
    if contents.commodity == "empty" or contents.fill_fraction < 0.3:
        kinds.remove("cargo")
    kind = change_kind or str(rng.choice(kinds))
    mass = float(change_mass_kg if change_mass_kg is not None else rng.uniform(10, 60))
    n_prev = len(contents.concealments)
    if change is not None:
        contents = replace(contents, concealments=(*contents.concealments, Concealment(kind, mass)))  # type: ignore[arg-type]
    base = tuple(True for _ in range(n_prev))
    pres_o = (*base, change == "removed") if change else base
    pres_a = (*base, change == "added") if change else base
    chassis_o = bool(rng.random() < 0.5)
    st_o = ScanState(present=pres_o, chassis=benign and chassis_o, door_seed=int(rng.integers(1 << 30)))
    st_a = ScanState(
        present=pres_a,
        chassis=benign and not chassis_o,
        door_seed=int(rng.integers(1 << 30)) if benign else st_o.door_seed,
        settle_seed=int(rng.integers(1 << 30)) if benign else None,
        moisture=float(rng.uniform(0.97, 1.03)) if benign else 1.0,
    )
    cid = make_container_id(rng)
    t0 = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=float(rng.uniform(0, 8000)))
    origin = render_scan(
        contents,
        osc,
        seed=int(rng.integers(1 << 31)),
        state=st_o,
        reverse=bool(rng.random() < 0.5),
        container_id=cid,
        scan_time=t0,
        grid_mm=grid_mm,
    )
    arrival = render_scan(
        contents,
        asc,
        seed=int(rng.integers(1 << 31)),
        state=st_a,
        reverse=bool(rng.random() < 0.5),
        container_id=cid,
        scan_time=t0 + timedelta(days=float(rng.uniform(10, 25))),
        grid_mm=grid_mm,
    )
    box_a = box_o = None
    if change is not None:
        box_a = arrival.extra["concealment_boxes_px"][-1]
        box_o = origin.extra["concealment_boxes_px"][-1]
    return PairSample(
        origin, arrival, contents, change, kind if change else None, mass if change else 0.0, box_a, box_o
    )


def geometry_of(scan: ScanImage) -> Geometry | None:
    g = scan.extra.get("geometry")
    return g if isinstance(g, Geometry) else None
