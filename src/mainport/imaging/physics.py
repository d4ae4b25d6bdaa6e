"""X-ray physics for MeV cargo scanners (pure functions).

Mass attenuation coefficients mu/rho (cm2/g) from NIST XCOM (total with coherent) at a few photon
energies. A linac with end-point energy E emits a bremsstrahlung spectrum; we use one effective
photon energy (about 0.4 E) per scanner and a beam-hardening curve on top, which is enough to make
the intensity mapping between two scanners non-linear and material dependent.
"""

from __future__ import annotations

import numpy as np

MATERIALS = ("organic", "steel", "mineral")

_E = np.array([0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0])
# organic ~ cellulose/water mix (water * 0.98); steel = Fe; mineral ~ Al/SiO2 (ceramics, aluminium).
_MU = {
    "organic": np.array([0.0950, 0.0693, 0.0564, 0.0484, 0.0389, 0.0333, 0.0297, 0.0271, 0.0238, 0.0218]),
    "steel": np.array([0.0840, 0.0599, 0.0488, 0.0426, 0.0362, 0.0331, 0.0314, 0.0305, 0.0299, 0.0299]),
    "mineral": np.array([0.0844, 0.0615, 0.0500, 0.0432, 0.0354, 0.0311, 0.0284, 0.0266, 0.0244, 0.0232]),
}
EFFECTIVE_FRACTION = 0.4  # effective photon energy / linac end-point energy (thin objects)

DENSITY_G_CM3 = {"steel": 7.85, "drug": 1.2, "water": 1.0, "plywood": 0.7, "ceramic": 2.0}


def effective_energy(endpoint_mev: float) -> float:
    return max(0.5, EFFECTIVE_FRACTION * float(endpoint_mev))


def mass_attenuation(material: str, endpoint_mev: float) -> float:
    """Effective mu/rho (cm2/g) of ``material`` for a linac of the given end-point energy."""
    e = effective_energy(endpoint_mev)
    return float(np.exp(np.interp(np.log(e), np.log(_E), np.log(_MU[material]))))


def beam_hardening_coeff(endpoint_mev: float) -> float:
    """Hardening strength: lower energies harden more (relative) through thick cargo."""
    return float(0.12 / (1.0 + 0.15 * endpoint_mev))


def harden(a_lin: np.ndarray, beta: float) -> np.ndarray:
    """Monotone concave map of linear attenuation -> effective attenuation (beam hardening)."""
    if beta <= 0:
        return a_lin
    return np.log1p(beta * a_lin) / beta


def attenuation(channels: dict[str, np.ndarray], endpoint_mev: float) -> np.ndarray:
    """Sum of mu_m * areal_density_m (g/cm2) over materials -> linear attenuation (dimensionless)."""
    out: np.ndarray | None = None
    for m in MATERIALS:
        ch = channels.get(m)
        if ch is None:
            continue
        term = ch * np.float32(mass_attenuation(m, endpoint_mev))
        out = term if out is None else out + term
    if out is None:
        raise ValueError("no material channels")
    return out
