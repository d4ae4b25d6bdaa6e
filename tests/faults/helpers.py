"""What the fault-injection tests share: files of events, the CLI in a process of its own, a live server on
its own database, and killing exactly this test's PostgreSQL connections (tagged by application_name, so
that no other test or engineer on the same server is touched)."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from mainport.config import Settings
from mainport.custody import keys, tokens
from mainport.custody.models import ReleaseRight
from mainport.database import build_engine, make_session_factory, session_scope, utcnow
from mainport.identity import service as identity
from mainport.identity.models import OrgKind, Role, User
from mainport.shipments.models import ContainerEvent
from tests.conftest import PG_URL, FreshDatabase, _cached_hash
from tests.ingest.helpers import event

MAINPORT = str(Path(sys.executable).with_name("mainport"))
T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def fault_event(n: int) -> dict[str, Any]:
    """Event ev-N (tests.ingest.helpers.event) a minute apart, so that any N is in the past."""
    at = T0 + timedelta(minutes=n)
    return event(
        n, eventDateTime=at.isoformat(), eventCreatedDateTime=(at + timedelta(minutes=5)).isoformat()
    )


def events_file(path: Path, numbers: Iterable[int], *, bad_every: int = 0) -> tuple[Path, set[int], int]:
    """JSON Lines of events ev-N; every `bad_every`-th line is a bad record instead (unique per line).
    Returns the path, the numbers of the good events and the count of bad lines."""
    good: set[int] = set()
    bad = 0
    with path.open("wb") as f:
        for i, n in enumerate(numbers, start=1):
            if bad_every and i % bad_every == 0:
                f.write(b'{"eventID": "bad-%d", "eventType": "EQUIPMENT"}\n' % n)
                bad += 1
            else:
                f.write(orjson.dumps(fault_event(n)) + b"\n")
                good.add(n)
    return path, good, bad


@dataclass
class Tagged:
    """A fresh database whose connections carry an application_name of their own (PostgreSQL)."""

    db: FreshDatabase
    tag: str
    url: str
    engine: Engine
    factory: sessionmaker[Session]

    def kill(self) -> int:
        """Terminate every backend of this database's tagged connections; how many."""
        if self.db.backend != "postgresql":
            return 0
        with psycopg.connect(PG_URL.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                (self.tag,),
            ).fetchall()
        return len(rows)

    def count(self, model: Any, *where: Any) -> int:
        with self.factory() as s:
            return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def distinct_event_ids(self) -> tuple[int, int]:
        with self.factory() as s:
            total = s.scalar(select(func.count()).select_from(ContainerEvent)) or 0
            distinct = s.scalar(select(func.count(func.distinct(ContainerEvent.event_id)))) or 0
        return int(total), int(distinct)


def tagged(db: FreshDatabase) -> Tagged:
    tag = f"mpfault{uuid.uuid4().hex[:10]}"
    url = db.url if db.backend == "sqlite" else f"{db.url}&application_name={tag}"
    engine = build_engine(url)
    return Tagged(db, tag, url, engine, make_session_factory(engine))


def run_cli(args: list[str], url: str, tmp: Path, *, wait: bool = True) -> subprocess.Popen[str] | Any:
    env = {**os.environ, "MAINPORT_DATABASE_URL": url, "MAINPORT_DATA_DIR": str(tmp / "var")}
    env.pop("MAINPORT_DEBUG", None)
    proc = subprocess.Popen(
        [MAINPORT, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if not wait:
        return proc
    out, err = proc.communicate(timeout=600)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@dataclass
class LiveServer:
    url: str
    server: Any
    thread: threading.Thread
    headers: dict[str, str] = field(default_factory=dict)  # a customs officer's bearer token
    gate_headers: dict[str, str] = field(default_factory=dict)  # a terminal's (ECTDE)


@contextmanager
def live_server(t: Tagged, tmp: Path) -> Iterator[LiveServer]:
    import uvicorn

    from mainport.api.app import create_app
    from mainport.custody import gate

    with session_scope(t.factory) as s:
        headers = _bearer(s, "customs", OrgKind.customs, None, Role.officer)
        gate_headers = _bearer(s, "gate", OrgKind.terminal, "ECTDE", Role.officer)
    settings = Settings(environment="test", secret_key="f" * 40, data_dir=tmp, database_url="sqlite://")
    app = create_app(settings, session_factory=t.factory)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    gate.clear_principal_cache()
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", server, thread, headers, gate_headers)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        gate.dispose_engines()


def _bearer(s: Session, name: str, kind: OrgKind, facility: str | None, role: Role) -> dict[str, str]:
    org = identity.get_or_create_organisation(
        session=s,
        code=f"{name.upper()}-ORG",
        name=name,
        kind=kind,
        facility_code=facility,
        node_code="rotterdam",
    )
    user = User(
        username=f"{name}-{uuid.uuid4().hex[:6]}", password_hash=_cached_hash(), role=role, organisation=org
    )
    s.add(user)
    s.flush()
    _tok, plain = identity.create_token(session=s, actor=identity.principal_for(user), user=user, name=name)
    return {"Authorization": f"Bearer {plain}"}


def release_rights(t: Tagged, boxes: list[str]) -> dict[str, str]:
    """A right nominated to HAUL-1 / DRV-1 at ECTDE for each box; box -> token."""
    out: dict[str, str] = {}
    with session_scope(t.factory) as s:
        kid, key = keys.signing_key(s)
        now = utcnow()
        for box in boxes:
            right = ReleaseRight(
                token_id=secrets.token_hex(16),
                container_number=box,
                facility_code="ECTDE",
                issuer_org="MSCU",
                holder_org="HAUL-1",
                holder_kind="driver",
                carrier_id="HAUL-1",
                driver_id="DRV-1",
                not_before=now - timedelta(minutes=5),
                expires_at=now + timedelta(hours=2),
                status="active",
                kid=kid,
                issued_by="t",
            )
            s.add(right)
            s.flush()
            claims = tokens.Claims(
                kid,
                right.token_id,
                box,
                "ECTDE",
                "HAUL-1",
                "DRV-1",
                int(right.not_before.timestamp()),
                int(right.expires_at.timestamp()),
            )
            out[box] = tokens.sign(claims, key)
    return out


def sql(t: Tagged, statement: str) -> list[Any]:
    with t.engine.connect() as conn:
        return list(conn.execute(text(statement)))
