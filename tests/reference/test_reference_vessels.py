from __future__ import annotations

import pytest

from mainport.reference.vessels import imo_check_digit, is_valid_imo, make_imo, normalise_imo


def test_known_imo() -> None:
    # 9*7 + 3*6 + 2*5 + 1*4 + 4*3 + 8*2 = 123 -> 3
    assert imo_check_digit("932148") == 3
    assert is_valid_imo("9321483")
    assert is_valid_imo("IMO 9321483")
    assert not is_valid_imo("9321484")


def test_normalise_reasons() -> None:
    assert normalise_imo(" imo9321483 ") == "9321483"
    with pytest.raises(ValueError, match="check digit is 4, expected 3"):
        normalise_imo("9321484")
    with pytest.raises(ValueError, match="7 digits"):
        normalise_imo("932148")


def test_make_imo() -> None:
    assert make_imo(932148) == "9321483"
    assert is_valid_imo(make_imo(100000))
    with pytest.raises(ValueError):
        make_imo(99999)
