"""Reference data: ISO 6346 containers, IMO numbers, UN/LOCODE, ISO 3166, HS 2022 and the five hubs."""

from mainport.reference.containers import (
    SIZE_TYPES,
    ContainerNumber,
    SizeType,
    is_valid_container_number,
    iso6346_check_digit,
    make_container_number,
    parse_container_number,
    size_type,
)
from mainport.reference.countries import SOURCE_COUNTRIES, TRANSIT_COUNTRIES, country_name, is_country
from mainport.reference.hs import (
    RISK_HEADINGS,
    commodity_group,
    hs_chapter,
    hs_description,
    hs_heading,
    is_hs6_shape,
    is_known_hs,
)
from mainport.reference.locations import (
    LOCATIONS,
    SITES,
    Location,
    is_known_unlocode,
    is_unlocode_shape,
    location,
)
from mainport.reference.nodes import (
    CROSS_CUTTING_BUDGET_EUR_M,
    NODES,
    TOTAL_BUDGET_EUR_M,
    Node,
    node,
    node_for_location,
)
from mainport.reference.vessels import imo_check_digit, is_valid_imo, make_imo, normalise_imo

__all__ = [
    "CROSS_CUTTING_BUDGET_EUR_M",
    "LOCATIONS",
    "NODES",
    "RISK_HEADINGS",
    "SITES",
    "SIZE_TYPES",
    "SOURCE_COUNTRIES",
    "TOTAL_BUDGET_EUR_M",
    "TRANSIT_COUNTRIES",
    "ContainerNumber",
    "Location",
    "Node",
    "SizeType",
    "commodity_group",
    "country_name",
    "hs_chapter",
    "hs_description",
    "hs_heading",
    "imo_check_digit",
    "is_country",
    "is_hs6_shape",
    "is_known_hs",
    "is_known_unlocode",
    "is_unlocode_shape",
    "is_valid_container_number",
    "is_valid_imo",
    "iso6346_check_digit",
    "location",
    "make_container_number",
    "make_imo",
    "node",
    "node_for_location",
    "normalise_imo",
    "parse_container_number",
    "size_type",
]
