from __future__ import annotations

import pytest

from mainport.reference.containers import (
    LETTER_VALUES,
    SIZE_TYPES,
    is_valid_container_number,
    iso6346_check_digit,
    make_container_number,
    parse_container_number,
    size_type,
)


def test_letter_values_skip_multiples_of_eleven() -> None:
    assert LETTER_VALUES["A"] == 10
    assert LETTER_VALUES["B"] == 12
    assert LETTER_VALUES["L"] == 23
    assert LETTER_VALUES["V"] == 34
    assert LETTER_VALUES["Z"] == 38
    assert not any(v % 11 == 0 for v in LETTER_VALUES.values())


@pytest.mark.parametrize("number", ["CSQU3054383", "MSKU9070323", "csqu 305438 3", "CSQU-305438-3"])
def test_real_numbers_are_valid(number: str) -> None:
    assert is_valid_container_number(number)


def test_parse_gives_parts() -> None:
    c = parse_container_number(" csqu 305438 3 ")
    assert (c.owner_code, c.category, c.serial, c.check_digit) == ("CSQ", "U", "305438", 3)
    assert str(c) == "CSQU3054383"


def test_sum_mod_eleven_ten_gives_zero() -> None:
    # MSCU000006: 24 + 30*2 + 13*4 + 32*8 + 6*512 = 3464 = 11*314 + 10, so the check digit is 0.
    assert iso6346_check_digit("MSCU000006") == 0
    assert is_valid_container_number("MSCU0000060")


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("CSQU305438", "11 characters, got 10"),
        ("CS1U3054383", "owner code must be 3 letters"),
        ("CSQX3054383", "category must be U, J or Z"),
        ("CSQU30543A3", "serial must be 6 digits"),
        ("CSQU3054385", "check digit is 5, expected 3"),
    ],
)
def test_precise_reasons(number: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_container_number(number)
    assert not is_valid_container_number(number)


def test_make_round_trips() -> None:
    number = make_container_number("msc", 123456)
    assert number == "MSCU1234566"
    assert parse_container_number(number).serial == "123456"
    assert make_container_number("ABC", 1, category="J").startswith("ABCJ000001")
    with pytest.raises(ValueError, match="serial"):
        make_container_number("ABC", 1_000_000)


def test_size_types_are_realistic() -> None:
    assert size_type("22g1").tare_kg == 2200 and size_type("22G1").max_gross_kg == 30480
    hc = size_type("45G1")
    assert (hc.length_ft, hc.height_ft, hc.group, hc.tare_kg, hc.max_gross_kg) == (40, 9.5, "HC", 3900, 32500)
    rh = size_type("45R1")
    assert rh.reefer and rh.group == "RE" and rh.max_gross_kg == 34000 and 4500 <= rh.tare_kg <= 5000
    for st in SIZE_TYPES.values():
        assert st.length_ft in (20, 40, 45)
        assert st.reefer == (st.group == "RE")
        assert 0 < st.tare_kg < st.max_gross_kg
    with pytest.raises(ValueError, match="unknown ISO 6346 size-type"):
        size_type("99X9")
