"""A second X-ray cargo simulator, designed and written independently of mainport's own renderer.

Its purpose is to expose overfitting: the comparison and the single-scan analysis are tuned on one
simulator and reported on the other. Nothing here is shared with ``scene.py``, ``scanner.py``,
``render.py`` or ``physics.py`` (no code, no numbers); only the output contract is common
(:class:`mainport.imaging.meta.ScanImage`: 16-bit transmitted intensity, metadata, optional second energy
channel). The product never imports this package; benchmarks and tests do.

Differences from the first renderer, on purpose: 3-D solids projected through a fan beam (depth-dependent
magnification, oblique rays, partial volume of edge-on plates) instead of a 2-D areal-density grid;
element cross-sections and polychromatic linac spectra (beam hardening and dual-energy ratios emerge)
instead of one effective energy; scatter, detector lag/afterglow (interleaved between dual-energy pulses),
crosstalk, residual gain/offset errors, dead and hot rows, 14-bit ADCs, vendor sharpening or median
filters, one vendor that writes the travel axis as rows; trucks (tractor, skeletal or flatbed trailers,
axles, tyres, landing legs, fuel tanks, gensets) in portals and none at gantries; four container makers
and four reefer machinery layouts; loads that slide, lean, settle and drop a package; partial scans and
cut-off ends; concealments in six places, 5-60 kg, some replacing cargo.
"""

from mainport.imaging.sim2.pairs import Sim2Pair, simulate_pair
from mainport.imaging.sim2.scanners import ARRIVAL_SCANNERS, INSTALLATIONS, ORIGIN_SCANNERS, Installation

__all__ = [
    "ARRIVAL_SCANNERS",
    "INSTALLATIONS",
    "ORIGIN_SCANNERS",
    "Installation",
    "Sim2Pair",
    "simulate_pair",
]
