"""Analyst overlay: origin and arrival aligned on the same grid, differences in colour, boxes drawn.

``render_overlay`` returns an RGB uint8 array (rows, cols, 3): top = origin, middle = arrival (mapped
into the origin's geometry and grey scale), bottom = arrival with added material in red and removed
material in blue. Change boxes are outlined in all three panels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mainport.imaging.compare import Comparison


def _grey(a: np.ndarray, hi: float) -> np.ndarray:
    # display like a radiograph: air white, dense dark (log attenuation -> brightness)
    return np.clip(1.0 - a / hi, 0.0, 1.0)


def _outline(img: np.ndarray, box: tuple[int, int, int, int], colour: tuple[float, float, float]) -> None:
    x0, y0, x1, y1 = box
    h, w = img.shape[:2]
    x0, x1 = max(0, x0 - 2), min(w - 1, x1 + 1)
    y0, y1 = max(0, y0 - 2), min(h - 1, y1 + 1)
    img[y0, x0 : x1 + 1] = colour
    img[y1, x0 : x1 + 1] = colour
    img[y0 : y1 + 1, x0] = colour
    img[y0 : y1 + 1, x1] = colour


def render_overlay(comparison: Comparison, gap: int = 6) -> np.ndarray:
    """RGB uint8 overlay of a :class:`Comparison` (see module docstring for the layout)."""
    o, a = comparison.origin_aligned, comparison.arrival_aligned
    hi = float(max(np.percentile(o, 99.5), 1.0))
    go, ga = _grey(o, hi), _grey(a, hi)
    top = np.repeat(go[..., None], 3, axis=2)
    mid = np.repeat(ga[..., None], 3, axis=2)
    z = comparison.change_z
    strength = np.clip(np.abs(z) / 10.0, 0, 1)[..., None]
    red = np.array([1.0, 0.1, 0.1])
    blue = np.array([0.1, 0.4, 1.0])
    colour = np.where((z > 0)[..., None], red, blue)
    diff = mid * 0.6 * (1 - strength) + colour * strength
    for r in comparison.regions:
        c = (1.0, 0.85, 0.0) if r.sign == "added" else (0.0, 0.9, 0.9)
        for panel in (top, mid, diff):
            _outline(panel, r.box_work, c)
    sep = np.ones((gap, o.shape[1], 3))
    img = np.concatenate([top, sep, mid, sep, diff], axis=0)
    return (img * 255).round().astype(np.uint8)


def save_overlay(comparison: Comparison, path: str | Path) -> Path:
    from PIL import Image

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(render_overlay(comparison)).save(p, format="PNG")
    return p
