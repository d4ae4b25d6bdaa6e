from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mainport.monitoring.waterbed import (
    DetectorConfig,
    EnforcementChange,
    assess_pair,
    detect,
    find_enforcement_rises,
)

HUBS = ["rotterdam", "zeeland_west_brabant", "north_sea_canal", "schiphol", "flower_auctions"]
BASE = np.array([12.0, 4.0, 3.0, 6.0, 2.0])


def _world(
    seed: int, shift_to: str | None, weeks: int = 120, t0: int = 100
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-01-01", periods=weeks, freq="W-MON")
    common = np.cumsum(rng.normal(0, 0.03, weeks))
    rate = BASE[None, :] * np.exp(common)[:, None]
    if shift_to:
        moved = rate[t0:, 0] * 0.5
        rate[t0:, 0] -= moved
        rate[t0:, HUBS.index(shift_to)] += moved
    seizures = pd.DataFrame(rng.poisson(rate), index=index, columns=HUBS)
    effort = np.tile([500.0, 100, 80, 200, 40], (weeks, 1))
    effort[t0:, 0] *= 1.8
    inspections = pd.DataFrame(rng.poisson(effort), index=index, columns=HUBS)
    return seizures, inspections


def test_flags_the_hub_smuggling_moved_to_and_explains_itself() -> None:
    seizures, inspections = _world(1, "north_sea_canal")
    change = EnforcementChange("rotterdam", seizures.index[100])
    findings = detect(seizures, [change], enforcement=inspections, unit="seizures")
    top = findings[0]
    assert top.flagged and top.target_hub == "north_sea_canal"
    assert top.delay_periods is not None and top.delay_periods <= 6
    assert top.ratio_low > 1.0 and top.ratio > 1.5 and top.p_value < 0.001
    assert top.excess_units > 0 and top.source_rise is not None and top.source_rise > 1.5
    assert "rotterdam" in top.explanation and "north_sea_canal" in top.explanation
    assert "Displacement signal" in top.explanation and "placebo" in top.explanation
    assert [f.flagged for f in findings[1:]] == [False] * 3


def test_quiet_without_a_shift_and_unattributed_without_an_enforcement_rise() -> None:
    alarms = 0
    for seed in range(20):
        seizures, inspections = _world(100 + seed, None)
        change = EnforcementChange("rotterdam", seizures.index[100])
        alarms += any(f.flagged for f in detect(seizures, [change], enforcement=inspections))
    assert alarms <= 1
    seizures, _ = _world(3, "north_sea_canal")
    flat = pd.DataFrame(100.0, index=seizures.index, columns=HUBS)  # enforcement did not rise at rotterdam
    f = assess_pair(
        seizures, EnforcementChange("rotterdam", seizures.index[100]), "north_sea_canal", enforcement=flat
    )
    assert f is not None and not f.flagged and f.ratio > 1.5


def test_few_yearly_points_give_wide_honest_intervals() -> None:
    years = pd.DataFrame(
        {"A": [10, 12, 20, 8], "B": [5.0, 0.3, 4.0, 11.0], "C": [50, 60, 70, 75]},
        index=[2020, 2021, 2022, 2023],
    )
    f = assess_pair(years, EnforcementChange("A", 2022), "B", config=DetectorConfig(window=2, min_post=1))
    assert f is not None and f.n_pre == 2 and f.donors == ["C"] and f.slope == 1.0
    assert "t interval" in f.method and f.ratio_high / f.ratio_low > 100  # two points cannot say much
    assert not f.flagged
    one = years.loc[2021:]
    g = assess_pair(one, EnforcementChange("A", 2022), "B")
    assert g is None  # one earlier year: nothing to say
    with pytest.raises(ValueError):
        assess_pair(years, EnforcementChange("A", 2030), "B")


def test_find_enforcement_rises() -> None:
    _, inspections = _world(5, None)
    changes = find_enforcement_rises(inspections)
    assert [(c.hub, c.start) for c in changes] == [("rotterdam", inspections.index[100])]
