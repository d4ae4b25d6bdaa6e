"""The five Dutch hubs ('mainports') as first-class nodes, with their yearly budget under the plan."""

from __future__ import annotations

from dataclasses import dataclass

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
