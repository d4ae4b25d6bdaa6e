"""Photon physics of the second simulator: element cross-sections, compounds, linac spectra, detectors.

Written independently of ``mainport.imaging.physics`` (no shared code or numbers): cross-sections per
*element* (NIST XCOM total attenuation with coherent scattering, cm2/g, read off the published tables at
18 energies), compounds by mass fraction, a polychromatic bremsstrahlung spectrum per linac pulse
(tungsten target, filtration), and an energy-integrating scintillator. Beam hardening, the material
dependence of dual-energy ratios and detector non-linearity all follow from these, nothing is added by hand.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# MeV; the table grid (log-log interpolation between points)
GRID_MEV = np.array(
    [0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
)
# fmt: off
_ELEMENT_MU: dict[str, tuple[float, ...]] = {
    "H":  (0.2944, 0.2651, 0.2429, 0.2112, 0.1893, 0.1729, 0.1599, 0.1405, 0.1263, 0.1129, 0.1027,
           0.08769, 0.06921, 0.05806, 0.05049, 0.04498, 0.03746, 0.03254),
    "C":  (0.1514, 0.1347, 0.1229, 0.1066, 0.09546, 0.08715, 0.08058, 0.07076, 0.06361, 0.05690,
           0.05179, 0.04442, 0.03562, 0.03047, 0.02708, 0.02469, 0.02154, 0.01959),
    "N":  (0.1529, 0.1353, 0.1233, 0.1068, 0.09557, 0.08719, 0.08063, 0.07081, 0.06364, 0.05693,
           0.05182, 0.04450, 0.03579, 0.03073, 0.02742, 0.02511, 0.02209, 0.02024),
    "O":  (0.1551, 0.1361, 0.1237, 0.1070, 0.09566, 0.08729, 0.08070, 0.07087, 0.06372, 0.05697,
           0.05185, 0.04459, 0.03597, 0.03102, 0.02777, 0.02552, 0.02263, 0.02089),
    "Al": (0.1704, 0.1378, 0.1223, 0.1042, 0.09276, 0.08445, 0.07802, 0.06841, 0.06146, 0.05496,
           0.05006, 0.04324, 0.03541, 0.03106, 0.02836, 0.02655, 0.02437, 0.02318),
    "Si": (0.1835, 0.1448, 0.1275, 0.1082, 0.09614, 0.08748, 0.08077, 0.07082, 0.06361, 0.05688,
           0.05183, 0.04480, 0.03678, 0.03240, 0.02967, 0.02788, 0.02574, 0.02462),
    "Cl": (0.1989, 0.1440, 0.1251, 0.1049, 0.09278, 0.08428, 0.07776, 0.06808, 0.06107, 0.05456,
           0.04969, 0.04296, 0.03530, 0.03119, 0.02870, 0.02710, 0.02524, 0.02434),
    "Ca": (0.2571, 0.1674, 0.1376, 0.1134, 0.1001, 0.09088, 0.08377, 0.07334, 0.06579, 0.05882,
           0.05360, 0.04656, 0.03856, 0.03431, 0.03176, 0.03012, 0.02829, 0.02743),
    "Fe": (0.3717, 0.1964, 0.1460, 0.1099, 0.09400, 0.08414, 0.07704, 0.06699, 0.05995, 0.05350,
           0.04883, 0.04265, 0.03621, 0.03312, 0.03146, 0.03057, 0.02991, 0.02994),
    "Cu": (0.4584, 0.2220, 0.1559, 0.1119, 0.09413, 0.08362, 0.07625, 0.06605, 0.05901, 0.05261,
           0.04803, 0.04205, 0.03599, 0.03318, 0.03177, 0.03108, 0.03074, 0.03103),
    "Cd": (1.790, 0.640, 0.340, 0.165, 0.115, 0.0928, 0.0807, 0.0668, 0.0584, 0.0514, 0.0468,
           0.0416, 0.0372, 0.0361, 0.0361, 0.0366, 0.0381, 0.0398),
    "W":  (4.438, 1.581, 0.7844, 0.3238, 0.1925, 0.1378, 0.1093, 0.08066, 0.06618, 0.05577, 0.05000,
           0.04433, 0.04075, 0.04038, 0.04103, 0.04210, 0.04472, 0.04747),
    "Pb": (5.549, 2.014, 0.9985, 0.4031, 0.2323, 0.1614, 0.1248, 0.08870, 0.07102, 0.05876, 0.05222,
           0.04606, 0.04234, 0.04197, 0.04272, 0.04391, 0.04675, 0.04972),
}
# fmt: on

# compounds by mass fraction; the simulator's solids refer to these names
COMPOUNDS: dict[str, dict[str, float]] = {
    "mild_steel": {"Fe": 0.985, "C": 0.005, "Si": 0.01},
    "corten": {"Fe": 0.975, "Cu": 0.004, "Si": 0.006, "C": 0.015},  # weathering steel (Cr/Ni ~ Fe, Cu)
    "stainless": {"Fe": 0.89, "Cu": 0.10, "Si": 0.01},  # 18/10: Cr lumped with Fe, Ni with Cu
    "aluminium": {"Al": 0.97, "Si": 0.01, "Cu": 0.02},
    "copper": {"Cu": 1.0},
    "wood": {"C": 0.50, "H": 0.06, "O": 0.43, "N": 0.01},  # cellulose/lignin
    "fruit": {"H": 0.105, "C": 0.08, "O": 0.81, "N": 0.005},  # mostly water
    "dry_organic": {"C": 0.48, "H": 0.07, "O": 0.42, "N": 0.03},  # beans, cocoa, paper, cardboard
    "plastic": {"C": 0.857, "H": 0.143},  # polyethylene, foam, liners
    "rubber": {"C": 0.80, "H": 0.09, "O": 0.02, "Si": 0.04, "Ca": 0.05},  # tyre compound with fillers
    "ceramic": {"O": 0.48, "Si": 0.30, "Al": 0.12, "Ca": 0.10},
    "water": {"H": 0.1119, "O": 0.8881},
    "diesel": {"C": 0.86, "H": 0.14},
    "cocaine_hcl": {"C": 0.600, "H": 0.065, "N": 0.041, "O": 0.188, "Cl": 0.106},
    "lead": {"Pb": 1.0},
    "cdwo4": {"Cd": 0.312, "W": 0.511, "O": 0.177},
    "tungsten": {"W": 1.0},
}
MATERIALS: tuple[str, ...] = tuple(k for k in COMPOUNDS if k not in ("cdwo4", "tungsten"))


def mu_rho(compound: str, energies: np.ndarray) -> np.ndarray:
    """Mass attenuation coefficient (cm2/g) of a compound at ``energies`` (MeV), log-log interpolated."""
    out = np.zeros(len(energies))
    le = np.log(np.clip(energies, GRID_MEV[0], GRID_MEV[-1]))
    for element, frac in COMPOUNDS[compound].items():
        table = np.log(np.array(_ELEMENT_MU[element]))
        out += frac * np.exp(np.interp(le, np.log(GRID_MEV), table))
    return out


@lru_cache(maxsize=64)
def spectrum(
    endpoint_mev: float, target_gcm2: float = 2.0, filter_fe_gcm2: float = 8.0, n: int = 26
) -> tuple[np.ndarray, np.ndarray]:
    """Bremsstrahlung photon fluence per energy bin of a linac pulse (normalised to sum 1).

    Thin-target shape ``(1/E) (1 - E/E0)^1.3`` hardened by self-absorption in the tungsten target and an
    iron filter (the collimator/flattening path). Returns (bin centres in MeV, relative fluence)."""
    edges = np.geomspace(0.12, endpoint_mev, n + 1)
    e = np.sqrt(edges[:-1] * edges[1:])
    width = np.diff(edges)
    shape = (1.0 / e) * np.clip(1.0 - e / endpoint_mev, 0.0, None) ** 1.3 * width
    shape *= np.exp(-mu_rho("tungsten", e) * target_gcm2 - mu_rho("mild_steel", e) * filter_fe_gcm2)
    return e, shape / shape.sum()


def detector_weight(energies: np.ndarray, crystal_mm: float) -> np.ndarray:
    """Energy deposited per incident photon in a CdWO4 crystal of depth ``crystal_mm`` (energy-integrating).

    A fraction of the interaction energy escapes (Compton electrons, annihilation photons), more at high
    energies; modelled as a deposition efficiency falling from 0.9 to 0.6 between 0.5 and 9 MeV."""
    absorbed = 1.0 - np.exp(-mu_rho("cdwo4", energies) * 7.9 * crystal_mm / 10.0)
    deposit = np.interp(np.log(energies), np.log([0.5, 9.0]), [0.9, 0.6])
    return energies * absorbed * deposit


def beam_table(
    endpoint_mev: float, crystal_mm: float, materials: tuple[str, ...] = MATERIALS
) -> tuple[np.ndarray, np.ndarray]:
    """(weights per bin, mu/rho matrix bins x materials) of a scanner channel; weights sum to 1."""
    e, fluence = spectrum(float(endpoint_mev))
    w = fluence * detector_weight(e, crystal_mm)
    mu = np.stack([mu_rho(m, e) for m in materials], axis=1)
    return (w / w.sum()).astype(np.float32), mu.astype(np.float32)


def transmit(areal: np.ndarray, weights: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Polychromatic transmitted fraction of each pixel.

    ``areal``: (materials, rows, cols) areal densities in g/cm2. Returns (rows, cols) float32 in (0, 1]:
    sum over bins of weight x exp(-sum_m mu_m(E) x areal_m). In-place float32 arithmetic per bin (a
    matrix product with an inner dimension of four is slower than this)."""
    used = [i for i in range(areal.shape[0]) if areal[i].any()]
    out = np.zeros(areal.shape[1:], np.float32)
    if not used:
        out[:] = float(weights.sum())
        return out
    tmp = np.empty_like(out)
    term = np.empty_like(out)
    for e in range(len(weights)):
        np.multiply(areal[used[0]], np.float32(-mu[e, used[0]]), out=tmp)
        for i in used[1:]:
            np.multiply(areal[i], np.float32(-mu[e, i]), out=term)
            tmp += term
        np.exp(tmp, out=tmp)
        tmp *= np.float32(weights[e])
        out += tmp
    return out
