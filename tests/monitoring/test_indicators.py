from __future__ import annotations

import numpy as np
import pandas as pd

from mainport.monitoring.indicators import NewConsigneeWatch, combine, night_lookups, seal_changes
from mainport.monitoring.waterbed import DetectorConfig, EnforcementChange, excess_path


def _log(at: str, hub: str, kind: str) -> dict[str, str]:
    return {"at": at, "hub": hub, "kind": kind, "user": "u", "container_number": "MSCU1234565"}


def test_night_lookups_counts_only_out_of_hours_box_lookups_per_hub() -> None:
    logs = [
        _log("2024-03-04T02:10:00Z", "rotterdam", "release_code"),  # night: counted
        _log("2024-03-04T23:30:00Z", "rotterdam", "gate_entry"),  # night: counted
        _log("2024-03-04T10:00:00Z", "rotterdam", "position"),  # working hours: not
        _log("2024-03-04T03:00:00Z", "rotterdam", "status"),  # a status look-up says nothing
        _log("2024-03-04T05:59:00Z", "north_sea_canal", "position"),
    ]
    assert night_lookups(logs) == {"rotterdam": 2, "north_sea_canal": 1}


def test_seal_changes_counts_boxes_whose_discharge_seal_differs_from_the_declared_seal() -> None:
    seals = pd.DataFrame(
        {
            "hub": ["rotterdam", "rotterdam", "zeeland_west_brabant", "rotterdam"],
            "container_number": ["A", "B", "C", "D"],
            "declared_seal": ["ML1", "ML2", "HL3", ""],
            "seal_at_discharge": ["ML1", "ML9", "HL8", "ML4"],  # D has no declared seal: not comparable
        }
    )
    assert seal_changes(seals) == {"rotterdam": 1, "zeeland_west_brabant": 1}
    assert seal_changes(seals.iloc[0:0]) == {}


def _decl(hub: str, consignee: str, loading: str, routing: list[str]) -> dict[str, object]:
    return {
        "hub": hub,
        "consignee_eori": consignee,
        "place_of_loading": loading,
        "countries_of_routing": routing,
    }


def test_new_consignee_watch_counts_recent_consignees_on_source_lanes_only() -> None:
    watch = NewConsigneeWatch(recent_days=7)
    day0 = pd.DataFrame(
        [
            _decl("rotterdam", "NL1", "CNSHA", ["CN", "NL"]),  # new, but not a source lane
            _decl("rotterdam", "NL2", "COCTG", ["CO", "NL"]),  # new on a source lane: counted
            _decl("schiphol", "NL3", "USNYC", ["US", "PA", "NL"]),  # routed via a transit country
        ]
    )
    first = watch.observe(0, day0)
    assert first["rotterdam"] == 1
    assert first["schiphol"] == 1  # Panama is a transit country
    again = pd.DataFrame([_decl("zeeland_west_brabant", "NL2", "COCTG", ["CO", "NL"])])
    assert watch.observe(3, again) == {"zeeland_west_brabant": 1}  # still recent (first seen day 0)
    assert watch.observe(10, again) == {}  # known for 10 days: no longer a new consignee


def test_combine_adds_signals_and_keeps_hubs_that_have_only_some() -> None:
    index = pd.date_range("2024-03-04", periods=2, freq="7D")
    seizures = pd.DataFrame({"rotterdam": [1, 2], "BEANR": [5, 6]}, index=index)
    lookups = pd.DataFrame({"rotterdam": [10, 0]}, index=index)
    total = combine({"seizures": seizures, "night_lookups": lookups})
    assert total["rotterdam"].tolist() == [11.0, 2.0]
    assert total["BEANR"].tolist() == [5.0, 6.0]


def test_excess_path_rises_with_a_real_shift_and_stays_small_without() -> None:
    rng = np.random.default_rng(3)
    index = pd.date_range("2024-01-01", periods=40, freq="W-MON")
    rate = np.tile([40.0, 20.0, 20.0], (40, 1))
    rate[28:, 1] *= 2.0  # the second hub doubles after the change
    values = pd.DataFrame(rng.poisson(rate), index=index, columns=["a", "b", "c"])
    change = EnforcementChange("a", index[28])
    moved = excess_path(values, change, "b", config=DetectorConfig())
    still = excess_path(values, change, "c", config=DetectorConfig())
    assert [k for k, _, _ in moved] == list(range(2, 13))
    assert moved[-1][1] > 3.5 and moved[-1][2] > 1.6
    assert max(z for _, z, _ in still) < 3.5


def test_world_records_feed_the_indicators_without_reading_truth() -> None:
    from mainport.world import RiskRulePolicy, World, WorldConfig, visible

    world = World(WorldConfig(days=1, seed=2, scale=0.005, smuggling_boost=200))
    world.step(0, RiskRulePolicy(seed=2))
    seals = visible.discharge_seals(world, 0)
    assert set(seals.columns) == {"hub", "container_number", "declared_seal", "seal_at_discharge"}
    assert set(seals["hub"]) <= {"rotterdam", "zeeland_west_brabant", "north_sea_canal"}
    logs = visible.access_logs(world, 0)
    assert logs and {"at", "hub", "kind"} <= set(logs[0])
    # What the records show agrees with what the world did (checked here against truth, in a test only).
    changed = sum(1 for a in world.attempts(0) if "seal_number_changed" in a.traces)
    assert sum(seal_changes(seals).values()) == changed
    assert all(s.get("kind") == "eseal_status" for s in visible.eseal_status(world, 0))
