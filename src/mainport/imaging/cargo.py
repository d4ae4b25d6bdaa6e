"""Cargo of the own renderer's phantom (:mod:`scene`): a list of units, each a textured patch (pallets of
cartons, sacks, tiles, machinery, furniture); settling moves units as a whole."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.random import Generator

from mainport.imaging.canvas import FLOOR_TOP_MM, WIDTH_CM, Canvas, blob, rng_for, smooth_noise

if TYPE_CHECKING:
    from mainport.imaging.scene import ContainerContents


@dataclass
class Unit:
    mat: str
    x0: float
    y1: float  # top edge
    patch: np.ndarray
    organic_cargo: bool = True
    settles_down: bool = True


def cargo_span(c: ContainerContents) -> tuple[float, float]:
    """Usable floor between the doors and the front wall (or reefer bulkhead)."""
    front = c.length_mm - (440.0 if c.reefer else 160.0)
    return 160.0, front


def pallet_boxes(
    cv: Canvas, rng: Generator, w_mm: float, h_mm: float, areal: float, box_h: float, box_w: float
) -> np.ndarray:
    """Stack of cartons on a pallet (one pallet deep along the beam) with seams and texture."""
    h, w = cv.cells(h_mm), cv.cells(w_mm)
    p = np.full((h, w), areal, np.float32) * smooth_noise(rng, (h, w), cv.cells(120), 0.06)
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


def cargo_units(cv: Canvas, c: ContainerContents) -> list[Unit]:
    rng = rng_for("cargo", c.layout_seed, c.commodity, c.size_ft, c.reefer)
    start, front = cargo_span(c)
    fill = float(np.clip(c.fill_fraction, 0.0, 1.0))
    x_end = front - fill * (front - start)  # loaded from the front towards the doors
    y_floor = FLOOR_TOP_MM
    room = c.height_mm - 80 - y_floor
    units: list[Unit] = []
    com = c.commodity
    if com in ("bananas", "tiles"):
        pal_h = min(room - 100, 2250.0) if com == "bananas" else rng.uniform(650, 950)
        layers = 2 if com == "bananas" else 1  # pallets across the width (tiles: weight limited)
        for layer in range(layers):
            x = front - rng.uniform(0, 60)
            while x - 1200 >= x_end - 1:
                if com == "bananas":
                    p = pallet_boxes(cv, rng, 1200, pal_h, 100 * 0.33, 240, 400)
                    mat = "organic"
                else:
                    p = pallet_boxes(cv, rng, 1150, pal_h, 100 * 1.4, 90, 575)
                    mat = "mineral"
                # pallets slide a little but do not sink (their base stands on the floor)
                units.append(Unit(mat, x - 1200, y_floor + pal_h, p, com == "bananas", settles_down=False))
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
                    p = blob(cv.cells(bh * 1.1), cv.cells(bw)) * areal
                    p *= smooth_noise(rng, p.shape, cv.cells(100), 0.05)
                    units.append(Unit("organic", x - bw, y + bh * 1.1, p))
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
                units.append(Unit("organic", x - bw, y + bh, p))
                if rng.random() < 0.3:  # steel frame/legs
                    q = np.zeros((h, w), np.float32)
                    q[:, : cv.cells(20)] += 2.0
                    q[:, -cv.cells(20) :] += 2.0
                    q[-cv.cells(20) :, :] += 2.0
                    units.append(Unit("steel", x - bw, y + bh, q, organic_cargo=False))
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
            units.append(Unit("organic", xs, y_floor + chh, crate, settles_down=False))
            if com == "machinery":
                m = np.zeros((h, w), np.float32)
                for _ in range(int(rng.integers(2, 6))):
                    bh, bw = int(rng.integers(h // 5, h - 3)), int(rng.integers(w // 5, w - 3))
                    r0, c0 = int(rng.integers(2, h - bh)), int(rng.integers(2, w - bw))
                    if rng.random() < 0.5:
                        m[r0 : r0 + bh, c0 : c0 + bw] += rng.uniform(8, 45)
                    else:
                        m[r0 : r0 + bh, c0 : c0 + bw] += blob(bh, bw) * rng.uniform(15, 70)
                units.append(Unit("steel", xs, y_floor + chh, m, organic_cargo=False, settles_down=False))
            else:
                units.append(Unit("organic", xs, y_floor + chh, crate * 4, settles_down=False))
    return units
