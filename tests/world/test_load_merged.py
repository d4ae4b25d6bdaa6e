"""Loading a world's day files merged into one JSON Lines file per input stores the same records with the
same reconciliation as loading them day by day (fewer ingest runs), on both databases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mainport.identity.principal import system_principal
from mainport.world.generate import load_world, merge_inputs
from tests.conftest import FreshDatabase


def _summary(results: dict[str, object]) -> dict[str, tuple[int, int, int, int]]:
    out = {}
    for kind, rec in results.items():
        f = rec.summary()  # type: ignore[attr-defined]
        out[kind] = (f["received"], f["stored"], f["duplicates"], f["quarantined"])
    return out


def test_merged_load_equals_day_by_day(small_world: Path, make_fresh_db: Callable[[], FreshDatabase]) -> None:
    pytest.importorskip("mainport.ingest.jobs")
    from mainport.ingest.models import IngestRun
    from mainport.shipments.models import ContainerEvent, Declaration

    merged = merge_inputs(small_world)
    assert {p.parent.name for _, p in merged} == {"merged"}
    assert all(p.suffix == ".jsonl" for _, p in merged)
    daily_db, merged_db = make_fresh_db(), make_fresh_db()
    daily = load_world(small_world, daily_db.factory, system_principal())
    once = load_world(small_world, merged_db.factory, system_principal(), merged=True)
    assert _summary(once) == _summary(daily)
    assert all(rec.balanced for rec in once.values())
    for db in (daily_db, merged_db):
        with db.factory() as s:
            assert s.scalar(select(func.count()).select_from(Declaration)) == once["declarations"].stored
            assert s.scalar(select(func.count()).select_from(ContainerEvent)) == once["events"].stored
    with merged_db.factory() as s:
        assert s.scalar(select(func.count()).select_from(IngestRun)) == len(merged)
