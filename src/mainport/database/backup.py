"""Backups and restore of the configured database, each verified.

SQLite: the online backup API (a consistent copy while the server runs). PostgreSQL: ``pg_dump`` in its custom
format, restored with ``pg_restore``. Every backup gets a manifest beside it (``<file>.json``: revision, rows
per table, the audit chain's head, the file's SHA-256), and is verified by reading it back: the backup itself
(SQLite) or a scratch database restored from it (PostgreSQL) must hold the same rows and an audit chain that
verifies. A restore checks the file against its manifest first and verifies the database afterwards."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import URL, Engine, make_url

from mainport.database.core import Base, build_engine, utcnow
from mainport.domains import load_models
from mainport.errors import ValidationFailed


@dataclass
class Manifest:
    backend: str
    created_at: str
    revision: str | None
    tables: dict[str, int]
    audit_entries: int
    audit_head: str
    sha256: str = ""
    bytes: int = 0

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise ValidationFailed(f"{path}: manifest missing; a backup is restored with its .json") from None
        except (ValueError, TypeError) as exc:
            raise ValidationFailed(f"{path}: not a mainport backup manifest ({exc})") from None


@dataclass
class Verification:
    ok: bool
    tables: dict[str, int]
    audit_entries: int
    problems: list[str] = field(default_factory=list)


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def inventory(engine: Engine) -> tuple[dict[str, int], int, str, str | None]:
    """Rows per table, audit entries, the audit chain's head (or what breaks it), the schema revision."""
    from sqlalchemy.orm import Session

    from mainport.audit import service as audit

    load_models()
    present = set(inspect(engine).get_table_names())
    tables: dict[str, int] = {}
    with engine.connect() as conn:
        for name, table in sorted(Base.metadata.tables.items()):
            if name in present:
                tables[name] = int(conn.scalar(select(func.count()).select_from(table)) or 0)
        revision = (
            conn.scalar(text("SELECT version_num FROM alembic_version"))
            if "alembic_version" in present
            else None
        )
    with Session(engine) as session:
        report = audit.verify(session=session)
    head = report.head_hash if report.ok else f"BROKEN: {'; '.join(report.problems)[:300]}"
    return tables, report.entries, head, revision


def _check_against(manifest: Manifest, engine: Engine) -> Verification:
    tables, entries, head, _rev = inventory(engine)
    problems = [
        f"{name}: {tables.get(name)} rows, the backup says {n}"
        for name, n in manifest.tables.items()
        if tables.get(name) != n
    ]
    if head != manifest.audit_head:
        problems.append(f"audit chain head {head[:20]}..., the backup says {manifest.audit_head[:20]}...")
    if head.startswith("BROKEN"):
        problems.append(f"audit chain does not verify: {head}")
    return Verification(not problems, tables, entries, problems)


# ---------------------------------------------------------------------------------------------- SQLite
def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise ValidationFailed("an in-memory SQLite database cannot be backed up; set MAINPORT_DATABASE_URL")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)  # page by page, consistent even while others write
    finally:
        dst.close()
        src.close()


# ---------------------------------------------------------------------------------------------- PostgreSQL
def _pg_env(url: URL) -> dict[str, str]:
    env = dict(os.environ)
    for var, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[var] = str(value)
    return env


def _pg_schema(url: URL) -> str | None:
    """The schema a URL's ``options=-csearch_path=S`` points at (how tests isolate themselves)."""
    options = url.query.get("options")
    option = options[0] if isinstance(options, tuple) else options
    if option and "search_path=" in option:
        return option.split("search_path=", 1)[1].split(",")[0].split()[0]
    return None


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise ValidationFailed(
            f"{name} not found: install PostgreSQL's client tools (Debian: postgresql-client)"
        )
    return found


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        first = next((line for line in done.stderr.splitlines() if line.strip()), "failed")
        raise RuntimeError(f"{Path(args[0]).name}: {first}")


@contextmanager
def _scratch_database(url: URL) -> Iterator[URL]:
    """A throw-away database on the same server, dropped afterwards."""
    name = f"mainport_verify_{uuid.uuid4().hex[:10]}"
    admin = build_engine(
        url.set(query={}).render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ---------------------------------------------------------------------------------------------- the commands
def backup(database_url: str, out: Path) -> tuple[Manifest, Verification]:
    """Write a backup of the database to ``out`` (and ``out.json``), then verify it by reading it back."""
    url = make_url(database_url)
    out.parent.mkdir(parents=True, exist_ok=True)
    engine = build_engine(database_url)
    try:
        tables, entries, head, revision = inventory(engine)
    finally:
        engine.dispose()
    backend = "sqlite" if url.drivername.startswith("sqlite") else "postgresql"
    if backend == "sqlite":
        _sqlite_copy(_sqlite_file(url), out)
        copy = build_engine(f"sqlite:///{out}")
        try:  # the copy is what counts: it is consistent even if rows were added meanwhile
            tables, entries, head, revision = inventory(copy)
        finally:
            copy.dispose()
    else:
        args = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={out}"]
        schema = _pg_schema(url)
        if schema:
            args.append(f"--schema={schema}")
        _run(args, _pg_env(url))
    manifest = Manifest(
        backend=backend,
        created_at=utcnow().isoformat(),
        revision=revision,
        tables=tables,
        audit_entries=entries,
        audit_head=head,
        sha256=_sha256(out),
        bytes=out.stat().st_size,
    )
    verification = verify(out, manifest, database_url)
    manifest_path(out).write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")
    return manifest, verification


def verify(path: Path, manifest: Manifest, database_url: str) -> Verification:
    """Read the backup back and compare it with its manifest (PostgreSQL: in a scratch database)."""
    if _sha256(path) != manifest.sha256:
        return Verification(
            False, {}, 0, [f"{path}: SHA-256 differs from the manifest (changed or truncated)"]
        )
    if manifest.backend == "sqlite":
        engine = build_engine(f"sqlite:///{path}")
        try:
            return _check_against(manifest, engine)
        finally:
            engine.dispose()
    url = make_url(database_url)
    with _scratch_database(url) as scratch:
        _run(
            [
                _tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                f"--dbname={scratch.database}",
                str(path),
            ],
            _pg_env(scratch),
        )
        schema = _pg_schema(url)
        target = scratch.render_as_string(hide_password=False)
        engine = build_engine(target, connect_args={"options": f"-csearch_path={schema}"} if schema else {})
        try:
            return _check_against(manifest, engine)
        finally:
            engine.dispose()


def restore(database_url: str, path: Path) -> Verification:
    """Replace the database's contents with the backup, then verify rows and audit chain against it."""
    manifest = Manifest.read(manifest_path(path))
    if not path.is_file():
        raise ValidationFailed(f"{path}: no such backup file")
    if _sha256(path) != manifest.sha256:
        raise ValidationFailed(
            f"{path}: SHA-256 differs from its manifest; refusing to restore a damaged backup"
        )
    url = make_url(database_url)
    backend = "sqlite" if url.drivername.startswith("sqlite") else "postgresql"
    if backend != manifest.backend:
        raise ValidationFailed(f"{path} is a {manifest.backend} backup; the database is {backend}")
    if backend == "sqlite":
        target = _sqlite_file(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(path, target)
    else:
        args = [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={url.database}",
            str(path),
        ]
        _run(args, _pg_env(url))
    engine = build_engine(database_url)
    try:
        return _check_against(manifest, engine)
    finally:
        engine.dispose()


def describe(manifest: Manifest) -> dict[str, Any]:
    return {
        "backend": manifest.backend,
        "revision": manifest.revision,
        "rows": sum(manifest.tables.values()),
        "tables": len(manifest.tables),
        "audit_entries": manifest.audit_entries,
        "bytes": manifest.bytes,
    }
