"""Shared fixtures: each test runs in a transaction that is rolled back; PostgreSQL tests skip clearly."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

from mainport.config import Settings
from mainport.database import Base, build_engine, make_session_factory
from mainport.domains import load_models
from mainport.identity import service as identity
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal

PG_URL = os.environ.get("MAINPORT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

load_models()


def _pg_reachable() -> str | None:
    """None when PostgreSQL answers at PG_URL, else why not (the reason a skip prints)."""
    global _PG_STATE
    if _PG_STATE is None:
        try:
            eng = build_engine(PG_URL)
            with eng.connect() as conn:
                conn.execute(text("select 1"))
            eng.dispose()
            _PG_STATE = ""
        except Exception as exc:  # any failure to reach the server means: skip, and say why
            _PG_STATE = (
                f"PostgreSQL not reachable at {PG_URL} ({type(exc).__name__}); "
                "start it or set MAINPORT_TEST_PG_URL"
            )
    return _PG_STATE or None


_PG_STATE: str | None = None


class FreshDatabase:
    """An empty database with the whole schema on one backend: a SQLite file or a PostgreSQL schema.

    ``url`` is what a CLI or server is given (MAINPORT_DATABASE_URL); ``engine`` and ``factory`` serve the
    test itself. PostgreSQL schemas are dropped afterwards."""

    def __init__(self, backend: str, where: Path, *, create_schema: bool = True) -> None:
        self.backend = backend
        self._admin: Engine | None = None
        if backend == "sqlite":
            where.mkdir(parents=True, exist_ok=True)
            self.url = f"sqlite:///{where / 'fresh.db'}"
            self.schema: str | None = None
        else:
            reason = _pg_reachable()
            if reason:
                pytest.skip(reason)
            self.schema = f"mp_{uuid.uuid4().hex[:10]}_{os.getpid()}"
            self._admin = build_engine(PG_URL)
            with self._admin.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {self.schema}"))
            sep = "&" if "?" in PG_URL else "?"
            self.url = f"{PG_URL}{sep}options=-csearch_path%3D{self.schema}"
        self.engine = build_engine(self.url)
        if create_schema:
            Base.metadata.create_all(self.engine)
        self.factory = make_session_factory(self.engine)

    def close(self) -> None:
        self.engine.dispose()
        if self._admin is not None:
            with self._admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
            self._admin.dispose()


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="pg", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session", params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    """Every test that touches the database runs on SQLite and on PostgreSQL (skipped, saying why, without a
    server). MAINPORT_TEST_BACKENDS=sqlite (or pg) narrows the run for a quick loop."""
    backend = str(request.param)
    wanted = os.environ.get("MAINPORT_TEST_BACKENDS")
    if wanted and {"sqlite": "sqlite", "postgresql": "pg"}[backend] not in wanted.split(","):
        pytest.skip(f"{backend} left out by MAINPORT_TEST_BACKENDS={wanted}")
    if backend == "postgresql":
        reason = _pg_reachable()
        if reason:
            pytest.skip(reason)
    return backend


@pytest.fixture(scope="session")
def engine(db_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    db = FreshDatabase(db_backend, tmp_path_factory.mktemp(f"db-{db_backend}"))
    yield db.engine
    db.close()


@pytest.fixture
def make_fresh_db(db_backend: str, tmp_path: Path) -> Iterator[Callable[[], FreshDatabase]]:
    """Databases of their own with the whole schema, for code that commits (CLIs, jobs, servers)."""
    made: list[FreshDatabase] = []

    def make() -> FreshDatabase:
        made.append(FreshDatabase(db_backend, tmp_path / f"fresh{len(made)}"))
        return made[-1]

    yield make
    for db in made:
        db.close()


@pytest.fixture
def fresh_db(make_fresh_db: Callable[[], FreshDatabase]) -> FreshDatabase:
    return make_fresh_db()


@pytest.fixture
def configured_db(
    db_backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FreshDatabase]:
    """An empty database (no tables) that the settings point at (MAINPORT_DATABASE_URL, MAINPORT_DATA_DIR):
    for CLI commands and `make run`'s bootstrap, which migrate and commit themselves."""
    from mainport.config import get_settings
    from mainport.database.runtime import get_engine, get_session_factory

    db = FreshDatabase(db_backend, tmp_path, create_schema=False)
    monkeypatch.setenv("MAINPORT_DATABASE_URL", db.url)
    monkeypatch.setenv("MAINPORT_DATA_DIR", str(tmp_path / "var"))
    caches = (get_settings, get_engine, get_session_factory)
    for cached in caches:
        cached.cache_clear()
    yield db
    get_engine().dispose()
    for cached in caches:
        cached.cache_clear()
    db.close()


def _rolled_back_connection(eng: Engine) -> Iterator[Connection]:
    conn = eng.connect()
    trans = conn.begin()
    try:
        yield conn
    finally:
        trans.rollback()
        conn.close()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    yield from _rolled_back_connection(engine)


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    # Commits inside the code under test release a savepoint; the outer transaction is rolled back.
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    s = session_factory()
    yield s
    s.close()


@pytest.fixture(scope="session")
def pg_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """PostgreSQL only, for tests of PostgreSQL behaviour itself (locks, concurrency)."""
    db = FreshDatabase("postgresql", tmp_path_factory.mktemp("pg"))
    yield db.engine
    db.close()


@pytest.fixture
def pg_session(pg_engine: Engine) -> Iterator[Session]:
    for conn in _rolled_back_connection(pg_engine):
        s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        yield s
        s.close()


PrincipalFactory = Callable[..., Principal]


@pytest.fixture
def principal_factory(session: Session) -> PrincipalFactory:
    """Make a user (and organisation) and return its principal."""
    counter = iter(range(10_000))

    def make(
        role: Role = Role.analyst,
        kind: OrgKind = OrgKind.customs,
        org_code: str | None = None,
        username: str | None = None,
        node_code: str | None = None,
        facility_code: str | None = None,
        carrier_code: str | None = None,
    ) -> Principal:
        n = next(counter)
        org = identity.get_or_create_organisation(
            session=session,
            code=org_code or f"{kind.value.upper()}-{n}",
            name=f"{kind.value} org {n}",
            kind=kind,
            node_code=node_code,
            facility_code=facility_code,
            carrier_code=carrier_code,
        )
        from mainport.identity.models import User

        user = User(
            username=username or f"{role.value}{n}_{kind.value}",
            password_hash=_cached_hash(),
            role=role,
            organisation=org,
        )
        session.add(user)
        session.flush()
        return identity.principal_for(user)

    return make


_HASH: list[str] = []


def _cached_hash() -> str:
    # argon2 is deliberately slow; hash the shared test password once per run.
    if not _HASH:
        from mainport.identity.passwords import hash_password

        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


@pytest.fixture
def test_settings(tmp_path: Path) -> Settings:
    return Settings(environment="test", secret_key="t" * 40, data_dir=tmp_path, database_url="sqlite://")


@pytest.fixture
def app_client(session_factory: sessionmaker[Session], test_settings: Settings) -> Iterator[TestClient]:
    """An unauthenticated client on the app, sharing the test's rolled-back connection."""
    from mainport.api.app import create_app

    app = create_app(test_settings, session_factory=session_factory)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def token_for(session: Session) -> Callable[[Principal], dict[str, str]]:
    """Authorization header with a fresh bearer token for a principal."""

    def make(p: Principal) -> dict[str, str]:
        user = identity.get_user(session=session, user_id=p.user_id)
        _tok, plain = identity.create_token(session=session, actor=p, user=user, name="test")
        session.commit()
        return {"Authorization": f"Bearer {plain}"}

    return make


# ------------------------------------------------ browser: a live server and headless Chromium
CHROMIUM = os.environ.get("MAINPORT_CHROMIUM", "/usr/bin/chromium")
SEED_USERS = [
    # username, role, org code, org kind, node, facility
    ("customs_analyst", Role.analyst, "DOUANE-RTM", OrgKind.customs, "rotterdam", None),
    ("customs_admin", Role.admin, "DOUANE-RTM", OrgKind.customs, "rotterdam", None),
    ("terminal_officer", Role.officer, "TERM-ECT", OrgKind.terminal, "rotterdam", "ECTDE"),
    ("police_viewer", Role.viewer, "POLITIE-RTM", OrgKind.police, "rotterdam", None),
]


class LiveServer:
    def __init__(self, url: str, session_factory: sessionmaker[Session]) -> None:
        self.url = url
        self.session_factory = session_factory

    def login(self, page: object, username: str, password: str = PASSWORD) -> None:
        page.goto(f"{self.url}/login")  # type: ignore[attr-defined]
        page.fill("input[name=username]", username)  # type: ignore[attr-defined]
        page.fill("input[name=password]", password)  # type: ignore[attr-defined]
        page.click("button[type=submit]")  # type: ignore[attr-defined]
        page.wait_for_selector("[data-testid=whoami]")  # type: ignore[attr-defined]


def seed_users(session: Session) -> None:
    from mainport.identity.models import User

    for username, role, code, kind, node, facility in SEED_USERS:
        org = identity.get_or_create_organisation(
            session=session, code=code, name=code, kind=kind, node_code=node, facility_code=facility
        )
        session.add(User(username=username, password_hash=_cached_hash(), role=role, organisation=org))
    session.flush()


@pytest.fixture
def live_server(fresh_db: FreshDatabase, tmp_path: Path) -> Iterator[LiveServer]:
    import socket
    import threading
    import time

    import uvicorn

    from mainport.api.app import create_app

    factory = fresh_db.factory
    with factory.begin() as s:
        seed_users(s)
    settings = Settings(environment="test", secret_key="l" * 40, data_dir=tmp_path, database_url="sqlite://")
    app = create_app(settings, session_factory=factory)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", factory)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def _browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium (make test does) "
            "to run browser tests"
        )
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    browser = pw.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )
    yield browser
    browser.close()
    pw.stop()


@pytest.fixture
def browser_page(_browser: object) -> Iterator[object]:
    context = _browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
