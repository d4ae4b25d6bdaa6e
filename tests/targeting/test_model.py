from __future__ import annotations

import numpy as np
import pytest

from mainport.targeting.features import build_features
from mainport.targeting.metrics import at_rates
from mainport.targeting.model import RiskModel, train
from mainport.targeting.synthetic import generate


@pytest.fixture(scope="module")
def data():
    flow = generate(6000, days=60, seed=5, base_rate=0.03)
    f = build_features(flow.declarations, parties=flow.parties, events=flow.events)
    return f, flow.truth["label"].to_numpy(), flow.truth["kg"].to_numpy()


@pytest.fixture(scope="module")
def model(data) -> RiskModel:
    f, y, _ = data
    return train(f.iloc[:4500], y[:4500], rounds=60)


def test_model_beats_random_and_is_calibrated(data, model: RiskModel) -> None:
    f, y, kg = data
    p = model.predict(f.iloc[4500:])
    assert ((p >= 0) & (p <= 1)).all()
    # calibrated: the mean predicted risk is close to the observed rate of the later period
    assert abs(p.mean() - y[4500:].mean()) < 0.03
    top = at_rates(p, y[4500:], kg[4500:])
    base = y[4500:].mean()
    assert top.loc[top["rate"] == 0.10, "precision"].item() > 2 * base


def test_reasons_are_in_words_and_positive(data, model: RiskModel) -> None:
    f, _, _ = data
    reasons = model.explain(f.iloc[4500:4600], top=3)
    assert len(reasons) == 100
    flat = [r for rs in reasons for r in rs]
    assert flat and all(r.contribution > 0 for r in flat)
    assert any("loaded in" in r.text or "consignee first seen" in r.text for r in flat)
    assert all("_" not in r.text.split(" ")[0] for r in flat)  # words, not column names


def test_model_roundtrips_through_bytes(data, model: RiskModel) -> None:
    f, _, _ = data
    again = RiskModel.from_bytes(model.to_bytes())
    assert np.allclose(again.predict(f.iloc[:200]), model.predict(f.iloc[:200]))
    assert again.meta["rows"] == 4500


def test_training_needs_both_outcomes(data) -> None:
    f, _, _ = data
    with pytest.raises(ValueError, match="both"):
        train(f.iloc[:100], np.zeros(100))


def test_unknown_categories_do_not_break_scoring(data, model: RiskModel) -> None:
    f, _, _ = data
    odd = f.iloc[:5].copy()
    odd["carrier"] = "ZZZZ"
    odd["hub"] = "atlantis"
    assert np.isfinite(model.predict(odd)).all()
