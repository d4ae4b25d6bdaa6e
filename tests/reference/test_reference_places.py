from __future__ import annotations

import pytest

from mainport.reference.countries import SOURCE_COUNTRIES, TRANSIT_COUNTRIES, country_name, is_country
from mainport.reference.locations import LOCATIONS, SITES, is_known_unlocode, is_unlocode_shape, location
from mainport.reference.nodes import (
    CROSS_CUTTING_BUDGET_EUR_M,
    NODES,
    TOTAL_BUDGET_EUR_M,
    node,
    node_for_location,
)


def test_every_location_has_a_valid_country_and_shape() -> None:
    for code, loc in LOCATIONS.items():
        assert loc.unlocode == code
        assert is_unlocode_shape(code), code
        assert is_country(loc.country) and code.startswith(loc.country)
        assert -90 <= loc.lat <= 90 and -180 <= loc.lon <= 180
        assert loc.kind in ("seaport", "airport", "auction", "inland")
        assert loc.role in ("hub", "neighbour", "source", "transit", "trade")
        assert (loc.role == "hub") == (loc.node is not None)


def test_source_and_transit_roles_follow_countries() -> None:
    for loc in LOCATIONS.values():
        if loc.role == "source":
            assert loc.country in SOURCE_COUNTRIES
        if loc.role == "transit":
            assert loc.country in TRANSIT_COUNTRIES
    assert SOURCE_COUNTRIES.isdisjoint(TRANSIT_COUNTRIES)
    assert all(is_country(c) for c in SOURCE_COUNTRIES | TRANSIT_COUNTRIES)


def test_shape_rules() -> None:
    assert is_unlocode_shape("NLRTM")
    assert not is_unlocode_shape("XXRTM")  # no such country
    assert not is_unlocode_shape("NLRT0")  # UN/LOCODE avoids 0 and 1
    assert not is_unlocode_shape("NLRT")
    assert is_known_unlocode("nl rtm") and not is_known_unlocode("NLZZZ")


def test_location_lookup() -> None:
    assert location("NLRTM").terminals == ("ECTDE", "APMII", "RWG", "EUROM")
    with pytest.raises(ValueError, match="unknown location 'NLZZZ'"):
        location("NLZZZ")
    assert country_name("EC") == "Ecuador"
    with pytest.raises(ValueError):
        country_name("XX")


def test_schiphol_is_a_site_under_nlams() -> None:
    assert SITES["SCHIPHOL"].unlocode == "NLAMS"
    assert node_for_location("SCHIPHOL") == "schiphol"
    assert node_for_location("NLAMS") == "north_sea_canal"
    assert location("schiphol").kind == "airport"


def test_budgets_add_up() -> None:
    assert len(NODES) == 5
    total = sum(n.budget_eur_m_per_year for n in NODES.values()) + CROSS_CUTTING_BUDGET_EUR_M
    assert total == pytest.approx(TOTAL_BUDGET_EUR_M)
    assert node("rotterdam").budget_eur_m_per_year == 16.5


def test_every_node_location_is_known_and_points_back() -> None:
    for n in NODES.values():
        for code in n.locations:
            assert node_for_location(code) == n.code
    assert node_for_location("BEANR") is None
    assert node_for_location("nowhere") is None
    with pytest.raises(ValueError, match="unknown node"):
        node("antwerp")


def test_hub_of_declarations_and_event_places() -> None:
    from mainport.reference.nodes import hub_for_declaration, hub_for_place

    assert hub_for_declaration("sea", "ECGYE", "NLRTM") == "rotterdam"
    assert hub_for_declaration("sea", "CIABJ", "NLAMS") == "north_sea_canal"
    assert hub_for_declaration("air", "BRGRU", "NLAMS") == "schiphol"
    assert hub_for_declaration("road", "NLAAM", "DEDUS") == "flower_auctions"
    assert hub_for_declaration("sea", "CNSHA", "BEANR") is None
    assert hub_for_place("NLAMS", "SPLCARGO") == "schiphol"
    assert hub_for_place("NLAMS", "AMCT") == "north_sea_canal"
    assert hub_for_place("ECGYE", None) is None
