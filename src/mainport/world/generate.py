"""Generate a world to disk and load it through the normal ingest path (never a back door)."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import orjson
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mainport.world.config import DUTCH_HUBS, WorldConfig
from mainport.world.enforcement import Policy, RiskRulePolicy
from mainport.world.engine import World
from mainport.world.writers import WorldWriter

# What `load_world` feeds to ingest, in order: declarations (parties, boxes) and events first, then the
# feeds that refer to them (inspections name declarations; seizures found by inspection link to inspections).
# scans/requests.jsonl is a render queue and truth/ is never read.
INGEST_INPUTS: tuple[tuple[str, str, str], ...] = (
    ("declarations", "declarations", "declarations-*.jsonl"),
    ("events", "events", "events-*.json"),
    ("events", "telemetry", "iot-*.json"),  # DCSA 3.0.0 IOT door events go in as events
    ("inspections", "inspections", "inspections-*.jsonl"),
    ("seizures", "seizures", "seizures-*.jsonl"),
    ("eseal", "telemetry", "eseal-*.jsonl"),
    ("access", "access", "access-*.jsonl"),
    ("vessel_calls", "vessels", "calls-*.jsonl"),
)


def generate_world(
    config: WorldConfig, out: Path | str, *, policy: Policy | None = None, progress: bool = False
) -> dict[str, Any]:
    """Simulate `config.days` days with `policy` (default: a customs-like rule baseline) and write them.

    Returns a summary (counts per file kind, finds, seconds). Memory stays bounded: one day at a time.
    """
    out = Path(out)
    world = World(config)
    policy = policy or RiskRulePolicy(seed=config.seed)
    now = config.now or datetime.now(UTC)
    writer = WorldWriter(out, world, int(now.timestamp()))
    started = time.perf_counter()
    totals: dict[str, float] = {"attempts": 0, "finds": 0, "kg_seized_nl": 0.0, "inspections": 0}
    bar = Progress(
        TextColumn("world"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), disable=not progress
    )
    try:
        with bar:
            task = bar.add_task("days", total=config.days)
            for day in range(config.days):
                outcome = world.step(day, policy)
                st = world.state(day)
                assert st.view is not None
                writer.write_day(st, st.view)
                del st  # do not keep the written day alive while the next one is built
                totals["attempts"] += outcome.attempts
                totals["finds"] += outcome.finds
                totals["inspections"] += len(outcome.inspections)
                totals["kg_seized_nl"] += sum(
                    float(str(s["kg"])) for s in outcome.seizures if s["hub"] in DUTCH_HUBS
                )
                bar.advance(task)
    finally:
        writer.close()
    summary = {
        "out": str(out),
        "days": config.days,
        "seed": config.seed,
        "scale": config.scale,
        "start": config.start.isoformat(),
        "now": now.isoformat(),  # events after it are EST, not ACT
        "counts": writer.counts,
        **totals,
        "seconds": round(time.perf_counter() - started, 2),
    }
    (out / "manifest.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return summary


def ingest_files(directory: Path | str, kinds: Collection[str] | None = None) -> list[tuple[str, Path]]:
    """(kind, path) for every product-facing file of a generated world (of the ingest `kinds` given, default
    all), in load order. Never truth/."""
    root = Path(directory)
    if not (root / "manifest.json").is_file():
        raise FileNotFoundError(
            f"{root} is not a generated world (no manifest.json); run `mainport world generate`"
        )
    files: list[tuple[str, Path]] = []
    for kind, folder, pattern in INGEST_INPUTS:
        if kinds is not None and kind not in kinds:
            continue
        files.extend((kind, p) for p in sorted((root / folder).glob(pattern)))
    assert all("truth" not in p.relative_to(root).parts for _, p in files)
    return files


def load_world(
    directory: Path | str,
    session_factory: Callable[[], Any],
    actor: Any,
    *,
    kinds: Collection[str] | None = None,
    merged: bool = False,
) -> dict[str, Any]:
    """Feed every product-facing file (of the ingest `kinds` given, default all) to
    `mainport.ingest.jobs.ingest_file`; returns {kind: reconciliation} (one per kind, summed over files).

    merged: each input's day files go in as one JSON Lines file (`merge_inputs`), the same records in the
    same order: one ingest run per input instead of one per day (a run costs some 20 ms of bookkeeping)."""
    try:
        from mainport.ingest.jobs import ingest_file  # the ingest engineer's entry point
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            "mainport.ingest.jobs is not available: cannot load a world without ingest"
        ) from exc
    results: dict[str, Any] = {}
    inputs = merge_inputs(directory, kinds) if merged else ingest_files(directory, kinds)
    for kind, path in inputs:
        rec = ingest_file(
            session_factory=session_factory,  # type: ignore[arg-type]
            actor=actor,
            kind=cast(Any, kind),  # an ingest kind (INGEST_INPUTS)
            path=path,
        )
        if kind in results:
            results[kind].add(rec)
        else:
            results[kind] = rec
    return results


def merge_inputs(directory: Path | str, kinds: Collection[str] | None = None) -> list[tuple[str, Path]]:
    """(kind, path) of one JSON Lines file per ingest input, written to DIR/merged/: the day files' records
    in day order (the DCSA day arrays and IOT documents one event a line). Never truth/."""
    root = Path(directory)
    days = ingest_files(root, kinds)
    (root / "merged").mkdir(exist_ok=True)
    out: list[tuple[str, Path]] = []
    for kind, folder, pattern in INGEST_INPUTS:
        parts = [p for k, p in days if k == kind and p.parent.name == folder and p.match(pattern)]
        if not parts:
            continue
        target = root / "merged" / f"{pattern.split('-')[0]}.jsonl"
        with target.open("wb") as fh:
            for part in parts:
                if part.suffix == ".jsonl":
                    data = part.read_bytes()
                    fh.write(data if not data or data.endswith(b"\n") else data + b"\n")
                    continue
                doc = orjson.loads(part.read_bytes())
                events = doc["events"] if isinstance(doc, dict) else doc
                fh.write(b"".join(orjson.dumps(e) + b"\n" for e in events))
        out.append((kind, target))
    return out
