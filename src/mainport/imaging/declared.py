"""Single-scan plausibility check against the declared commodity.

Heuristic (no origin scan needed): after normalisation, look for compact blocks that are denser than
their surroundings by more than the declared cargo explains (white top-hat of the attenuation), and
for load in a container declared empty. Returns a score in [0, 1] and candidate boxes (image pixels).
This is a triage aid, not a classifier: it has not been calibrated on real images.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage as ndi

from mainport.imaging.meta import ScanImage
from mainport.imaging.normalise import find_container, log_attenuation, resample

Box = tuple[int, int, int, int]
# typical (median attenuation of loaded cargo at ~6 MeV, how much compact excess is normal) per commodity
_EXPECT = {
    "bananas": (2.5, 0.35),
    "cocoa": (4.0, 0.8),
    "coffee": (4.5, 0.8),
    "tiles": (5.0, 1.5),
    "machinery": (1.5, 3.0),
    "furniture": (0.8, 0.8),
    "empty": (0.1, 0.15),
}


@dataclass
class SingleScanResult:
    score: float
    regions: list[Box] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def check_declared(scan: ScanImage, commodity: str, work_mm: float = 10.0) -> SingleScanResult:
    """Does the image fit the declared commodity? ``commodity`` is one of the renderer's commodity
    names (unknown names use a permissive default)."""
    a = log_attenuation(scan.pixels)
    box = find_container(a)
    ph, pv = scan.meta.pixel_pitch_mm
    n_cols = max(16, round((box.x1 - box.x0) * ph / work_mm))
    n_rows = max(16, round((box.y1 - box.y0) * pv / work_mm))
    rows = box.y0 + (np.arange(n_rows) + 0.5) * (box.y1 - box.y0) / n_rows - 0.5
    cols = box.x0 + (np.arange(n_cols) + 0.5) * (box.x1 - box.x0) / n_cols - 0.5
    w = resample(a, rows, cols, ((box.y1 - box.y0) / n_rows, (box.x1 - box.x0) / n_cols))
    # skip roof/floor structure (25 cm) and the end frames / reefer machinery (50 cm): dense hardware
    # there is normal and would dominate a single-scan check
    inner = w[25:-25, 50:-50]
    _level, allowed = _EXPECT.get(commodity, (2.0, 1.5))
    reasons: list[str] = []
    found: list[tuple[float, Box]] = []
    evidence = 0.0
    if commodity == "empty":
        load = float(np.mean(inner > 0.35))
        if load > 0.03:
            reasons.append(f"declared empty but {load:.0%} of the interior attenuates like cargo")
            evidence += 20 * load
    # compact excess: white top-hat with a 60 cm element, blocks 10-80 cm that are denser than around
    sm = ndi.gaussian_filter(inner, 1.5)
    tophat = sm - ndi.grey_opening(sm, size=(61, 61))
    mask = tophat > allowed
    lab, _n = ndi.label(mask)
    for k, sl in enumerate(ndi.find_objects(lab), start=1):
        if sl is None:
            continue
        hgt, wid = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
        area = int((lab[sl] == k).sum())
        if not (10 <= hgt <= 80 and 10 <= wid <= 120) or area < 0.5 * hgt * wid:
            continue  # not a compact block (seams, pallet edges, long beams)
        excess = float(tophat[sl][lab[sl] == k].mean() - allowed)
        ev = area * excess / 100.0
        evidence += ev
        y0, x0 = sl[0].start + 25, sl[1].start + 50
        fx, fy = (box.x1 - box.x0) / n_cols, (box.y1 - box.y0) / n_rows
        found.append(
            (
                ev,
                (
                    int(box.x0 + x0 * fx),
                    int(box.y0 + y0 * fy),
                    int(box.x0 + (x0 + wid) * fx) + 1,
                    int(box.y0 + (y0 + hgt) * fy) + 1,
                ),
            )
        )
    regions = [b for _ev, b in sorted(found, key=lambda t: -t[0])]
    if regions:
        reasons.append(f"{len(regions)} compact dense block(s) not typical of {commodity}")
    score = float(1.0 - np.exp(-evidence / 5.0))
    return SingleScanResult(score=score, regions=regions[:10], reasons=reasons)
