"""Every hub and mode gets a meaningful score: flower-auction road exports, Schiphol air cargo, and
declarations discharged in Antwerp for the Netherlands attributed to the Dutch hub they go to."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from mainport.ingest.declarations import validate
from mainport.reference.nodes import hub_for_declaration
from mainport.targeting.features import build_features, profile_key
from mainport.targeting.model import train
from mainport.targeting.rules import apply_rules, load_profiles
from mainport.targeting.synthetic import generate
from tests.ingest.helpers import declaration


def test_antwerp_discharge_with_dutch_delivery_belongs_to_a_dutch_hub() -> None:
    assert hub_for_declaration("sea", "ECGYE", "BEANR", "NLRTM") == "rotterdam"
    assert hub_for_declaration("sea", "ECGYE", "BEANR", "NLVLI") == "zeeland_west_brabant"
    # an inland place in the Netherlands: the Dutch sea hub nearest the port of discharge
    assert hub_for_declaration("sea", "ECGYE", "BEANR", "NLVEN") == "zeeland_west_brabant"
    assert hub_for_declaration("sea", "ECGYE", "BEANR", "DEDUI") is None
    assert hub_for_declaration("sea", "ECGYE", "BEANR") is None
    row = validate(
        declaration(1, place_of_discharge="BEANR", place_of_delivery="NLRTM"), now=datetime.now(UTC)
    )
    assert row.row["hub"] == "rotterdam"


def _trucks(n: int = 400, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.Timestamp("2025-04-01", tz="UTC") + pd.to_timedelta(
        np.sort(rng.uniform(0, 30 * 86400, n)), unit="s"
    )
    return pd.DataFrame(
        {
            "declaration_id": np.arange(1, n + 1),
            "filed_at": t,
            "hub": "flower_auctions",
            "mode": "road",
            "place_of_loading": rng.choice(["NLAAM", "NLNDW"], n),
            "place_of_discharge": rng.choice(["GBHRW", "DEDUS", "SEMMA"], n),
            "place_of_delivery": None,
            "countries_of_routing": [["NL", "GB"]] * n,
            "hs_code": "060311",
            "goods_description": "Roses, fresh cut",
            "packages": rng.integers(8, 46, n),
            "gross_mass_kg": rng.uniform(100, 900, n),
            "size_type": None,
            "consignor_id": np.where(rng.random(n) < 0.1, 1000 + np.arange(n), rng.integers(1, 40, n)),
            "consignee_id": rng.integers(100, 160, n),
            "notify_id": None,
            "carrier": None,
            "vessel_imo": None,
            "amendments": 0,
            "container_number": None,
        }
    )


def test_flower_auction_exports_have_features_and_rules_of_their_own() -> None:
    trucks = _trucks()
    first = pd.concat(
        [
            trucks[["consignor_id", "filed_at"]].rename(columns={"consignor_id": "party_id"}),
            trucks[["consignee_id", "filed_at"]].rename(columns={"consignee_id": "party_id"}),
        ]
    )
    parties = first.groupby("party_id")["filed_at"].min().rename("first_seen").reset_index()
    parties["first_seen"] = np.where(
        parties["party_id"] < 1000, parties["first_seen"] - pd.Timedelta(days=900), parties["first_seen"]
    )
    parties = parties.assign(country="NL", first_seen=pd.to_datetime(parties["first_seen"], utc=True))
    f = build_features(trucks, parties=parties)
    assert (f["export"] == 1).all() and (f["mode"] == "road").all()
    onward = f["export_to_onward_market"].to_numpy()
    assert onward.any() and not onward.all()  # GB and SE are onward markets, DE is not
    rr = apply_rules(load_profiles(), f)
    new_exporter = trucks["consignor_id"].to_numpy() >= 1000
    assert (rr.score[new_exporter] > 0).all()  # no longer 0.000 for every flower-auction truck
    assert rr.score[~new_exporter].mean() < rr.score[new_exporter].mean()
    assert any(h.startswith("flower-export-new-exporter@") for hits in rr.hits for h in hits)
    # the profile an explorer keeps a record of names the exporter's novelty for an export
    assert set(profile_key(f)[new_exporter].str.split("|").str[2]) == {"new"}


def test_low_risk_hubs_keep_a_ranking_after_calibration() -> None:
    """Isotonic calibration puts every row below its first step at one value (0.000 for a whole hub);
    the Platt share keeps the probability strictly increasing in the trees' score."""
    flow = generate(5000, days=60, seed=4, base_rate=0.03)
    f = build_features(flow.declarations, parties=flow.parties)
    model = train(f, flow.truth["label"].to_numpy(), rounds=60)
    p = model.predict(f)
    raw = model.raw(f)
    order = np.argsort(raw)
    assert np.all(np.diff(p[order]) >= -1e-12)
    low = order[: len(order) // 3]
    assert len(np.unique(np.round(p[low], 12))) > 10 and (p > 0).all()


def test_air_cargo_from_a_source_country_is_its_own_profile() -> None:
    trucks = _trucks(50)
    air = trucks.assign(
        hub="schiphol", mode="air", place_of_loading="COBOG", place_of_discharge="NLAMS", hs_code="060311"
    )
    f = build_features(air)
    assert (f["air_from_risk_country"] == 1).all() and (f["export"] == 0).all()
    rr = apply_rules(load_profiles(), f)
    assert (rr.score > 0).all()
    assert any(h.startswith("air-from-source") for hits in rr.hits for h in hits)
