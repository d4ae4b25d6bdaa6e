"""Parties: long-lived legitimate firms per country and the short-lived front companies criminals set up."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

_ROOTS = (
    "Andina",
    "Sol",
    "Verde",
    "Pacifico",
    "Caribe",
    "Tropical",
    "Del Valle",
    "Costa",
    "Montana",
    "Rio",
    "Aurora",
    "Esmeralda",
    "Condor",
    "Norte",
    "Sur",
    "Palma",
    "Oro",
    "Brisa",
    "Luna",
    "Cielo",
    "Nova",
    "Delta",
    "Maas",
    "Polder",
    "Hollandia",
    "Zeeland",
    "Noord",
    "Oranje",
    "Lotus",
    "Orient",
    "Atlas",
    "Global",
    "Euro",
    "Trans",
    "Prime",
    "Fresh",
    "Vita",
    "Terra",
    "Agro",
    "Mar",
    "Neptun",
    "Hanse",
)
_ROOTS2 = (
    "Fruit",
    "Foods",
    "Trading",
    "Export",
    "Import",
    "Logistics",
    "Produce",
    "Group",
    "Commodities",
    "Agri",
    "Cargo",
    "Holding",
    "Supply",
    "Traders",
)
_FORMS = {
    "NL": "B.V.",
    "BE": "BV",
    "DE": "GmbH",
    "FR": "SAS",
    "GB": "Ltd",
    "IT": "S.r.l.",
    "ES": "S.L.",
    "BR": "Ltda",
    "CN": "Co., Ltd",
    "US": "Inc.",
    "EC": "S.A.",
    "CO": "S.A.S.",
    "PE": "S.A.C.",
}


def _firm_name(rng: np.random.Generator, country: str) -> str:
    a = _ROOTS[int(rng.integers(len(_ROOTS)))]
    b = _ROOTS2[int(rng.integers(len(_ROOTS2)))]
    return f"{a} {b} {_FORMS.get(country, 'S.A.')}"


@dataclass
class PartyBook:
    """Every party the world knows, as parallel lists; rows refer to parties by index."""

    seed: int
    eori: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)
    created_day: list[int] = field(default_factory=list)
    front: list[bool] = field(default_factory=list)
    by_country: dict[str, np.ndarray] = field(default_factory=dict)
    consignees: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    declarants: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _eori_arr: np.ndarray | None = None

    def add(
        self,
        rng: np.random.Generator,
        country: str,
        day: int,
        *,
        front: bool = False,
        name: str | None = None,
    ) -> int:
        idx = len(self.eori)
        # Unique per index: 7,919,141 is coprime with 9e8, so distinct idx give distinct numbers.
        number = (idx * 7_919_141 + self.seed * 104_729) % 900_000_000 + 100_000_000
        self.eori.append(f"{country}{number}")
        self.name.append(name or _firm_name(rng, country))
        self.country.append(country)
        self.created_day.append(day)
        self.front.append(front)
        self._eori_arr = None
        return idx

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._eori_arr is None or len(self._eori_arr) != len(self.eori):
            self._eori_arr = np.array(self.eori, dtype=object)
            self._name_arr = np.array(self.name, dtype=object)
            self._country_arr = np.array(self.country, dtype=object)
        return self._eori_arr, self._name_arr, self._country_arr

    def pick(self, rng: np.random.Generator, pool: np.ndarray, n: int) -> np.ndarray:
        """Zipf-like: a few big shippers carry most boxes, a long tail ships now and then."""
        weights = 1.0 / np.arange(1, len(pool) + 1) ** 0.9
        return pool[rng.choice(len(pool), size=n, p=weights / weights.sum())]


def build_party_book(seed: int, countries: set[str]) -> PartyBook:
    rng = np.random.default_rng([seed, 7002])
    book = PartyBook(seed)
    for cc in sorted(countries):
        book.by_country[cc] = np.array([book.add(rng, cc, -3650) for _ in range(40)], dtype=np.int64)
    consignee_countries = ["NL"] * 6 + ["BE", "DE", "DE", "FR"]
    book.consignees = np.array(
        [book.add(rng, consignee_countries[i % len(consignee_countries)], -3650) for i in range(400)],
        dtype=np.int64,
    )
    forwarders = (
        "Kuehne Logistics",
        "Rhenus Forwarding",
        "Neele-Vat Logistics",
        "Broekman Logistics",
        "Steder Group",
        "Samskip Forwarding",
        "Vos Logistics",
        "Nijhof-Wassink",
        "Geodis Netherlands",
        "DSV Solutions",
        "Bolloré Logistics",
        "Kloosterboer Services",
    )
    book.declarants = np.array(
        [book.add(rng, "NL", -3650, name=f"{n} B.V.") for n in forwarders]
        + [book.add(rng, "NL", -3650) for _ in range(18)],
        dtype=np.int64,
    )
    return book
