from __future__ import annotations

import pytest

from mainport.reference.hs import (
    RISK_HEADINGS,
    commodity_group,
    hs_chapter,
    hs_description,
    hs_heading,
    is_hs6_shape,
    is_known_hs,
    sections,
)


def test_bananas_exist() -> None:
    assert hs_description("0803").startswith("Bananas")
    assert is_known_hs("08") and is_known_hs("0803") and is_known_hs("080390")
    assert not is_known_hs("0899") and not is_known_hs("TOTAL")
    with pytest.raises(ValueError, match="not an HS 2022"):
        hs_description("0899")


def test_every_risk_heading_is_in_hs_2022() -> None:
    for heading in RISK_HEADINGS:
        assert is_known_hs(heading), heading


def test_shapes_and_prefixes() -> None:
    assert is_hs6_shape("0803.90") and not is_hs6_shape("0803") and not is_hs6_shape("08039A")
    assert hs_chapter("080390") == "08" and hs_heading("080390") == "0803"
    with pytest.raises(ValueError):
        hs_heading("08")
    assert sections()["II"] == "Vegetable products"


@pytest.mark.parametrize(
    ("hs6", "group"),
    [
        ("080390", "fresh_fruit"),
        ("080440", "fresh_fruit"),
        ("180100", "cocoa"),
        ("090111", "coffee"),
        ("060311", "flowers"),
        ("440799", "timber"),
        ("690721", "tiles"),
        ("030617", "frozen_food"),
        ("841850", "machinery"),
        ("220210", "general"),
    ],
)
def test_commodity_groups(hs6: str, group: str) -> None:
    assert commodity_group(hs6) == group
