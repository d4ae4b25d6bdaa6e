"""The five Dutch hubs ('mainports') as first-class nodes, with their yearly budget under the plan."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mainport.reference.locations import LOCATIONS, SITES


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    kind: str
    locations: tuple[str, ...]
    budget_eur_m_per_year: float


NODES: dict[str, Node] = {
    n.code: n
    for n in (
        Node("rotterdam", "Port of Rotterdam", "seaport", ("NLRTM",), 16.5),
        Node(
            "zeeland_west_brabant",
            "Vlissingen, Terneuzen and Moerdijk",
            "seaport",
            ("NLVLI", "NLTNZ", "NLMOE"),
            4.0,
        ),
        Node(
            "north_sea_canal", "Amsterdam and IJmuiden (North Sea Canal)", "seaport", ("NLAMS", "NLIJM"), 1.5
        ),
        Node("schiphol", "Amsterdam Airport Schiphol", "airport", ("SCHIPHOL",), 3.5),
        Node(
            "flower_auctions",
            "Flower auctions (Aalsmeer, Naaldwijk, Rijnsburg)",
            "auction",
            ("NLAAM", "NLNDW", "NLRIJ"),
            1.0,
        ),
    )
}

# Money in the plan not tied to one hub (national teams, intelligence, research).
CROSS_CUTTING_BUDGET_EUR_M = 2.5
TOTAL_BUDGET_EUR_M = 29.0


def node(code: str) -> Node:
    try:
        return NODES[code.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown node {code!r}; known: {', '.join(NODES)}") from None


def node_for_location(unlocode_or_site: str) -> str | None:
    """The hub a UN/LOCODE or site id belongs to; None for foreign or unknown places."""
    key = unlocode_or_site.strip().upper().replace(" ", "")
    found = SITES.get(key) or LOCATIONS.get(key)
    return found.node if found else None


@lru_cache(maxsize=10_000)  # on the ingest hot path
def hub_for_place(unlocode: str | None, facility_code: str | None = None) -> str | None:
    """The hub of an event's place: a facility of a site (Schiphol's cargo terminals) wins over its LOCODE."""
    if facility_code:
        for site_id, site in SITES.items():
            if facility_code.strip().upper() in site.terminals:
                return node_for_location(site_id)
    return node_for_location(unlocode) if unlocode else None


def hub_for_declaration(
    mode: str, place_of_loading: str, place_of_discharge: str, place_of_delivery: str | None = None
) -> str | None:
    """The Dutch hub a declaration is lodged for.

    Air cargo into NLAMS lands at Schiphol (no LOCODE of its own); an export that leaves from a Dutch hub
    (flower-auction trucks) belongs to that hub; otherwise the hub of the place of discharge. Goods
    discharged in a neighbouring port (Antwerp) with final delivery in the Netherlands belong to the hub of
    the place of delivery, or, for a Dutch place outside the hubs (an inland terminal), to the Dutch sea hub
    nearest the port of discharge (the way the goods come in).
    """
    if mode == "air" and place_of_discharge == SITES["SCHIPHOL"].unlocode:
        return SITES["SCHIPHOL"].node
    hub = node_for_location(place_of_loading) or node_for_location(place_of_discharge)
    if hub is None and place_of_delivery and place_of_delivery.strip().upper().startswith("NL"):
        hub = node_for_location(place_of_delivery) or _nearest_sea_hub(place_of_discharge)
    return hub


def _nearest_sea_hub(unlocode: str) -> str | None:
    here = LOCATIONS.get(unlocode.strip().upper())
    if here is None:
        return None
    hubs = [loc for loc in LOCATIONS.values() if loc.role == "hub" and loc.kind == "seaport" and loc.node]
    best = min(hubs, key=lambda loc: (loc.lat - here.lat) ** 2 + (loc.lon - here.lon) ** 2)
    return best.node
