from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event, literal, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic autogenerate and batch mode agree on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


T = TypeVar("T")

# Values per `IN (...)` list: far under SQLite's (32,766) and PostgreSQL's (65,535) bound-parameter limits,
# and small enough that the statement compiles fast.
IN_CHUNK = 2000


def chunks(items: Sequence[T], n: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """`items` in slices of at most `n` (for IN lists and bulk statements)."""
    for i in range(0, len(items), n):
        yield items[i : i + n]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; mainport stores aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
        list[str]: JSON(),
    }


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINTs; let SQLAlchemy emit BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE: take the write lock up front; a deferred read-then-write transaction cannot wait for a busy
    # writer and fails with "database is locked". SQLite is the embedded default; PostgreSQL scales out.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def build_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url``; for SQLite files the parent folder is created."""
    parsed = make_url(url)
    if parsed.drivername.startswith("postgresql") and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Unit of work for CLI commands and jobs: commit on success, roll back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --- what a database error means ------------------------------------------------------------------------

# SQLSTATEs after which the same transaction, run again, may well succeed: serialization failure, deadlock,
# lock not available, a backend terminated (pg_terminate_backend, a restart), connection failures (08xxx).
_TRANSIENT_STATES = frozenset({"40001", "40P01", "55P03", "57P01", "57P02", "57P03"})
_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a PostgreSQL error, wrapped by SQLAlchemy or raised by the driver itself (None for
    SQLite and for errors without one)."""
    state = getattr(getattr(exc, "orig", None) or exc, "sqlstate", None)
    return state if isinstance(state, str) else None


def is_transient(exc: BaseException) -> bool:
    """A fault of the moment, not of the data: a deadlock, a serialization failure, a busy SQLite file, a
    connection that was lost or could not be made. The transaction was rolled back; running it again from
    the start is safe and may succeed. (Errors raised by the driver itself, as in a COPY, count too.)"""
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True  # pool exhausted / connection dropped on checkout
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    state = sqlstate(exc)
    if state is not None:
        return state in _TRANSIENT_STATES or state.startswith("08")
    orig = getattr(exc, "orig", None) or exc
    kind = type(orig).__name__
    if kind not in ("OperationalError", "InterfaceError", "ConnectionTimeout", "ConnectionFailure"):
        return False
    text = str(orig).lower()
    if "disk" in text and "full" in text:
        return False  # disk full: waiting does not help
    if type(orig).__module__.startswith("sqlite3"):
        return any(b in text for b in _SQLITE_BUSY)
    return True  # a driver error without a state: connection refused, server closed the connection


def is_unique_violation(exc: BaseException) -> bool:
    """The row is already there (a unique key): on ingest, a record stored by someone else meanwhile."""
    state = sqlstate(exc)
    if state is not None:
        return state == "23505"
    return isinstance(exc, sa_exc.IntegrityError) and "UNIQUE constraint failed" in str(exc.orig)


def missing_target(session: Session, model: Any, **values: Any) -> str | None:
    """The first of `values` (foreign-key columns of `model`, by name) that names a row that does not exist,
    as "declaration 7"; None when every one exists or is None. Read through the key's own metadata, so a
    domain checks a reference into another domain's table without importing its models."""
    table = model.__table__
    for name, value in values.items():
        if value is None:
            continue
        (key,) = table.c[name].foreign_keys
        target = key.column
        if session.execute(select(literal(1)).where(target == value).limit(1)).first() is None:
            return f"{target.table.name} {value}"
    return None


def missing_reference(exc: BaseException) -> str | None:
    """For a foreign-key refusal (a row naming a record that does not exist), what it named as far as the
    database says ("declaration_id 7 (no such declaration)" on PostgreSQL; SQLite does not say which);
    None for any other error."""
    state = sqlstate(exc)
    if state is None:
        if isinstance(exc, sa_exc.IntegrityError) and "FOREIGN KEY constraint failed" in str(exc.orig):
            return "a referenced record"
        return None
    if state != "23503":
        return None
    detail = getattr(getattr(getattr(exc, "orig", None) or exc, "diag", None), "message_detail", None) or ""
    # 'Key (declaration_id)=(7) is not present in table "declaration".'
    found = re.match(r'Key \((\w+)\)=\((.*)\) is not present in table "(\w+)"', detail)
    if found is None:
        return "a referenced record"
    column, value, table = found.groups()
    return f"{column} {value[:60]} (no such {table})"


def is_row_refusal(exc: BaseException) -> bool:
    """The database refused the values of a row (a constraint, a type, a length, NUL in text, text that is
    not valid UTF-8): the data's fault, not the database's. PostgreSQL: SQLSTATE classes 22 and 23."""
    state = sqlstate(exc)
    if state is not None:
        return state[:2] in ("22", "23")
    if isinstance(exc, sa_exc.IntegrityError | sa_exc.DataError):
        return True
    if isinstance(exc, UnicodeError):  # the driver could not encode a value (unpaired surrogates)
        return True
    return isinstance(exc, sa_exc.StatementError) and isinstance(exc.orig, UnicodeError | ValueError)


def refusal_reason(exc: BaseException) -> str:
    """The database's refusal of a row in one line."""
    orig = getattr(exc, "orig", None) or exc
    first = next((line.strip() for line in str(orig).splitlines() if line.strip()), type(orig).__name__)
    state = sqlstate(exc)
    return f"refused by the database: {first[:300]}" + (f" (SQLSTATE {state})" if state else "")


RETRY_ATTEMPTS = 5
RETRY_BACKOFF_S = 0.2


def run_transaction(
    factory: sessionmaker[Session],
    work: Callable[[Session], T],
    *,
    attempts: int = RETRY_ATTEMPTS,
    backoff_s: float = RETRY_BACKOFF_S,
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> T:
    """Run `work(session)` in a transaction of its own and commit; run it again (with a fresh session and
    connection, after a growing pause) when it failed on a transient fault (`is_transient`), up to
    `attempts` times in all. Anything else, and the last transient fault, is raised."""
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(factory) as session:
                return work(session)
        except Exception as exc:
            if attempt == attempts or not is_transient(exc):
                raise
            if on_retry is not None:
                on_retry(attempt, exc)
            time.sleep(backoff_s * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # pragma: no cover
