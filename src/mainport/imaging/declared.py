"""Single-scan analysis: does the image fit the declared commodity, and where are dense anomalies?

No origin scan is needed (origin scans are read before the vessel sails). The scan is prepared and its
container located without the vehicle like a comparison (:mod:`prepare`, :mod:`locate`: transposed
rasters, bad rows, trucks and trailers), resampled to a 10 mm grid, and two kinds of evidence are summed:

* **Commodity fit**: compact blocks denser than their surroundings by more than the declared cargo
  explains (white top-hat of the attenuation against an absolute allowance per commodity), and load in a
  container declared empty. A box of tiles declared as bananas fails here.
* **Anomalies by zone**: the same top-hat standardised by its robust scale *within each zone* of the
  container (door end, front end / reefer machinery, roof band, floor band), so a block of bricks stands
  out against what is normal in that zone: door frames and locking bars at the door end, compressor and
  coils in a reefer unit, cross-members in the floor. Streaks (seams, bars, rails) and outlines are
  dropped; a block must be compact and fill its box. The cargo space is left to the commodity fit: its
  pallets and cartons are compact dense blocks themselves.

The score is ``1 - exp(-evidence)``; regions come back in the stored image's pixels with their zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage as ndi

from mainport.imaging.errors import ComparisonError
from mainport.imaging.locate import locate
from mainport.imaging.meta import ScanImage
from mainport.imaging.normalise import resample
from mainport.imaging.prepare import prepare

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
WORK_MM = 10.0
END_ZONE_MM = 600.0  # door frame / reefer machinery at each end
ROOF_MM = 250.0
FLOOR_MM = 300.0
Z_SEED = 4.0  # robust z of the zone top-hat for an anomaly core
Z_GROW = 2.5
Z_CAP = 12.0
ANOMALY_SCALE = 60.0  # evidence units: sum of capped z over a block's core, in cm2, per unit of score
ANOMALY_MIN_CM2 = 100.0
CARGO_ZONE = "walls and cargo"  # a 5 kg block of bricks covers ~250 cm2 seen from the side


@dataclass
class SingleScanResult:
    score: float
    regions: list[Box] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)  # zone of each region (same order)


def _zones(shape: tuple[int, int]) -> list[tuple[str, np.ndarray]]:
    rows, cols = shape
    ez, rz, fz = (max(2, round(mm / WORK_MM)) for mm in (END_ZONE_MM, ROOF_MM, FLOOR_MM))
    r, c = np.arange(rows)[:, None], np.arange(cols)[None, :]
    ends = (c < ez) | (c >= cols - ez)
    zones = [
        ("end (left)", np.broadcast_to(c < ez, shape)),
        ("end (right)", np.broadcast_to(c >= cols - ez, shape)),
        ("roof", np.broadcast_to((r < rz) & ~ends, shape)),
        ("floor", np.broadcast_to((r >= rows - fz) & ~ends, shape)),
    ]
    rest = np.ones(shape, bool)
    for _n, m in zones:
        rest &= ~m
    return [*zones, (CARGO_ZONE, rest)]


def _compact(sl: tuple[slice, slice], area: int, min_px: int, max_px: int) -> bool:
    h, w = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
    if not (min_px <= h <= max_px and min_px <= w <= 1.5 * max_px):
        return False
    if max(h, w) > 6 * min(h, w):  # streaks: seams, locking bars, rails, cross-members
        return False
    return area >= 0.5 * h * w


def check_declared(scan: ScanImage, commodity: str) -> SingleScanResult:
    """Does the image fit the declared commodity, and where are dense anomalies? ``commodity`` is one of
    the analysis' cargo classes (unknown names use a permissive default). Raises
    :class:`ComparisonError` when the scan holds no container."""
    p = prepare(scan)
    loc = locate(p.a, p.pitch)
    ph, pv = p.pitch
    if (loc.x1 - loc.x0) * ph < 2500 or (loc.y1 - loc.y0) * pv < 1500:
        raise ComparisonError(
            f"no container found in the scan of {scan.meta.container_id}: vehicle only, empty lane, "
            "or wrong pixel pitch in the metadata"
        )
    # the container body: roof line down to the bottom rail (the under-floor band, where a vehicle may
    # be, is not part of a single-scan verdict)
    y1 = loc.band_end if loc.floor_found and loc.band_end > loc.y0 else loc.y1
    n_cols = max(32, round((loc.x1 - loc.x0) * ph / WORK_MM))
    n_rows = max(32, round((y1 - loc.y0) * pv / WORK_MM))
    fx, fy = (loc.x1 - loc.x0) / n_cols, (y1 - loc.y0) / n_rows
    rows = loc.y0 + (np.arange(n_rows) + 0.5) * fy - 0.5
    cols = loc.x0 + (np.arange(n_cols) + 0.5) * fx - 0.5
    w = resample(p.a, rows, cols, (fy, fx))
    sm = ndi.gaussian_filter(w, 1.5)
    tophat = sm - ndi.grey_opening(sm, size=(61, 61))
    reasons: list[str] = []
    found: list[tuple[float, Box, str]] = []

    def to_image(sl: tuple[slice, slice]) -> Box:
        box = (
            int(loc.x0 + sl[1].start * fx),
            int(loc.y0 + sl[0].start * fy),
            int(loc.x0 + sl[1].stop * fx) + 1,
            int(loc.y0 + sl[0].stop * fy) + 1,
        )
        return p.to_input_box(box)

    # --- commodity fit (interior only: structure at the ends, roof and floor is normal)
    inner = (slice(25, n_rows - 25), slice(50, n_cols - 50))
    _level, allowed = _EXPECT.get(commodity, (2.0, 1.5))
    fit_ev = 0.0
    if commodity == "empty":
        load = float(np.mean(w[inner] > 0.35))
        if load > 0.03:
            reasons.append(f"declared empty but {load:.0%} of the interior attenuates like cargo")
            fit_ev += 4 * load
    th_in = np.zeros_like(tophat)
    th_in[inner] = tophat[inner]
    lab, _n = ndi.label(th_in > allowed)
    n_fit = 0
    for k, sl in enumerate(ndi.find_objects(lab), start=1):
        if sl is None:
            continue
        m = lab[sl] == k
        hgt, wid = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
        if not (10 <= hgt <= 80 and 10 <= wid <= 120) or m.sum() < 0.5 * hgt * wid:
            continue  # not a compact block (seams, pallet edges, long beams)
        ev = float(m.sum()) * float(tophat[sl][m].mean() - allowed) / 500.0
        fit_ev += ev
        n_fit += 1
        found.append((ev, to_image(sl), "cargo space"))
    if n_fit:
        reasons.append(f"{n_fit} compact dense block(s) not typical of {commodity}")

    # --- anomalies by zone: the top-hat against what is normal in that zone (photon-starved pixels,
    # attenuation above 8, carry no information)
    sm = ndi.gaussian_filter(np.minimum(w, 8.0), 1.5)
    tophat = sm - ndi.grey_opening(sm, size=(61, 61))
    z = np.zeros_like(tophat)
    for _name, mask in _zones(tophat.shape):
        vals = tophat[mask]
        if vals.size < 200:
            continue
        med = float(np.median(vals))
        scale = 1.4826 * float(np.median(np.abs(vals - med))) + 0.02
        z[mask] = (tophat[mask] - med) / scale
    core = ndi.binary_opening(z > Z_SEED, structure=np.ones((3, 3), bool))
    grow = (z > Z_GROW) | core
    lab, _n = ndi.label(grow)
    zone_of = _zones(tophat.shape)
    cell_cm2 = (WORK_MM / 10.0) ** 2
    min_px, max_px = 6, round(1200.0 / WORK_MM)
    anomaly_ev, anomaly_zone = 0.0, ""
    for k, sl in enumerate(ndi.find_objects(lab), start=1):
        if sl is None:
            continue
        m = lab[sl] == k
        c = core[sl] & m
        if not c.any() or not _compact(sl, int(m.sum()), min_px, max_px):
            continue
        area = float(m.sum()) * cell_cm2
        if area < ANOMALY_MIN_CM2:
            continue
        ev = float(np.minimum(z[sl][c], Z_CAP).sum()) * cell_cm2 / ANOMALY_SCALE / 100.0
        cy, cx = (sl[0].start + sl[0].stop) // 2, (sl[1].start + sl[1].stop) // 2
        zone = next(name for name, mask in zone_of if mask[cy, cx])
        if zone == CARGO_ZONE:  # pallets and cartons are compact dense blocks too: the fit test judges them
            continue
        if ev > anomaly_ev:  # the strongest block decides: many weak ones are texture
            anomaly_ev, anomaly_zone = ev, zone
        found.append((ev, to_image(sl), zone))
    if anomaly_ev > 0.5:
        reasons.append(f"dense block unusual for its place ({anomaly_zone})")
    ordered = sorted(found, key=lambda t: -t[0])[:10]
    score = float(1.0 - np.exp(-(fit_ev + anomaly_ev)))
    return SingleScanResult(
        score=score,
        regions=[b for _e, b, _z in ordered],
        reasons=reasons,
        zones=[zn for _e, _b, zn in ordered],
    )
