"""A tiny world's access logs, e-seal status, inspections and seizures go in through ingest, unquarantined."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from mainport.custody.models import SealTelemetry
from mainport.identity.models import OrgKind, Role
from mainport.insider.models import StaffLookup
from mainport.monitoring.queries import Filters, daily_counts
from mainport.shipments.models import Inspection, Seizure
from mainport.vessels.models import VesselCall
from mainport.world import WorldConfig, generate_world
from mainport.world.generate import ingest_files, load_world

# Small and quick, with enough smuggling that some loads are seized (by inspection and otherwise).
TINY = WorldConfig(days=2, scale=0.01, seed=3, smuggling_boost=1000.0)
FEEDS = {
    "access": ("access", "access-*.jsonl", StaffLookup),
    "eseal": ("telemetry", "eseal-*.jsonl", SealTelemetry),
    "inspections": ("inspections", "inspections-*.jsonl", Inspection),
    "seizures": ("seizures", "seizures-*.jsonl", Seizure),
    "vessel_calls": ("vessels", "calls-*.jsonl", VesselCall),
}


@pytest.fixture(scope="module")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny_world")
    generate_world(TINY, out)
    return out


def _records(world: Path, folder: str, pattern: str) -> list[dict[str, Any]]:
    return [
        orjson.loads(line)
        for p in sorted((world / folder).glob(pattern))
        for line in p.read_bytes().splitlines()
    ]


def test_every_product_file_is_an_ingest_input(tiny_world: Path) -> None:
    kinds = Counter(k for k, _ in ingest_files(tiny_world))
    assert set(kinds) == {"declarations", "events", *FEEDS}
    product = {
        p
        for d in ("declarations", "events", "telemetry", "access", "inspections", "seizures", "vessels")
        for p in (tiny_world / d).glob("*.json*")
    }
    assert product == {p for _, p in ingest_files(tiny_world)}


def test_tiny_world_feeds_load_without_quarantine(
    tiny_world: Path,
    session_factory: sessionmaker[Session],
    session: Session,
    principal_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    actor = principal_factory(role=Role.admin, kind=OrgKind.customs)
    session.commit()
    results = load_world(tiny_world, session_factory, actor)
    assert set(results) == {"declarations", "events", *FEEDS}
    files = {kind: _records(tiny_world, folder, pattern) for kind, (folder, pattern, _) in FEEDS.items()}
    assert files["inspections"] and files["seizures"], "the tiny world must inspect and seize something"
    with session_factory() as s:
        for kind, (_, _, model) in FEEDS.items():
            rec = results[kind]
            assert rec.balanced, rec.summary()
            assert rec.quarantined == 0, [p.reason for p in rec.problems[:5]]
            assert (rec.received, rec.stored, rec.duplicates) == (len(files[kind]), len(files[kind]), 0)
            assert s.scalar(select(func.count()).select_from(model)) == len(files[kind]), kind
        assert results["declarations"].balanced and results["events"].balanced  # tests/world/test_load.py
        # stored rows are the file's records
        assert Counter((r.hub, r.kind, r.result) for r in s.scalars(select(Inspection))) == Counter(
            (r["hub"], r["kind"], r["result"]) for r in files["inspections"]
        )
        inspected = s.scalars(select(Inspection)).all()
        assert all(i.declaration_id is not None for i in inspected)  # every inspection names its declaration
        seized = s.scalars(select(Seizure)).all()
        assert sorted(round(z.kg, 3) for z in seized) == sorted(round(r["kg"], 3) for r in files["seizures"])
        by_inspection = [r for r in files["seizures"] if r["found_by"] == "inspection" and r["reference"]]
        assert sum(z.inspection_id is not None for z in seized) == len(by_inspection)
        statuses = Counter(t.payload["reported_status"] for t in s.scalars(select(SealTelemetry)))
        assert statuses == Counter(r["status"] for r in files["eseal"])
        assert Counter(x.kind for x in s.scalars(select(StaffLookup))) == Counter(
            r["kind"] for r in files["access"]
        )
        # world seizures are on the monitoring figures, per hub
        daily = daily_counts(
            s,
            Filters(
                date(2024, 3, 1),
                date(2024, 3, 20),
                ["rotterdam", "zeeland_west_brabant", "north_sea_canal", "schiphol", "flower_auctions"],
            ),
        )
        per_hub = daily[daily.metric == "seizures"].groupby("hub")["value"].sum().to_dict()
        assert per_hub == dict(Counter(r["hub"] for r in files["seizures"]))

    # Loading again (through the CLI, which prints every kind's reconciliation) stores nothing twice.
    import mainport.database.runtime as runtime
    import mainport.identity.principal as principal
    from mainport.world import cli

    monkeypatch.setattr(runtime, "get_session_factory", lambda: session_factory)
    monkeypatch.setattr(principal, "system_principal", lambda: actor)
    result = CliRunner().invoke(cli.app, ["load", str(tiny_world)])
    assert result.exit_code == 0, result.output
    lines = {line.split(":")[0]: line for line in result.stdout.splitlines() if not line.startswith(" ")}
    assert set(lines) == {"declarations", "events", *FEEDS}
    for kind in FEEDS:
        n = f"{len(files[kind]):,}"
        assert (
            f"received {n} = stored 0 (updated 0) + duplicates {n} + quarantined 0 - balanced" in lines[kind]
        )
    with session_factory() as s:
        for kind, (_, _, model) in FEEDS.items():
            assert s.scalar(select(func.count()).select_from(model)) == len(files[kind]), kind
