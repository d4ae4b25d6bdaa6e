from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mainport.targeting.adapter import declarations_for_features, party_register
from mainport.targeting.features import build_features
from mainport.world import World, WorldConfig


@pytest.fixture(scope="module")
def view() -> pd.DataFrame:
    return World(WorldConfig(scale=0.01, seed=3, days=2)).day_declarations(0)


def test_world_view_becomes_feature_input(view) -> None:
    decl = declarations_for_features(view, id_column="shipment_id")
    assert list(decl["declaration_id"]) == list(view["shipment_id"])
    assert (decl["consignee_id"] == view["consignee_eori"]).all()
    parties = party_register(view)
    f = build_features(decl, parties=parties)
    assert len(f) == len(view)
    # Routing lists from the world are understood: every declaration passes at least one country.
    assert (f["routing_length"] >= 1).all()
    # A party's first appearance is its earliest filing in what was received.
    first = parties.set_index("party_id")["first_seen"]
    eori = view["consignee_eori"].iloc[0]
    assert first[eori] == pd.to_datetime(view.loc[view["consignee_eori"] == eori, "filed_at"], utc=True).min()


def test_missing_id_column_is_refused(view) -> None:
    with pytest.raises(ValueError, match="no 'nope' column"):
        declarations_for_features(view, id_column="nope")


def test_as_of_counts_outcomes_known_at_selection_not_at_filing() -> None:
    t0 = pd.Timestamp("2025-03-01", tz="UTC")
    base = {
        "hub": "rotterdam",
        "place_of_loading": "ECGYE",
        "place_of_delivery": "NLRTM",
        "countries_of_routing": [["EC", "NL"]] * 2,
        "hs_code": "080390",
        "goods_description": "bananas",
        "packages": 10,
        "gross_mass_kg": 20000.0,
        "size_type": "45R1",
        "consignor_id": "C1",
        "consignee_id": "E1",
        "carrier": "MAEU",
        "vessel_imo": "9321483",
        "amendments": 0,
        "container_number": ["A", "B"],
    }
    decls = pd.DataFrame({"declaration_id": [1, 2], "filed_at": [t0, t0 + pd.Timedelta(days=10)], **base})
    outcomes = pd.DataFrame(
        {"declaration_id": [1], "inspected_at": [t0 + pd.Timedelta(days=20)], "found": [True]}
    )
    at_filing = build_features(decls, outcomes=outcomes)
    assert at_filing["consignee_past_hits"].tolist() == [0.0, 0.0]
    later = build_features(decls, outcomes=outcomes, as_of=t0 + pd.Timedelta(days=21))
    assert np.allclose(later["consignee_past_hits"], [1.0, 1.0])
    # Strictly before: an outcome at the very instant of selection is not known yet.
    same = build_features(decls, outcomes=outcomes, as_of=t0 + pd.Timedelta(days=20))
    assert same["consignee_past_hits"].tolist() == [0.0, 0.0]
