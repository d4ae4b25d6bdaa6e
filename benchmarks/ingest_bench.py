"""Ingest throughput: file ingest of N DCSA events on SQLite and PostgreSQL, the HTTP batch endpoint
(POST /api/v1/events through uvicorn), and a naive ORM baseline (one add+flush per event) measured in the same
run, for the ratio. Prints figures (events/s, CPU us/event, peak RSS); not a test.

    .venv/bin/python benchmarks/ingest_bench.py                 # 1,000,000 events, HTTP 200,000
    .venv/bin/python benchmarks/ingest_bench.py --quick         # 50,000 events, HTTP 20,000
    .venv/bin/python benchmarks/ingest_bench.py --only sqlite,http
    .venv/bin/python benchmarks/ingest_bench.py --only sqlite,postgresql --workers 0   # one process

File ingest of a big events file is pipelined over two processes (a reader process parses and validates,
this one checks against the database and writes); the CPU per event of each is printed. PostgreSQL runs in
a scratch database created for the run and dropped after (MAINPORT_BENCH_PG_URL names the server).

The machine's cores are shared: wall-clock rates move with the load, so the CPU time per event of this
process and the ratio to the baseline (measured minutes apart in the same run) are printed beside them.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import text

from mainport.database import Base, build_engine, make_session_factory
from mainport.domains import load_models
from mainport.identity.principal import system_principal
from mainport.ingest.jobs import choose_workers, ingest_file
from mainport.reference.containers import make_container_number

PG_URL = os.environ.get("MAINPORT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
CODES = ("GTIN", "LOAD", "DISC", "GTOT")
TARGETS = {"sqlite": 20_000, "postgresql": 20_000, "http": 5_000}


def events(n: int, prefix: str = "ev") -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield event(i, prefix)


def event(i: int, prefix: str = "ev", codes: tuple[str, ...] = CODES) -> dict[str, Any]:
    """Event i of the benchmarks' stream: one every 30 s from 2024-01-01, 200,000 boxes, one vessel."""
    at = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=30 * i)
    return {
        "eventID": f"{prefix}-{i}",
        "eventCreatedDateTime": (at + timedelta(minutes=2)).isoformat(),
        "eventType": "EQUIPMENT",
        "eventClassifierCode": "ACT",
        "eventDateTime": at.isoformat(),
        "equipmentEventTypeCode": codes[i % len(codes)],
        "equipmentReference": make_container_number("MSC", i % 200_000),
        "emptyIndicatorCode": "LADEN",
        "eventLocation": {"UNLocationCode": "NLRTM", "facilityCode": "ECTDE"},
        "transportCall": {
            "transportCallID": "tc",
            "modeOfTransport": "VESSEL",
            "UNLocationCode": "NLRTM",
            "importVoyageNumber": f"{i // 5000}N",
            "vessel": {"vesselIMONumber": "9321483"},
        },
        "seals": [{"sealNumber": f"S{i}", "sealType": "BLT"}],
    }


def write_file(path: Path, n: int) -> None:
    with path.open("wb") as f:
        f.write(b"[\n")
        for i, e in enumerate(events(n)):
            f.write((b",\n" if i else b"") + orjson.dumps(e))
        f.write(b"\n]\n")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def children_cpu() -> float:
    """CPU seconds of the finished child processes (the job's reader process, once it is joined)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def report(name: str, n: int, wall: float, cpu: float | None, extra: str = "") -> float:
    rate = n / wall
    target = None if "baseline" in name else TARGETS.get(name.split()[0])
    verdict = "" if target is None else f" (target {target:,}: {'met' if rate >= target else 'NOT met'})"
    cpu_text = f", {cpu / n * 1e6:.1f} us CPU/event in this process" if cpu is not None else ""
    print(
        f"{name}: {n:,} events in {wall:.1f} s = {rate:,.0f} events/s{verdict}{cpu_text}{extra}", flush=True
    )
    return rate


def file_ingest(name: str, url: str, path: Path, n: int, batch: int, workers: int | None) -> float:
    engine = build_engine(url)
    Base.metadata.create_all(engine)
    chosen = choose_workers("events", path) if workers is None else workers
    cpu, wall, reader_cpu = time.process_time(), time.perf_counter(), children_cpu()
    recon = ingest_file(
        session_factory=make_session_factory(engine),
        actor=system_principal(),
        kind="events",
        path=path,
        batch_size=batch,
        workers=workers,
    )
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    reader_cpu = children_cpu() - reader_cpu
    assert recon.stored == n and recon.balanced, recon.summary()
    engine.dispose()
    extra = f"; peak RSS so far {peak_rss_mb():.0f} MB"
    if chosen:  # the reader's own peak RSS is not measurable from here (a forked child inherits ours)
        extra = f" + {reader_cpu / n * 1e6:.1f} us in the reader process{extra}"
    return report(f"{name} file ingest (workers={chosen})", n, wall, cpu, extra)


def baseline(url: str, n: int) -> float:
    """The naive path: validate each event, then one ORM add + flush per event (what bulk ingest replaces)."""
    from mainport.ingest.events import to_row
    from mainport.shipments.models import ContainerEvent

    engine = build_engine(url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    cpu, wall = time.process_time(), time.perf_counter()
    with factory() as s:
        for e in events(n, prefix="base"):
            row = to_row(orjson.loads(orjson.dumps(e)), now=now)
            row.pop("_texts")
            s.add(ContainerEvent(**row, source="baseline", payload=e, received_at=now))
            s.flush()
        s.commit()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    engine.dispose()
    return report("sqlite naive ORM add+flush baseline", n, wall, cpu)


# --- HTTP ---------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _prepare_http_db(url: str) -> str:
    """A fresh database with a customs officer and a bearer token; returns the token."""
    from mainport.identity import service as identity
    from mainport.identity.models import OrgKind, Role, User

    engine = build_engine(url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with factory.begin() as s:
        org = identity.get_or_create_organisation(
            session=s, code="DOUANE-BENCH", name="Douane bench", kind=OrgKind.customs, node_code="rotterdam"
        )
        user = User(username="bench_officer", password_hash="-", role=Role.officer, organisation=org)
        s.add(user)
        s.flush()
        _token, plain = identity.create_token(
            session=s, actor=identity.principal_for(user), user=user, name="bench"
        )
    engine.dispose()
    return plain


def _wait_for(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("uvicorn did not start")


def server_app() -> Any:
    """The standard app (uvicorn factory) on MAINPORT_DATABASE_URL, SQLite write transactions IMMEDIATE.

    Why: the request's session commits in a request-scoped dependency, i.e. after the response has been
    sent; a client that posts the next batch at once starts a deferred SQLite transaction that reads a
    snapshot from before that commit, and its first write then fails with "database is locked"
    (SQLITE_BUSY_SNAPSHOT). BEGIN IMMEDIATE makes it wait for the lock instead (reported to the lead).
    """
    from sqlalchemy import event

    from mainport.api.app import create_app
    from mainport.config import Settings

    settings = Settings()
    engine = build_engine(settings.database_url)
    event.remove(engine, "begin", _sqlite_begin_deferred())
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    return create_app(settings, session_factory=make_session_factory(engine))


def _sqlite_begin_deferred() -> Any:
    from mainport.database import core

    return core._sqlite_begin


def _server_peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def http_ingest(tmp: str, n: int, batch: int) -> float:
    """POST /api/v1/events in batches to a uvicorn subprocess on a fresh SQLite file database."""
    import httpx

    url = f"sqlite:///{tmp}/http.db"
    token = _prepare_http_db(url)
    port = _free_port()
    env = {
        **os.environ,
        "MAINPORT_DATABASE_URL": url,
        "MAINPORT_SECRET_KEY": "b" * 40,
        "MAINPORT_ENVIRONMENT": "test",
        "MAINPORT_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "uvicorn", "ingest_bench:server_app", "--factory"]
    command += [
        "--app-dir",
        str(Path(__file__).resolve().parent),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = subprocess.Popen(command, env=env)
    try:
        _wait_for(port, proc)
        stream = events(n, prefix="http")
        bodies = []  # serialised before the clock starts: the client's work is not the server's
        while chunk := list(islice(stream, batch)):
            bodies.append(orjson.dumps(chunk))
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        stored = 0
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=600) as client:
            wall = time.perf_counter()
            for i, body in enumerate(bodies, start=1):
                r = client.post("/api/v1/events", content=body)
                if r.status_code != 200:
                    raise RuntimeError(f"request {i} of {len(bodies)}: HTTP {r.status_code} {r.text[:300]}")
                answer = r.json()
                assert answer["balanced"], answer
                stored += answer["stored"]
            wall = time.perf_counter() - wall
        assert stored == n, f"stored {stored} of {n}"
        rss = _server_peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    extra = f" ({batch:,} per request); server peak RSS {rss:.0f} MB" if rss else ""
    return report("http POST /api/v1/events", n, wall, None, extra)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--http-events", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=20_000, help="records per transaction (files)")
    parser.add_argument("--http-batch", type=int, default=5_000, help="events per request")
    parser.add_argument("--baseline-events", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="50,000 events, HTTP 20,000")
    parser.add_argument("--only", default="sqlite,postgresql,http,baseline", help="comma-separated parts")
    parser.add_argument(
        "--workers", default="auto", choices=("auto", "0", "1"), help="file ingest: 1 = a reader process"
    )
    args = parser.parse_args()
    n = 50_000 if args.quick else args.events
    http_n = 20_000 if args.quick else args.http_events
    parts = set(args.only.split(","))
    workers = None if args.workers == "auto" else int(args.workers)
    print(f"{_load()} on {os.cpu_count()} cores", flush=True)
    load_models()
    rates: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.json"
        if parts & {"sqlite", "postgresql"}:
            t = time.perf_counter()
            write_file(path, n)
            size_mb = path.stat().st_size / 1e6
            print(f"generated {n:,} events ({size_mb:.0f} MB) in {time.perf_counter() - t:.1f} s", flush=True)
        steps: list[tuple[str, Callable[[], float]]] = [
            (
                "sqlite",
                lambda: file_ingest("sqlite", f"sqlite:///{tmp}/bench.db", path, n, args.batch_size, workers),
            ),
            ("baseline", lambda: baseline(f"sqlite:///{tmp}/base.db", min(args.baseline_events, n))),
            ("postgresql", lambda: _postgresql(path, n, args.batch_size, workers)),
            ("http", lambda: http_ingest(tmp, http_n, args.http_batch)),
        ]
        for name, step in steps:
            if name in parts:
                try:
                    rates[name] = step()
                except Exception as exc:  # report and go on: the other figures still stand
                    print(f"{name} skipped: {type(exc).__name__}: {exc}", flush=True)
    if "baseline" in rates:
        for name in ("sqlite", "postgresql", "http"):
            if name in rates:
                print(f"ratio {name} / naive ORM baseline: {rates[name] / rates['baseline']:.1f}x")
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")
    print(f"{_load()} at the end", flush=True)


def _load() -> str:
    """The machine is shared: the load average says how far wall-clock rates can be trusted."""
    return "load average (1, 5, 15 min) " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _postgresql(path: Path, n: int, batch: int, workers: int | None) -> float:
    """In a scratch database (created here, dropped after): others' test databases are left alone."""
    admin = build_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"mainport_ingest_bench_{os.getpid()}"
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))
    try:
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        return file_ingest("postgresql", url, path, n, batch, workers)
    finally:
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


if __name__ == "__main__":
    main()
