"""Shared fixtures: small synthetic scans (20 ft keeps the suite fast)."""

from __future__ import annotations

import pytest

from mainport.imaging.render import PairSample, render_pair
from mainport.imaging.scene import ContainerContents


@pytest.fixture(scope="session")
def door_pair() -> PairSample:
    """20 ft furniture container, 30 kg door bag added between origin and arrival."""
    c = ContainerContents(size_ft=20, commodity="furniture", fill_fraction=0.6, layout_seed=11)
    return render_pair(5, contents=c, change="added", change_kind="door", change_mass_kg=30.0)


@pytest.fixture(scope="session")
def benign_pair() -> PairSample:
    c = ContainerContents(size_ft=20, commodity="furniture", fill_fraction=0.6, layout_seed=11)
    return render_pair(6, contents=c)
