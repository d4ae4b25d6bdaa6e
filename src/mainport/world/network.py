"""The network: ports and terminals, carriers, trade lanes into each hub, liner services and their vessels.

Ports known to `mainport.reference.locations` are used from there; this module only adds the origin ports
outside Latin America that the legitimate lanes need (Asia, North America, West Africa, Europe), with real
UN/LOCODEs, and the world-specific structure (lanes, services).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from mainport.reference.locations import LOCATIONS, SITES
from mainport.reference.nodes import NODES
from mainport.reference.vessels import make_imo

# UN/LOCODE -> name for ports of the legitimate lanes that reference.locations does not list.


def port_name(code: str) -> str:
    loc = LOCATIONS.get(code)
    return loc.name if loc else code


def port_country(code: str) -> str:
    return code[:2]


# Terminal per hub port for discharge. Dutch terminals come from reference.locations; foreign ports get one
# terminal code of our own (TERMINAL_OF_PORT), used in eventLocation.facilityCode.
def hub_terminals(hub: str) -> list[tuple[str, str]]:
    """(UN/LOCODE, facility code) pairs where a hub discharges; Schiphol uses its site."""
    if hub == "schiphol":
        site = SITES["SCHIPHOL"]
        return [(site.unlocode, t) for t in site.terminals]
    pairs: list[tuple[str, str]] = []
    for code in NODES[hub].locations:
        loc = LOCATIONS[code]
        pairs.extend((code, t) for t in loc.terminals) if loc.terminals else pairs.append((code, ""))
    return pairs


def foreign_facility(code: str) -> str:
    """Our own short terminal code for a foreign port (not an SMDG entry)."""
    return f"{code[2:]}CT"


# Rotterdam's volume spread over its terminals (deep-sea terminals take most of it).
TERMINAL_WEIGHTS = {"ECTDE": 0.36, "APMII": 0.22, "RWG": 0.22, "EUROM": 0.20, "KLOOS": 0.6, "VCT": 0.4}

# Carriers (SCAC), their container owner prefixes (dry, reefer) and seal prefixes.
CARRIERS: dict[str, tuple[str, str, str]] = {
    "MAEU": ("MSK", "MNB", "ML"),
    "MSCU": ("MSC", "MED", "MS"),
    "CMDU": ("CMA", "CXR", "CM"),
    "HLCU": ("HLX", "HLB", "HL"),
    "ONEY": ("ONE", "ONE", "ON"),
    "EGLV": ("EGH", "EMC", "EG"),
    "COSU": ("CSN", "CBH", "CS"),
    "SMLU": ("SML", "SZL", "SE"),  # Seatrade-like reefer operator
}
LESSOR_PREFIXES = ("TGH", "TCL", "TRH", "SEG", "FSC")


@dataclass(frozen=True)
class Origin:
    port: str
    weight: float
    shipper_country: str  # differs from the port's country for land-locked Bolivia and Paraguay
    feeder_to: str = ""  # a river/feeder leg to this transhipment port is always needed


@dataclass(frozen=True)
class Lane:
    code: str
    origins: tuple[Origin, ...]
    transit_days: float
    tranship: tuple[str, ...]
    tranship_share: float
    commodities: tuple[tuple[str, float], ...]
    carriers: tuple[str, ...]
    latam: bool = False


def _o(port: str, weight: float, country: str = "", feeder_to: str = "") -> Origin:
    return Origin(port, weight, country or port[:2], feeder_to)


LANES: dict[str, Lane] = {
    lane.code: lane
    for lane in (
        Lane(
            "asia",
            (
                _o("CNSHA", 3),
                _o("CNNGB", 2),
                _o("CNYTN", 2),
                _o("SGSIN", 1.5),
                _o("KRPUS", 1),
                _o("MYPKG", 1),
                _o("VNSGN", 1),
            ),
            32,
            ("SGSIN",),
            0.15,
            (
                ("electronics", 3),
                ("textiles", 2),
                ("furniture", 2),
                ("machinery", 2),
                ("toys", 1),
                ("tiles", 0.6),
                ("plastics", 1),
                ("auto_parts", 1),
            ),
            ("MSCU", "MAEU", "CMDU", "COSU", "ONEY", "EGLV"),
        ),
        Lane(
            "europe",
            (
                _o("GBFXT", 2),
                _o("IEDUB", 1),
                _o("SEGOT", 1),
                _o("PLGDN", 1),
                _o("NOOSL", 0.5),
                _o("ESVLC", 1),
            ),
            2,
            (),
            0.0,
            (("general", 3), ("plastics", 1), ("machinery", 1), ("paper", 1), ("beverages", 1)),
            ("MAEU", "MSCU", "CMDU", "HLCU"),
        ),
        Lane(
            "north_america",
            (_o("USNYC", 2), _o("USSAV", 1), _o("CAMTR", 1)),
            11,
            (),
            0.0,
            (("machinery", 2), ("general", 2), ("paper", 1), ("frozen_meat", 0.5), ("plastics", 1)),
            ("MAEU", "HLCU", "CMDU", "MSCU"),
        ),
        Lane(
            "middle_east_india",
            (_o("AEJEA", 1), _o("INNSA", 1)),
            20,
            (),
            0.0,
            (("textiles", 2), ("general", 2), ("chemicals", 1), ("tiles", 0.5)),
            ("MSCU", "MAEU", "CMDU"),
        ),
        Lane(
            "west_africa",
            (_o("CIABJ", 2), _o("GHTEM", 1.5), _o("CMDLA", 1)),
            14,
            ("MAPTM",),
            0.3,
            (("cocoa_beans", 4), ("cocoa_butter", 1), ("timber", 1), ("pineapples", 0.5), ("bananas", 0.5)),
            ("MSCU", "MAEU", "CMDU"),
        ),
        Lane(
            "latam_west",
            (
                _o("ECGYE", 4),
                _o("ECPBO", 2),
                _o("PECLL", 2),
                _o("PEPAI", 1),
                _o("COBUN", 1),
                _o("CLSAI", 1),
                _o("CLARI", 0.4, "BO"),
            ),
            21,
            ("PAMIT", "PABLB", "COCTG"),
            0.4,
            (
                ("bananas", 5),
                ("shrimp", 1.5),
                ("avocados", 1),
                ("fruit_other", 1),
                ("coffee", 0.5),
                ("cocoa_beans", 0.5),
                ("general", 0.5),
            ),
            ("MSCU", "MAEU", "CMDU", "HLCU", "SMLU"),
            True,
        ),
        Lane(
            "latam_caribbean",
            (
                _o("COCTG", 2),
                _o("COSMR", 1.5),
                _o("COTRB", 1.5),
                _o("CRMOB", 3),
                _o("PAMIT", 1),
                _o("DOCAU", 1),
                _o("GTSTC", 1),
                _o("HNPCR", 1),
                _o("JMKIN", 0.5),
                _o("MXZLO", 0.5),
            ),
            14,
            ("COCTG", "DOCAU", "JMKIN", "PAMIT"),
            0.3,
            (
                ("bananas", 5),
                ("pineapples", 2),
                ("coffee", 1),
                ("fruit_other", 1),
                ("sugar", 0.5),
                ("general", 0.5),
            ),
            ("MSCU", "MAEU", "CMDU", "HLCU", "SMLU"),
            True,
        ),
        Lane(
            "latam_east",
            (
                _o("BRSSZ", 4),
                _o("BRPNG", 2),
                _o("BRRIG", 1),
                _o("BRSSA", 1),
                _o("UYMVD", 1),
                _o("ARBUE", 1),
                _o("PYASU", 0.6, "PY", "UYMVD"),
                _o("PYVLT", 0.3, "PY", "ARBUE"),
            ),
            16,
            ("ESALG", "MAPTM"),
            0.15,
            (
                ("coffee", 3),
                ("frozen_meat", 2),
                ("juice", 1.5),
                ("timber", 1),
                ("fruit_other", 1),
                ("general", 1),
                ("sugar", 0.5),
            ),
            ("MSCU", "MAEU", "CMDU", "HLCU"),
            True,
        ),
    )
}

# The source lanes (Latin America): where loads are hidden, besides West Africa.
LATAM_LANES = tuple(code for code, lane in LANES.items() if lane.latam)

# Share of each sea hub's boxes per lane.
HUB_LANES: dict[str, tuple[tuple[str, float], ...]] = {
    "rotterdam": (
        ("asia", 0.42),
        ("europe", 0.27),
        ("north_america", 0.08),
        ("middle_east_india", 0.07),
        ("west_africa", 0.04),
        ("latam_west", 0.035),
        ("latam_caribbean", 0.045),
        ("latam_east", 0.04),
    ),
    "zeeland_west_brabant": (
        ("latam_caribbean", 0.25),
        ("latam_west", 0.2),
        ("europe", 0.35),
        ("west_africa", 0.1),
        ("latam_east", 0.1),
    ),
    "north_sea_canal": (("west_africa", 0.45), ("latam_west", 0.1), ("latam_east", 0.05), ("europe", 0.4)),
}

# Air lanes into Schiphol: (origin airport, weight, commodity mix).
AIR_ORIGINS: tuple[tuple[str, float], ...] = (
    ("COBOG", 3),
    ("PELIM", 1.5),
    ("BRGRU", 1.5),
    ("CWCUR", 0.4),
    ("SRPBM", 0.4),
    ("BOVVI", 0.2),
    ("KENBO", 3),
    ("USMIA", 2),
    ("HKHKG", 3),
    ("AEJEA", 1),
)
AIR_CARRIERS = ("KLM", "MPH", "LAN", "AVA", "QTR", "CPA", "KQA", "DLH")
AIR_COMMODITIES: tuple[tuple[str, float], ...] = (
    ("flowers", 4),
    ("fish", 1),
    ("pharma", 1.5),
    ("electronics", 2),
    ("textiles", 1),
    ("general", 2),
)
# Outbound flower trucks from the auctions: (destination, weight).
TRUCK_DESTINATIONS: tuple[tuple[str, float], ...] = (
    ("GBHRW", 2),
    ("GBHUL", 1),
    ("GBPUF", 1),
    ("IEDUB", 0.5),
    ("DEDUS", 2),
    ("FRPAR", 1.5),
    ("ITMIL", 1),
    ("SEMMA", 0.7),
    ("NOOSL", 0.3),
)


@dataclass(frozen=True)
class Vessel:
    imo: str
    name: str
    flag: str
    carrier: str


@dataclass(frozen=True)
class Service:
    code: str
    carrier: str
    lane: str
    hub: str
    weekday: int
    vessels: tuple[Vessel, ...]


_NAME_A = ("Maersk", "MSC", "CMA CGM", "Hapag", "ONE", "Ever", "COSCO", "Seatrade")
_NAME_B = (
    "Antares",
    "Vega",
    "Lima",
    "Cartagena",
    "Santos",
    "Orinoco",
    "Andes",
    "Pacific",
    "Caribe",
    "Amazonas",
    "Humboldt",
    "Condor",
    "Atlantic",
    "Meridian",
    "Auriga",
    "Corona",
    "Lyra",
    "Orion",
    "Sirius",
    "Altair",
)
_FLAGS = ("LR", "PA", "MH", "SG", "MT", "DK", "DE", "HK", "PT", "LU")


@dataclass
class Network:
    services: list[Service]
    feeder_vessels: list[Vessel]

    def calls_on(self, hub: str, lane: str, day: int) -> list[Service]:
        return [s for s in self._by_hub_lane().get((hub, lane), []) if s.weekday == day % 7]

    @cache  # noqa: B019 - one network per world, lives as long as it
    def _by_hub_lane(self) -> dict[tuple[str, str], list[Service]]:
        out: dict[tuple[str, str], list[Service]] = {}
        for s in self.services:
            out.setdefault((s.hub, s.lane), []).append(s)
        return out

    def __hash__(self) -> int:
        return id(self)


def build_network(seed: int) -> Network:
    """Weekly services: every (hub, lane) has a call each weekday; vessels carry valid IMO numbers."""
    rng = np.random.default_rng([seed, 7001])
    imo_seeds = rng.choice(np.arange(930_000, 990_000), size=2000, replace=False)
    k = 0

    def vessel(carrier: str) -> Vessel:
        nonlocal k
        idx = list(CARRIERS).index(carrier)
        name = f"{_NAME_A[idx]} {_NAME_B[int(rng.integers(len(_NAME_B)))]} {k % 97 + 1}"[:35]
        v = Vessel(make_imo(int(imo_seeds[k])), name, str(rng.choice(_FLAGS)), carrier)
        k += 1
        return v

    services: list[Service] = []
    for hub, lanes in HUB_LANES.items():
        for lane_code, share in lanes:
            lane = LANES[lane_code]
            per_weekday = 1 if hub != "rotterdam" else max(1, round(share * 12))
            for weekday in range(7):
                for j in range(per_weekday):
                    carrier = lane.carriers[(weekday + j) % len(lane.carriers)]
                    code = f"{lane_code[:2].upper()}{hub[:1].upper()}{weekday}{j}"
                    services.append(
                        Service(
                            code, carrier, lane_code, hub, weekday, tuple(vessel(carrier) for _ in range(3))
                        )
                    )
    feeders = [vessel(c) for c in ("MAEU", "MSCU", "CMDU", "HLCU") for _ in range(6)]
    return Network(services, feeders)
