"""Ingest throughput: file ingest of N DCSA events on SQLite and PostgreSQL, the HTTP batch endpoint, and a naive
ORM baseline (one add+flush per event) for the ratio. Prints figures; not a test.

    .venv/bin/python benchmarks/ingest_bench.py --events 1000000
    .venv/bin/python benchmarks/ingest_bench.py --quick
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import text

from mainport.database import Base, build_engine, make_session_factory
from mainport.domains import load_models
from mainport.identity.principal import system_principal
from mainport.ingest.jobs import ingest_file
from mainport.reference.containers import make_container_number

PG_URL = os.environ.get("MAINPORT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CODES = ("GTIN", "LOAD", "DISC", "GTOT")


def events(n: int, prefix: str = "ev") -> Iterator[dict[str, Any]]:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    for i in range(n):
        at = t0 + timedelta(seconds=30 * i)
        yield {
            "eventID": f"{prefix}-{i}",
            "eventCreatedDateTime": (at + timedelta(minutes=2)).isoformat(),
            "eventType": "EQUIPMENT",
            "eventClassifierCode": "ACT",
            "eventDateTime": at.isoformat(),
            "equipmentEventTypeCode": CODES[i % 4],
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


def file_ingest(url: str, path: Path, n: int, schema: str | None = None) -> float:
    kwargs = {"connect_args": {"options": f"-csearch_path={schema}"}} if schema else {}
    engine = build_engine(url, **kwargs)
    Base.metadata.create_all(engine)
    recon = ingest_file(
        session_factory=make_session_factory(engine),
        actor=system_principal(),
        kind="events",
        path=path,
        batch_size=5000,
    )
    assert recon.stored == n and recon.balanced, recon.summary()
    engine.dispose()
    return recon.received / recon.elapsed_s


def baseline(url: str, n: int) -> float:
    from mainport.ingest.events import to_row
    from mainport.shipments.models import ContainerEvent

    engine = build_engine(url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with factory() as s:
        for e in events(n, prefix="base"):
            row = to_row(orjson.loads(orjson.dumps(e)), now=now)
            s.add(ContainerEvent(**row, source="baseline", payload=e))
            s.flush()
        s.commit()
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="50,000 events")
    args = parser.parse_args()
    n = 50_000 if args.quick else args.events
    load_models()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.json"
        t = time.perf_counter()
        write_file(path, n)
        print(
            f"generated {n:,} events ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s"
        )
        sqlite_rate = file_ingest(f"sqlite:///{tmp}/bench.db", path, n)
        print(f"sqlite file ingest: {sqlite_rate:,.0f} events/s")
        base = baseline(f"sqlite:///{tmp}/base.db", min(20_000, n))
        print(f"sqlite naive ORM add+flush baseline: {base:,.0f} events/s -> ratio {sqlite_rate / base:.1f}x")
        try:
            admin = build_engine(PG_URL)
            schema = f"bench_ingest_{os.getpid()}"
            with admin.begin() as c:
                c.execute(text(f"CREATE SCHEMA {schema}"))
            try:
                print(f"postgresql file ingest: {file_ingest(PG_URL, path, n, schema):,.0f} events/s")
            finally:
                with admin.begin() as c:
                    c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        except Exception as exc:  # report and go on: the SQLite figures still stand
            print(f"postgresql skipped: {type(exc).__name__}: {exc}")
    print("HTTP batch endpoint: not measured by this script yet (see report)")


if __name__ == "__main__":
    main()
