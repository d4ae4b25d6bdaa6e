"""`make run`'s bootstrap: migrate an empty database, create the first admin once, load a sample world."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from mainport.database import session_scope
from mainport.database.runtime import get_session_factory
from mainport.identity.models import User
from mainport.ingest.models import IngestRun
from mainport.shipments.models import Container, ContainerEvent, Declaration
from tests.conftest import FreshDatabase


@pytest.fixture
def fresh_env(configured_db: FreshDatabase, tmp_path: Path) -> Path:
    return tmp_path


@pytest.mark.slow
def test_bootstrap_creates_admin_once_and_loads_sample_world(fresh_env: Path) -> None:
    from mainport.serve import bootstrap

    password = bootstrap()
    assert password and len(password) >= 12
    with session_scope(get_session_factory()) as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1
        assert s.scalar(select(func.count()).select_from(Declaration)) > 100
        assert s.scalar(select(func.count()).select_from(ContainerEvent)) > 500
        assert s.scalar(select(func.count()).select_from(Container)) > 100  # the container list is not empty
        runs = s.scalars(select(IngestRun)).all()
        assert runs and all(r.received == r.stored + r.duplicates + r.quarantined for r in runs)
    # The world's ground truth stays on disk, apart from what was ingested.
    assert (fresh_env / "var" / "sample-world" / "truth").is_dir()
    # A second start changes nothing and creates no second admin.
    assert bootstrap() is None
    with session_scope(get_session_factory()) as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1
