"""Faults injected into ingest, on SQLite and PostgreSQL: kill -9 mid-ingest and re-run; overlapping ingests
at once (files and HTTP batches); poison records of each kind through the CLI. Each asserts that stored +
duplicates + quarantined = received, that nothing is stored twice, and that what was committed is exact."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import pytest

from mainport.ingest.models import IngestRun, QuarantinedRecord
from mainport.shipments.models import ContainerEvent
from tests.faults.helpers import Tagged, events_file, fault_event, live_server, run_cli
from tests.ingest.helpers import event

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def _summary(stdout: str) -> dict[str, object]:
    return json.loads(stdout.strip().splitlines()[-1])


def _balanced(s: dict[str, object]) -> bool:
    return s["received"] == s["stored"] + s["duplicates"] + s["quarantined"]  # type: ignore[operator]


def test_kill_9_mid_ingest_then_a_re_run_stores_every_event_once(t: Tagged, tmp_path: Path) -> None:
    path, good_ids, bad = events_file(tmp_path / "events.jsonl", range(1, 30_001), bad_every=30)
    good = len(good_ids)
    workers = "0" if t.db.backend == "sqlite" else "1"  # PostgreSQL: the pipelined job (a reader process)
    args = ["ingest", "events", str(path), "--json", "--batch-size", "1000", "--workers", workers]
    proc = run_cli(args, t.url, tmp_path, wait=False)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with t.factory() as s:
            run = s.query(IngestRun).order_by(IngestRun.id.desc()).first()
            if run is not None and run.batches >= 5:
                break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()  # reaped, its pipes closed
    with t.factory() as s:
        killed = s.query(IngestRun).one()
        assert killed.status == "running" and killed.finished_at is None and killed.batches >= 5
        committed = (killed.received, killed.stored, killed.quarantined)
    # The run row says exactly what was committed: no more, no less.
    assert t.count(ContainerEvent) == committed[1] and t.count(QuarantinedRecord) == committed[2]
    assert committed[0] == committed[1] + committed[2]
    again = run_cli(["ingest", "events", str(path), "--json", "--batch-size", "1000"], t.url, tmp_path)
    assert again.returncode == 0, again.stderr
    s2 = _summary(again.stdout)
    assert _balanced(s2) and s2["received"] == good + bad
    assert s2["duplicates"] == committed[1] and s2["stored"] == good - committed[1]
    assert f"run {killed.id} of this file did not finish" in again.stderr
    assert t.distinct_event_ids() == (good, good)  # every valid event once
    assert t.count(QuarantinedRecord) == bad  # the bad records of the killed run are not quarantined again


def test_two_overlapping_file_ingests_at_once_both_finish_and_store_each_event_once(
    t: Tagged, tmp_path: Path
) -> None:
    a, a_good, _ = events_file(tmp_path / "a.jsonl", range(0, 12_000), bad_every=100)
    b, b_good, _ = events_file(tmp_path / "b.jsonl", range(6_000, 18_000), bad_every=100)
    args = ["--json", "--batch-size", "1000"]
    procs = [run_cli(["ingest", "events", str(p), *args], t.url, tmp_path, wait=False) for p in (a, b)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    summaries = [_summary(o[0]) for o in outs]
    assert all(_balanced(s) for s in summaries)
    assert len(a_good & b_good) > 5_000  # they do overlap
    total, distinct = t.distinct_event_ids()
    assert total == distinct == len(a_good | b_good) == sum(s["stored"] for s in summaries)  # type: ignore[misc]


def test_concurrent_overlapping_http_batches_are_never_refused_whole(t: Tagged, tmp_path: Path) -> None:
    """4 clients post 50-event batches drawn from overlapping ranges, in shuffled orders: no 5xx, no
    deadlock; the overlaps count as duplicates; each event is stored once."""
    ids = list(range(2_000))
    rng = random.Random(23)
    batches = []
    for client in range(4):
        picked = rng.sample(ids, 1_000)
        batches.extend((client, picked[i : i + 50]) for i in range(0, len(picked), 50))
    rng.shuffle(batches)
    with live_server(t, tmp_path) as server, httpx.Client(base_url=server.url, timeout=60) as http:

        def post(batch: tuple[int, list[int]]) -> dict[str, object]:
            body = orjson.dumps([fault_event(n) for n in batch[1]])
            answer = http.post("/api/v1/events", content=body, headers=server.headers)
            assert answer.status_code == 200, answer.text
            return answer.json()  # type: ignore[no-any-return]

        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(post, batches))
    assert all(_balanced(a) for a in answers)
    stored = sum(a["stored"] for a in answers)  # type: ignore[misc]
    sent = {n for _, b in batches for n in b}
    assert t.distinct_event_ids() == (len(sent), len(sent)) and stored == len(sent)
    assert sum(a["duplicates"] for a in answers) == sum(len(b) for _, b in batches) - len(sent)  # type: ignore[misc]


POISON: dict[str, bytes] = {
    "nul.jsonl": orjson.dumps(event(1, eventID="ev-\x001")) + b"\n" + orjson.dumps(event(2)) + b"\n",
    "bad-byte-nul.jsonl": orjson.dumps(event(3)).replace(b"ev-3", b"ev-\xe9\x00")
    + b"\n"
    + orjson.dumps(event(4)),
    "deep.json": b"[" + orjson.dumps(event(5)) + b", " + b'{"a": ' * 3000 + b"1" + b"}" * 3000 + b"]",
    "deep-orjson.jsonl": b"[" * 5000 + b"]" * 5000 + b"\n" + orjson.dumps(event(6)),
    "truncated.json": b"[" + orjson.dumps(event(7)) + b', {"eventID": ',
    "trailing.json": b"[" + orjson.dumps(event(8)) + b"] and then some",
    "huge-line.jsonl": b'{"eventID": "' + b"x" * (5 * 1024 * 1024) + b'"}\n' + orjson.dumps(event(9)),
    "types.jsonl": orjson.dumps(event(10, seals=7, eventLocation="NLRTM")) + b"\n",
}


@pytest.mark.parametrize("name", sorted(POISON))
def test_poison_files_never_fail_the_job(t: Tagged, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(POISON[name])
    done = run_cli(["ingest", "events", str(path), "--json"], t.url, tmp_path)
    assert done.returncode in (0, 3), done.stderr  # 3: flagged as mostly garbage, still finished
    assert "Traceback" not in done.stderr
    summary = _summary(done.stdout)
    assert _balanced(summary) and summary["quarantined"] >= 1
    assert t.count(QuarantinedRecord) == summary["quarantined"] - summary["not_kept"]  # type: ignore[operator]


def test_garbage_is_flagged_and_only_partly_copied(t: Tagged, tmp_path: Path) -> None:
    path = tmp_path / "noise.jsonl"
    rng = random.Random(5)
    path.write_bytes(bytes(rng.randrange(256) for _ in range(400_000)))
    done = run_cli(["ingest", "events", str(path), "--json"], t.url, tmp_path)
    assert done.returncode == 3 and "warning:" in done.stderr and "mostly garbage" in done.stderr
    summary = _summary(done.stdout)
    assert _balanced(summary) and summary["stored"] == 0
    assert t.count(QuarantinedRecord) == 1000 == summary["quarantined"] - summary["not_kept"]  # type: ignore[operator]
