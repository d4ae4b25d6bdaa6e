"""Alembic driven from code, so the CLI, `make run` and the tests all migrate the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from mainport.config import get_settings
from mainport.database.core import Base, build_engine
from mainport.domains import load_models

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().database_url).replace("%", "%%"))
    return cfg


def upgrade(*, url: str | None = None, revision: str = "head", engine: Engine | None = None) -> None:
    cfg = alembic_config(url)
    if engine is not None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    else:
        command.upgrade(cfg, revision)


def current(*, url: str | None = None) -> str | None:
    engine = build_engine(url or get_settings().database_url)
    with engine.connect() as conn:
        rev = MigrationContext.configure(conn).get_current_revision()
    engine.dispose()
    return rev


def check(*, url: str | None = None, engine: Engine | None = None) -> list[Any]:
    """Differences between the migrated schema and the models (empty when they agree)."""
    load_models()
    own = engine is None
    engine = engine or build_engine(url or get_settings().database_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": conn.dialect.name == "sqlite"}
        )
        diff = compare_metadata(ctx, Base.metadata)
    if own:
        engine.dispose()
    return list(diff)
