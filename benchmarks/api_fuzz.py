"""Fuzz every API operation (schemathesis): `python benchmarks/api_fuzz.py [--examples N] [--pg]`.

Prints the number of operations and cases tried, the answers by status class and every operation that
answered 5xx (the goal: none). SQLite by default; --pg runs on PostgreSQL (MAINPORT_TEST_PG_URL)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mainport.config import Settings
from tests.api.fuzzing import fuzz, seed
from tests.conftest import FreshDatabase


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=50, help="valid and invalid cases per operation")
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = FreshDatabase("postgresql" if args.pg else "sqlite", Path(tmp))
        try:
            settings = Settings(
                environment="test", secret_key="f" * 40, data_dir=Path(tmp), database_url=db.url
            )
            token = seed(db.factory, Path(tmp))
            started = time.perf_counter()
            report = fuzz(db.factory, settings, token, examples=args.examples)
            elapsed = time.perf_counter() - started
        finally:
            db.close()
    print(
        f"backend: {'postgresql' if args.pg else 'sqlite'}; {args.examples} examples per operation and mode"
    )
    for line in report.lines():
        print(line)
    print(f"{elapsed:.0f} s, {report.total / elapsed:.0f} cases/s")
    sys.exit(1 if report.server_errors else 0)


if __name__ == "__main__":
    main()
