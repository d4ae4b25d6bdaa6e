from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from mainport.monitoring import figures


def test_parse_period() -> None:
    assert figures.parse_period("2026-Q3") == (date(2026, 7, 1), date(2026, 10, 1))
    assert figures.parse_period("2026-q4") == (date(2026, 10, 1), date(2027, 1, 1))
    assert figures.parse_period("2026") == (date(2026, 1, 1), date(2027, 1, 1))
    assert figures.parse_period("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    for bad in ("2026-Q5", "26-Q1", "2026-13", "last year"):
        with pytest.raises(ValueError):
            figures.parse_period(bad)
    assert figures.previous_period(date(2026, 7, 1), date(2026, 10, 1)) == (
        date(2026, 3, 31),
        date(2026, 7, 1),
    )


def _daily() -> pd.DataFrame:
    rows = []
    for day in pd.date_range("2026-07-06", periods=14):  # two ISO weeks from a Monday
        rows += [
            ("rotterdam", day, "inspections", 10),
            ("rotterdam", day, "hits", 1),
            ("rotterdam", day, "seizures", 1),
            ("rotterdam", day, "kg", 100.0),
            ("schiphol", day, "inspections", 5),
        ]
    return pd.DataFrame(rows, columns=["hub", "day", "metric", "value"])


def test_per_period_and_totals_with_derived_metrics() -> None:
    weekly = figures.per_period(_daily(), "week")
    rtm = weekly[weekly["hub"] == "rotterdam"]
    assert list(rtm["period"]) == [pd.Timestamp("2026-07-06"), pd.Timestamp("2026-07-13")]
    assert list(rtm["inspections"]) == [70, 70] and list(rtm["hit_rate"]) == [0.1, 0.1]
    assert list(rtm["kg_per_seizure"]) == [100.0, 100.0]
    spl = weekly[weekly["hub"] == "schiphol"]
    assert spl["hit_rate"].tolist() == [0.0, 0.0] and spl["kg_per_seizure"].isna().all()
    totals = figures.totals_per_hub(_daily(), ["rotterdam", "schiphol", "flower_auctions"])
    assert totals.set_index("hub").loc["flower_auctions", "inspections"] == 0  # zero row, not missing
    assert totals.set_index("hub").loc["rotterdam", "kg"] == 1400.0
    m = figures.matrix(
        weekly, "inspections", ["rotterdam", "schiphol"], "week", date(2026, 6, 29), date(2026, 7, 27)
    )
    assert m.shape == (4, 2) and m["rotterdam"].tolist() == [0, 70, 70, 0]
    with pytest.raises(ValueError):
        figures.per_period(_daily(), "fortnight")


def test_sizes_modus_and_budget() -> None:
    seizures = pd.DataFrame(
        {
            "hub": ["rotterdam"] * 3 + ["schiphol"],
            "kg": [5.0, 150.0, 2000.0, 20.0],
            "modus_operandi": ["reefer_unit", "reefer_unit", None, "passenger"],
        }
    )
    sizes = figures.size_distribution(seizures).set_index(["hub", "size_class"])["count"]
    assert sizes[("rotterdam", "<10 kg")] == 1 and sizes[("rotterdam", "1-5 t")] == 1
    assert sizes[("schiphol", "10-100 kg")] == 1
    mix = figures.modus_mix(seizures)
    rtm = mix[mix["hub"] == "rotterdam"].set_index("modus_operandi")
    assert rtm.loc["reefer_unit", "count"] == 2 and rtm.loc["unknown", "count"] == 1
    assert abs(rtm["share"].sum() - 1) < 1e-9
    measures = pd.DataFrame([{"hub": "rotterdam", "budget_eur_m": 2.0, "spent_eur_m": 1.5}])
    totals = pd.DataFrame([{"hub": "rotterdam", "kg": 3000.0, "seizures": 3.0}])
    budget = figures.budget_vs_results({"rotterdam": 16.5, "schiphol": 3.5}, measures, totals, 0.25)
    row = budget.set_index("hub").loc["rotterdam"]
    assert (
        row["plan_budget_eur_m"] == 4.125 and row["spent_eur_m"] == 1.5 and row["kg_per_eur_m_spent"] == 2000
    )
    assert budget.set_index("hub").loc["schiphol", "measures"] == 0
