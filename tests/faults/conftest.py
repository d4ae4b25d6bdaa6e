"""Fixtures of the fault-injection suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import FreshDatabase
from tests.faults.helpers import Tagged, tagged


@pytest.fixture
def t(fresh_db: FreshDatabase) -> Iterator[Tagged]:
    """A fresh database (SQLite or PostgreSQL) whose connections are tagged for killing."""
    found = tagged(fresh_db)
    yield found
    found.engine.dispose()
