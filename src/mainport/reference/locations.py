"""UN/LOCODE locations that matter to the five Dutch hubs: hubs, neighbours, source and transit places."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from mainport.reference.countries import is_country

Kind = Literal["seaport", "airport", "auction", "inland"]
Role = Literal["hub", "neighbour", "source", "transit"]

_SHAPE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")


@dataclass(frozen=True)
class Location:
    unlocode: str
    name: str
    country: str
    kind: str
    role: str
    node: str | None
    lat: float
    lon: float
    terminals: tuple[str, ...] = ()


def _loc(
    code: str, name: str, kind: str, role: str, node: str | None, lat: float, lon: float, *terminals: str
) -> Location:
    return Location(code, name, code[:2], kind, role, node, lat, lon, tuple(terminals))


# Terminal codes: Rotterdam codes follow SMDG terminal codes where we know them (ECTDE, APMII, RWG, EUROM);
# the others (KLOOS, VCT, TNZ*, MCT, AMCT, IJM*) are short codes of our own, not official SMDG entries.
# Flower auction codes NLAAM / NLNDW / NLRIJ are best knowledge, NOT verified against the UN/LOCODE list
# (no network access when written); change them here only, everything else looks them up.
_ALL = (
    # The Dutch hubs.
    _loc("NLRTM", "Rotterdam", "seaport", "hub", "rotterdam", 51.95, 4.05, "ECTDE", "APMII", "RWG", "EUROM"),
    _loc("NLVLI", "Vlissingen", "seaport", "hub", "zeeland_west_brabant", 51.44, 3.60, "KLOOS", "VCT"),
    _loc("NLTNZ", "Terneuzen", "seaport", "hub", "zeeland_west_brabant", 51.34, 3.82, "TNZCT"),
    _loc("NLMOE", "Moerdijk", "seaport", "hub", "zeeland_west_brabant", 51.69, 4.59, "MCT"),
    _loc("NLAMS", "Amsterdam", "seaport", "hub", "north_sea_canal", 52.41, 4.82, "AMCT"),
    _loc("NLIJM", "IJmuiden", "seaport", "hub", "north_sea_canal", 52.46, 4.60, "IJMFT"),
    _loc("NLAAM", "Aalsmeer (Royal FloraHolland)", "auction", "hub", "flower_auctions", 52.27, 4.77),
    _loc("NLNDW", "Naaldwijk (Royal FloraHolland)", "auction", "hub", "flower_auctions", 51.99, 4.21),
    _loc("NLRIJ", "Rijnsburg (Royal FloraHolland)", "auction", "hub", "flower_auctions", 52.19, 4.44),
    # Neighbouring European ports (the waterbed: pressure here moves traffic there).
    _loc("BEANR", "Antwerp", "seaport", "neighbour", None, 51.28, 4.32),
    _loc("BEZEE", "Zeebrugge", "seaport", "neighbour", None, 51.33, 3.20),
    _loc("DEHAM", "Hamburg", "seaport", "neighbour", None, 53.54, 9.97),
    _loc("DEBRV", "Bremerhaven", "seaport", "neighbour", None, 53.56, 8.55),
    _loc("FRLEH", "Le Havre", "seaport", "neighbour", None, 49.48, 0.11),
    _loc("ESALG", "Algeciras", "seaport", "neighbour", None, 36.13, -5.44),
    _loc("ESVLC", "Valencia", "seaport", "neighbour", None, 39.44, -0.32),
    _loc("GBFXT", "Felixstowe", "seaport", "neighbour", None, 51.96, 1.31),
    # Source countries (CO, PE, BO).
    _loc("COCTG", "Cartagena", "seaport", "source", None, 10.39, -75.53),
    _loc("COBUN", "Buenaventura", "seaport", "source", None, 3.89, -77.07),
    _loc("COTRB", "Turbo", "seaport", "source", None, 8.09, -76.73),
    _loc("COSMR", "Santa Marta", "seaport", "source", None, 11.25, -74.22),
    _loc("PECLL", "Callao", "seaport", "source", None, -12.05, -77.15),
    _loc("PEPAI", "Paita", "seaport", "source", None, -5.08, -81.11),
    _loc("BOVVI", "Santa Cruz Viru Viru", "airport", "source", None, -17.64, -63.14),
    _loc("BOLPB", "La Paz", "airport", "source", None, -16.51, -68.19),
    _loc("COBOG", "Bogota", "airport", "source", None, 4.70, -74.15),
    _loc("PELIM", "Lima", "airport", "source", None, -12.02, -77.11),
    # Transit countries.
    _loc("ECGYE", "Guayaquil", "seaport", "transit", None, -2.28, -79.91),
    _loc("ECPBO", "Puerto Bolivar", "seaport", "transit", None, -3.27, -80.00),
    _loc("BRSSZ", "Santos", "seaport", "transit", None, -23.96, -46.30),
    _loc("BRPNG", "Paranagua", "seaport", "transit", None, -25.50, -48.52),
    _loc("BRRIG", "Rio Grande", "seaport", "transit", None, -32.05, -52.08),
    _loc("BRSSA", "Salvador", "seaport", "transit", None, -12.96, -38.51),
    _loc("CRMOB", "Moin", "seaport", "transit", None, 10.00, -83.08),
    _loc("CRLIO", "Puerto Limon", "seaport", "transit", None, 9.99, -83.02),
    _loc("PAMIT", "Manzanillo", "seaport", "transit", None, 9.36, -79.88),
    _loc("PABLB", "Balboa", "seaport", "transit", None, 8.95, -79.57),
    _loc("PAONX", "Colon", "seaport", "transit", None, 9.35, -79.90),
    _loc("DOCAU", "Caucedo", "seaport", "transit", None, 18.43, -69.63),
    _loc("UYMVD", "Montevideo", "seaport", "transit", None, -34.90, -56.21),
    _loc("ARBUE", "Buenos Aires", "seaport", "transit", None, -34.59, -58.37),
    _loc("PYASU", "Asuncion", "inland", "transit", None, -25.27, -57.64),
    _loc("CLSAI", "San Antonio", "seaport", "transit", None, -33.59, -71.62),
    _loc("MXZLO", "Manzanillo", "seaport", "transit", None, 19.06, -104.31),
    _loc("GTSTC", "Santo Tomas de Castilla", "seaport", "transit", None, 15.70, -88.62),
    _loc("HNPCR", "Puerto Cortes", "seaport", "transit", None, 15.84, -87.95),
    _loc("JMKIN", "Kingston", "seaport", "transit", None, 17.97, -76.84),
    _loc("BRGRU", "Sao Paulo Guarulhos", "airport", "transit", None, -23.43, -46.47),
    _loc("CWCUR", "Curacao", "airport", "transit", None, 12.19, -68.96),
    _loc("SRPBM", "Paramaribo", "airport", "transit", None, 5.45, -55.19),
    # Ordinary trade partners: most boxes through the hubs come from here (not source or transit lanes).
    _loc("CNSHA", "Shanghai", "seaport", "trade", None, 31.23, 121.47),
    _loc("CNNGB", "Ningbo", "seaport", "trade", None, 29.87, 121.55),
    _loc("CNYTN", "Yantian", "seaport", "trade", None, 22.57, 114.27),
    _loc("HKHKG", "Hong Kong", "seaport", "trade", None, 22.29, 114.16),
    _loc("SGSIN", "Singapore", "seaport", "trade", None, 1.26, 103.82),
    _loc("KRPUS", "Busan", "seaport", "trade", None, 35.10, 129.04),
    _loc("MYPKG", "Port Klang", "seaport", "trade", None, 3.00, 101.39),
    _loc("VNSGN", "Ho Chi Minh City", "seaport", "trade", None, 10.77, 106.70),
    _loc("INNSA", "Nhava Sheva", "seaport", "trade", None, 18.95, 72.95),
    _loc("AEJEA", "Jebel Ali", "seaport", "trade", None, 25.01, 55.06),
    _loc("USNYC", "New York", "seaport", "trade", None, 40.68, -74.04),
    _loc("USSAV", "Savannah", "seaport", "trade", None, 32.08, -81.09),
    _loc("USMIA", "Miami", "seaport", "trade", None, 25.77, -80.17),
    _loc("CAMTR", "Montreal", "seaport", "trade", None, 45.50, -73.55),
    _loc("CIABJ", "Abidjan", "seaport", "trade", None, 5.29, -4.01),
    _loc("GHTEM", "Tema", "seaport", "trade", None, 5.63, 0.01),
    _loc("CMDLA", "Douala", "seaport", "trade", None, 4.05, 9.69),
    _loc("MAPTM", "Tanger Med", "seaport", "trade", None, 35.89, -5.50),
    _loc("CLARI", "Arica", "seaport", "trade", None, -18.48, -70.32),
    _loc("PYVLT", "Villeta", "seaport", "transit", None, -25.50, -57.56),
    _loc("IEDUB", "Dublin", "seaport", "trade", None, 53.35, -6.20),
    _loc("SEGOT", "Gothenburg", "seaport", "trade", None, 57.69, 11.90),
    _loc("PLGDN", "Gdansk", "seaport", "trade", None, 54.40, 18.67),
    _loc("NOOSL", "Oslo", "seaport", "trade", None, 59.90, 10.74),
    _loc("GBHRW", "Harwich", "seaport", "trade", None, 51.95, 1.29),
    _loc("GBHUL", "Hull", "seaport", "trade", None, 53.74, -0.30),
    _loc("GBPUF", "Purfleet", "seaport", "trade", None, 51.48, 0.24),
    _loc("SEMMA", "Malmo", "seaport", "trade", None, 55.61, 13.00),
    # Inland destinations of flower-auction trucks and air cargo.
    _loc("DEDUS", "Dusseldorf", "inland", "trade", None, 51.23, 6.78),
    _loc("FRPAR", "Paris", "inland", "trade", None, 48.86, 2.35),
    _loc("ITMIL", "Milan", "inland", "trade", None, 45.46, 9.19),
    _loc("KENBO", "Nairobi", "airport", "trade", None, -1.32, 36.93),
)

LOCATIONS: dict[str, Location] = {loc.unlocode: loc for loc in _ALL}

# Places inside one UN/LOCODE that the plan treats separately. Schiphol airport has no UN/LOCODE of its own:
# it falls under NLAMS (IATA AMS), which we keep for the port of Amsterdam. So Schiphol is a site keyed by a
# site id (not LOCODE-shaped, so it can never clash) whose `unlocode` is NLAMS.
SITES: dict[str, Location] = {
    "SCHIPHOL": Location(
        "NLAMS", "Amsterdam Airport Schiphol", "NL", "airport", "hub", "schiphol", 52.31, 4.76, ("SPLCARGO",)
    ),
}


def location(code: str) -> Location:
    """A UN/LOCODE (or site id such as 'SCHIPHOL'); ValueError for an unknown one."""
    key = code.strip().upper().replace(" ", "")
    found = LOCATIONS.get(key) or SITES.get(key)
    if found is None:
        raise ValueError(f"unknown location {code!r}: not in mainport's UN/LOCODE list or sites")
    return found


def is_known_unlocode(code: str) -> bool:
    return code.strip().upper().replace(" ", "") in LOCATIONS


def is_unlocode_shape(code: str) -> bool:
    """Two letters of an ISO 3166 country + three of [A-Z2-9] (UN/LOCODE avoids 0 and 1)."""
    text = code.strip().upper().replace(" ", "")
    return bool(_SHAPE.match(text)) and is_country(text[:2])
