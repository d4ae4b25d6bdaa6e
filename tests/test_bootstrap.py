"""`make run`'s bootstrap: migrate an empty database, create the first admin once, load a sample world."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mainport.config import get_settings
from mainport.database import session_scope
from mainport.database.runtime import get_engine, get_session_factory
from mainport.identity.models import User
from mainport.ingest.models import IngestRun
from mainport.shipments.models import Container, ContainerEvent, Declaration


@pytest.fixture
def fresh_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MAINPORT_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'mainport.db'}")
    monkeypatch.setenv("MAINPORT_DATA_DIR", str(tmp_path / "var"))
    for cached in (get_settings, get_engine, get_session_factory):
        cached.cache_clear()
    yield tmp_path
    get_engine().dispose()
    for cached in (get_settings, get_engine, get_session_factory):
        cached.cache_clear()


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
