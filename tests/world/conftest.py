from __future__ import annotations

from pathlib import Path

import pytest

from mainport.world import WorldConfig, generate_world

SMALL = WorldConfig(days=3, seed=11, scale=0.01, smuggling_boost=60.0)


@pytest.fixture(scope="module")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate_world(SMALL, out)
    return out
