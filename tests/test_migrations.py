"""Models and migrations agree (alembic check), on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from mainport.database import build_engine, migrations
from tests.conftest import PG_URL


def _upgrade_and_check(engine: Engine) -> None:
    migrations.upgrade(engine=engine)
    assert "declaration" in inspect(engine).get_table_names()
    assert migrations.check(engine=engine) == []


def test_sqlite_migrations_match_models(tmp_path: object) -> None:
    engine = build_engine(f"sqlite:///{tmp_path}/m.db")  # type: ignore[str-bytes-safe]
    _upgrade_and_check(engine)
    migrations.upgrade(engine=engine)  # idempotent at head
    engine.dispose()


@pytest.mark.postgres
def test_postgres_migrations_match_models() -> None:
    try:
        admin = build_engine(PG_URL)
        with admin.connect() as c:
            c.execute(text("select 1"))
    except Exception as exc:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL} ({type(exc).__name__})")
    schema = f"mig_{uuid.uuid4().hex[:8]}_{os.getpid()}"
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    engine = build_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        _upgrade_and_check(engine)
    finally:
        engine.dispose()
        with admin.begin() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
