"""The commodities of legitimate trade: HS code, description, packaging, mass per package, how many fill a
box, reefer or not, and the container size-types they travel in; with column arrays indexed by commodity
for the vectorised trade of `trade`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Commodity:
    code: str
    hs: str
    description: str
    package_type: str
    kg_per_package: float  # gross, packaging included
    packages_full: int  # in a full box of the first size type (or per consignment for air/road)
    reefer: bool
    sizes: tuple[tuple[str, float], ...]


def _c(
    code: str, hs: str, desc: str, pt: str, kg: float, full: int, reefer: bool, *sizes: tuple[str, float]
) -> Commodity:
    return Commodity(code, hs, desc, pt, kg, full, reefer, sizes)


_RE = (("45R1", 0.75), ("42R1", 0.15), ("22R1", 0.10))
_HEAVY = (("22G1", 0.9), ("42G1", 0.1))
_LIGHT = (("45G1", 0.6), ("42G1", 0.25), ("22G1", 0.15))
COMMODITIES: dict[str, Commodity] = {
    c.code: c
    for c in (
        _c("bananas", "080390", "Bananas, fresh, in cartons", "CT", 19.5, 1080, True, *_RE),
        _c("pineapples", "080430", "Pineapples, fresh", "CT", 13.0, 1500, True, *_RE),
        _c("avocados", "080440", "Avocados, fresh", "CT", 4.4, 4800, True, *_RE),
        _c("fruit_other", "080450", "Mangoes, fresh", "CT", 4.6, 4400, True, *_RE),
        _c("shrimp", "030617", "Frozen shrimps and prawns", "CT", 21.0, 1100, True, *_RE),
        _c("frozen_meat", "020230", "Frozen boneless bovine meat", "CT", 27.0, 880, True, *_RE),
        _c("juice", "200911", "Frozen orange juice in drums", "DR", 270.0, 80, True, *_RE),
        _c("coffee", "090111", "Green coffee beans, not roasted", "BG", 60.7, 320, False, *_HEAVY),
        _c("cocoa_beans", "180100", "Cocoa beans, raw, in jute bags", "BG", 64.0, 270, False, *_HEAVY),
        _c("cocoa_butter", "180400", "Cocoa butter", "CT", 25.5, 760, False, *_HEAVY),
        _c("sugar", "170114", "Raw cane sugar", "BG", 50.3, 440, False, *_HEAVY),
        _c(
            "timber",
            "440729",
            "Sawn tropical hardwood",
            "PK",
            1150.0,
            21,
            False,
            ("42G1", 0.5),
            ("45G1", 0.5),
        ),
        _c("tiles", "690721", "Ceramic floor tiles", "PL", 1100.0, 20, False, *_HEAVY),
        _c("electronics", "851762", "Network and telephone apparatus", "CT", 8.2, 1200, False, *_LIGHT),
        _c("textiles", "620342", "Men's cotton trousers", "CT", 12.0, 1000, False, *_LIGHT),
        _c("furniture", "940360", "Wooden furniture", "PK", 38.0, 320, False, *_LIGHT),
        _c(
            "machinery",
            "847989",
            "Machines and mechanical appliances",
            "CS",
            850.0,
            12,
            False,
            ("42G1", 0.7),
            ("22G1", 0.3),
        ),
        _c("toys", "950300", "Toys", "CT", 6.0, 1400, False, *_LIGHT),
        _c(
            "plastics",
            "390110",
            "Polyethylene granules",
            "BG",
            25.2,
            1000,
            False,
            ("42G1", 0.6),
            ("22G1", 0.4),
        ),
        _c("auto_parts", "870899", "Parts for motor vehicles", "CT", 21.0, 800, False, *_LIGHT),
        _c("paper", "480411", "Kraftliner paper in rolls", "PK", 520.0, 40, False, ("42G1", 1.0)),
        _c("beverages", "220421", "Wine in bottles", "CT", 9.0, 1800, False, ("22G1", 0.6), ("42G1", 0.4)),
        _c("chemicals", "291411", "Acetone in drums", "DR", 180.0, 80, False, ("22G1", 1.0)),
        _c("general", "392690", "Articles of plastics", "CT", 10.0, 1500, False, *_LIGHT),
        # Air and road consignments: packages_full is a typical consignment size.
        _c("flowers", "060311", "Roses, fresh cut", "BX", 18.0, 60, False),
        _c("fish", "030289", "Fresh fish, chilled", "BX", 25.0, 30, False),
        _c("pharma", "300490", "Medicaments in measured doses", "PK", 6.0, 40, False),
        _c("cut_flowers", "060319", "Cut flowers, fresh", "PX", 95.0, 40, False),
        _c("plants", "060290", "Live plants", "PX", 110.0, 30, False),
    )
}
COMMODITY_CODES = tuple(COMMODITIES)
_COMMODITY_INDEX = {c: i for i, c in enumerate(COMMODITY_CODES)}
HS_OF = np.array([COMMODITIES[c].hs for c in COMMODITY_CODES], dtype=object)
DESC_OF = np.array([COMMODITIES[c].description for c in COMMODITY_CODES], dtype=object)
PKG_TYPE_OF = np.array([COMMODITIES[c].package_type for c in COMMODITY_CODES], dtype=object)
KG_OF = np.array([COMMODITIES[c].kg_per_package for c in COMMODITY_CODES])
FULL_OF = np.array([COMMODITIES[c].packages_full for c in COMMODITY_CODES])
REEFER_OF = np.array([COMMODITIES[c].reefer for c in COMMODITY_CODES])


def commodity_index(code: str) -> int:
    return _COMMODITY_INDEX[code]
