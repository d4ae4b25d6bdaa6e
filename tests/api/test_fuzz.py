"""No input answers 5xx: a bounded property-based fuzz (schemathesis) of every API operation, both databases.

MAINPORT_FUZZ_EXAMPLES sets the valid and invalid cases per operation (default 3); `python
benchmarks/api_fuzz.py --examples 50 [--pg]` runs a bigger budget and prints the figures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mainport.config import Settings
from tests.api.fuzzing import fuzz, seed
from tests.conftest import FreshDatabase


@pytest.mark.slow
def test_no_operation_answers_5xx(fresh_db: FreshDatabase, tmp_path: Path) -> None:
    settings = Settings(environment="test", secret_key="z" * 40, data_dir=tmp_path, database_url=fresh_db.url)
    token = seed(fresh_db.factory, tmp_path)
    report = fuzz(
        fresh_db.factory, settings, token, examples=int(os.environ.get("MAINPORT_FUZZ_EXAMPLES", "3"))
    )
    print("\n".join(report.lines()))
    assert len(report.cases) >= 60  # every operation of the OpenAPI document was tried
    assert report.server_errors == [], "\n".join(report.lines())
