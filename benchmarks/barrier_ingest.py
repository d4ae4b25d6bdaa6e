"""Ingest throughput of the barrier feeds: badge events (access control) and ANPR/camera detections through
`mainport.ingest.jobs.ingest_file` (the feeds registered by mainport.barriers: checked, de-duplicated,
quarantined, reconciled) on SQLite and PostgreSQL, with a naive ORM baseline (one add + flush per record) in
the same run for the ratio. Each file carries 0.5% broken records and 0.5% repeats, so quarantine and
de-duplication are on the measured path; every run must reconcile (received = stored + duplicates +
quarantined).

    .venv/bin/python benchmarks/barrier_ingest.py                 # 200,000 records per feed and database
    .venv/bin/python benchmarks/barrier_ingest.py --n 50000 --only sqlite

PostgreSQL runs in a scratch database created for the run and dropped after (MAINPORT_BENCH_PG_URL).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import text

from mainport.barriers import service
from mainport.barriers.feeds import badge_event
from mainport.barriers.models import BadgeEvent
from mainport.database import Base, build_engine, make_session_factory
from mainport.domains import load_models
from mainport.identity.principal import system_principal
from mainport.ingest.jobs import ingest_file

PG_URL = os.environ.get("MAINPORT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TARGET = 20_000
FACILITIES = [f"NLRTM-{i:04d}" for i in range(1, 21)]
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def badge(i: int) -> dict[str, Any]:
    return {
        "facility": FACILITIES[i % len(FACILITIES)],
        "badge": f"B{i % 40_000:06d}",
        "direction": "IN" if i % 2 else "OUT",
        "gate": f"G{i % 7}",
        "granted": i % 97 != 0,
        "at": (T0 + timedelta(milliseconds=250 * i)).isoformat(),
    }


def camera(i: int) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "facility": FACILITIES[i % len(FACILITIES)],
        "camera": f"CAM-{i % 31}",
        "plate": f"{i % 100:02d}-XK-{i % 997:03d}",
        "direction": "IN" if i % 2 else "OUT",
        "confidence": 0.9,
        "at": (T0 + timedelta(milliseconds=250 * i)).isoformat(),
    }
    if i % 3 == 0:
        rec["containerNumber"] = "MSCU1234566"
    return rec


def write(path: Path, make: Callable[[int], dict[str, Any]], n: int) -> tuple[int, int]:
    """n lines: 0.5% broken (quarantined), 0.5% repeats of an earlier line (duplicates)."""
    broken = repeats = 0
    with path.open("wb") as fh:
        for i in range(n):
            if i % 200 == 101:
                rec = {**make(i), "facility": "nowhere"}
                broken += 1
            elif i % 200 == 151:
                rec = make(i - 100)
                repeats += 1
            else:
                rec = make(i)
            fh.write(orjson.dumps(rec) + b"\n")
    return broken, repeats


def _register(url: str) -> None:
    engine = build_engine(url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with factory() as s:
        for code in FACILITIES:
            service.register_facility(
                session=s, actor=system_principal(), code=code, name=code, hub="rotterdam", unlocode="NLRTM"
            )
        s.commit()
    engine.dispose()


def ingest(db: str, url: str, kind: str, path: Path, n: int, expect: tuple[int, int]) -> float:
    engine = build_engine(url)
    factory = make_session_factory(engine)
    started, cpu = time.perf_counter(), time.process_time()
    recon = ingest_file(session_factory=factory, actor=system_principal(), kind=kind, path=path)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    broken, repeats = expect
    ok = recon.balanced and recon.quarantined == broken and recon.duplicates == repeats
    assert ok and recon.received == n, {k: v for k, v in recon.summary().items() if k != "problems"}
    engine.dispose()
    rate = n / wall
    verdict = "met" if rate >= TARGET else "NOT met"
    print(
        f"{db:<10} {kind:<13} {n:>9,} records in {wall:6.2f} s = {rate:>9,.0f} records/s (target {TARGET:,}: "
        f"{verdict}); stored {recon.stored:,}, duplicates {recon.duplicates:,}, quarantined "
        f"{recon.quarantined:,}, reconciled; {cpu / n * 1e6:.1f} us CPU/record here = {n / cpu:,.0f} "
        "records per CPU-second",
        flush=True,
    )
    return rate


def baseline(db: str, url: str, n: int) -> float:
    """One check + ORM add + flush per badge event, in one transaction (what bulk ingest replaces)."""
    engine = build_engine(url)
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with factory() as s:
        for i in range(n):
            row = badge_event({**badge(i), "eventId": f"base-{i}"}, now=now)
            s.add(BadgeEvent(**row, hub="rotterdam", source="baseline"))
            s.flush()
        s.commit()
    wall = time.perf_counter() - started
    engine.dispose()
    rate = n / wall
    print(
        f"{db:<10} {'baseline':<13} {n:>9,} records in {wall:6.2f} s = {rate:>9,.0f} records/s "
        "(ORM, flush each)"
    )
    return rate


def run_db(db: str, url: str, files: dict[str, tuple[Path, tuple[int, int]]], n: int, base_n: int) -> None:
    _register(url)
    rates = [ingest(db, url, kind, path, n, expect) for kind, (path, expect) in files.items()]
    base = baseline(db, url, base_n)
    print(f"{db:<10} ratio bulk ingest / naive baseline: {min(rates) / base:.1f}x (slower feed)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000, help="records per feed")
    ap.add_argument("--baseline", type=int, default=5_000, help="records for the naive baseline")
    ap.add_argument("--only", default="sqlite,postgresql")
    args = ap.parse_args(argv)
    load_models()
    only = set(args.only.split(","))
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (the machine's cores are shared)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = {}
        for kind, make in (("badge_events", badge), ("anpr", camera)):
            path = root / f"{kind}.jsonl"
            files[kind] = (path, write(path, make, args.n))
        if "sqlite" in only:
            run_db("sqlite", f"sqlite:///{root / 'bench.db'}", files, args.n, args.baseline)
        if "postgresql" in only:
            admin = build_engine(PG_URL, isolation_level="AUTOCOMMIT")
            name = f"mainport_barrier_bench_{os.getpid()}"
            with admin.connect() as c:
                c.execute(text(f"CREATE DATABASE {name}"))
            try:
                url = admin.url.set(database=name).render_as_string(hide_password=False)
                run_db("postgresql", url, files, args.n, args.baseline)
            finally:
                with admin.connect() as c:
                    c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
