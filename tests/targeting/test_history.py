"""Generic as-of history encodings (history.py): exact against a plain count, and never from the future."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mainport.targeting.history import HistorySpec, add_hs_levels, encode, hs_digits

SPEC = HistorySpec(
    entities=("importer", "hs6"),
    pairs=(("importer", "hs6"),),
    values=("value",),
    volume=("importer", "importer__hs6"),
    smoothing=5.0,
    min_norm_rows=3,
    hs_levels=(6, 4, 2),
)


@pytest.fixture(scope="module")
def flow() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 400
    t = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.sort(rng.integers(0, 60 * 24, n)), unit="h")
    frame = pd.DataFrame(
        {
            "filed_at": t,
            "importer": rng.choice([f"I{i}" for i in range(12)] + [None], n),
            "hs_code": rng.choice(["080390", "080430", "090111", "847130"], n),
            "value": rng.lognormal(3, 1, n),
            "found": rng.random(n) < 0.2,
        }
    )
    add_hs_levels(frame, levels=(6, 4, 2))
    return frame


def _ns(s: pd.Series) -> np.ndarray:
    return np.asarray(s.astype("datetime64[ns, UTC]").array.asi8, dtype=np.int64)


def _encode(frame: pd.DataFrame, delay_days: float = 3.0) -> pd.DataFrame:
    t = _ns(frame["filed_at"])
    known = t + np.int64(delay_days * 86400e9)
    return encode(
        frame,
        t,
        query=np.arange(len(frame)),
        query_times=t,
        outcome_rows=np.arange(len(frame)),
        outcome_times=known,
        outcome_found=frame["found"].to_numpy(dtype=float),
        spec=SPEC,
    )


def test_counts_rates_and_ages_match_a_plain_count(flow) -> None:
    enc = _encode(flow)
    delay = pd.Timedelta(days=3)
    for i in range(0, len(flow), 23):
        row = flow.iloc[i]
        if pd.isna(row["importer"]):
            assert np.isnan(enc.loc[i, "h_importer_n"])
            continue
        same = flow["importer"] == row["importer"]
        known = same & (flow["filed_at"] + delay < row["filed_at"])
        assert enc.loc[i, "h_importer_n"] == known.sum()
        assert enc.loc[i, "h_importer_hits"] == flow.loc[known, "found"].sum()
        everyone = flow["filed_at"] + delay < row["filed_at"]
        p0 = (flow.loc[everyone, "found"].sum() + 0.5) / (everyone.sum() + 1.0)
        expect = (flow.loc[known, "found"].sum() + 5.0 * p0) / (known.sum() + 5.0)
        assert enc.loc[i, "h_importer_rate"] == pytest.approx(expect, rel=1e-5)
        earlier = same & (flow["filed_at"] < row["filed_at"])
        assert enc.loc[i, "h_importer_count"] == earlier.sum()
        age = (
            (row["filed_at"] - flow.loc[earlier, "filed_at"].min()).total_seconds() / 86400
            if earlier.any()
            else -1
        )
        assert enc.loc[i, "h_importer_age_days"] == pytest.approx(age, abs=1e-3)
        pair = earlier & (flow["hs6"] == row["hs6"])
        assert enc.loc[i, "h_importer__hs6_count"] == pair.sum()


def test_values_against_the_finest_hs_level_with_enough_rows(flow) -> None:
    enc = _encode(flow)
    i = len(flow) - 1
    row = flow.iloc[i]
    earlier = flow["filed_at"] < row["filed_at"]
    same6 = earlier & (flow["hs6"] == row["hs6"])
    assert enc.loc[i, "norm_value_level"] == 6
    expect = np.log1p(row["value"]) - np.log1p(flow.loc[same6, "value"]).mean()
    assert enc.loc[i, "norm_value_logratio"] == pytest.approx(expect, rel=1e-4)
    assert enc.loc[0, "norm_value_level"] == 0  # nothing earlier: no norm yet


def test_nothing_comes_from_the_future(flow) -> None:
    """Encodings of rows before a cut do not change when everything after it is removed."""
    full = _encode(flow)
    cut = flow["filed_at"].iloc[len(flow) // 2]
    past = flow[flow["filed_at"] < cut].reset_index(drop=True)
    only = _encode(past)
    pd.testing.assert_frame_equal(full.iloc[: len(past)].reset_index(drop=True), only)
    assert full["h_importer_n"].sum() > 0


def test_a_label_counts_only_after_its_delay(flow) -> None:
    soon = _encode(flow, delay_days=0.0)["h_importer_n"].sum()
    late = _encode(flow, delay_days=30.0)["h_importer_n"].sum()
    assert late < soon


def test_hs_codes_that_lost_their_leading_zero() -> None:
    codes = pd.Series([710807000, "0803.90", "8517120010", "abc", None, "84"])
    assert list(hs_digits(codes).fillna("-")) == ["0710807000", "080390", "8517120010", "-", "-", "84"]
