"""Nothing lost, nothing fatal: ingest and the gate measured under huge records, races, faults and poison.

    .venv/bin/python benchmarks/faults_bench.py            # everything (about 10 minutes on 2 shared cores)
    .venv/bin/python benchmarks/faults_bench.py --quick    # 60 MB records, 30,000 events, 10 s of gate
    .venv/bin/python benchmarks/faults_bench.py --only memory,concurrent,gate,poison

Prints, with the baseline measured in the same run:
- memory: peak RSS of `mainport ingest events` on a file that is one 600 MB line (JSON Lines), one 600 MB
  array element, and 200 MB of random bytes, against the same command on a file of three events; and the
  server's peak RSS while an authenticated 600 MB POST /api/v1/events is sent (with its Content-Length, and
  chunked, without one), against the server's RSS before. Target: under 500 MB.
- concurrent: two `mainport ingest events` of the same 150,000 events at once (SQLite and PostgreSQL): both
  exit codes, what each stored, distinct events stored; one ingest alone is the baseline.
- gate: 200 presentations/s for 30 s against uvicorn (2 workers) on PostgreSQL while the server's database
  connections are killed (pg_terminate_backend, every second); every presentation carries an Idempotency-Key
  and is retried on 503 or a dropped connection: presentations, answers, decision rows per presentation,
  503s, dropped connections, fraud decisions without an alert after the run and after the sweep.
- poison: each poison file through the CLI on SQLite and PostgreSQL (exit codes other than 0 and 3 are
  fatal), and the poison records plus a bounded fuzz of mutated events through the API (5xx counted).

PostgreSQL runs in scratch schemas of the `test` database (MAINPORT_BENCH_PG_URL), dropped after. Data: our
own generator (tests' event shapes and random mutations of them); there is no public corpus of poison.
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
from sqlalchemy import func, select, text

from mainport.database import Base, build_engine, make_session_factory, session_scope
from mainport.domains import load_models

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import ingest_bench  # noqa: E402  (the benchmarks' own event stream)

PG_URL = os.environ.get("MAINPORT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MAINPORT = str(Path(sys.executable).with_name("mainport"))
MB = 1024 * 1024
CHECKS: list[tuple[str, bool]] = []  # (what, met) for the verdict at the end


def event(i: int, **over: Any) -> dict[str, Any]:
    """The ingest benchmark's event i (gate-in, discharge, stripping, gate-out in turn), fields overridden."""
    return {**ingest_bench.event(i, codes=("GTIN", "DISC", "STRP", "GTOT")), **over}


def check(what: str, met: bool) -> None:
    CHECKS.append((what, met))
    print(f"  {'met' if met else 'NOT MET'}: {what}", flush=True)


def env_for(url: str, tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MAINPORT_DATABASE_URL": url,
        "MAINPORT_DATA_DIR": str(tmp / "var"),
        "MAINPORT_ENVIRONMENT": "test",
        "MAINPORT_SECRET_KEY": "faults-" + "s" * 40,
    }


def run_measured(cmd: list[str], env: dict[str, str]) -> tuple[int, float, float, str, str]:
    """Run a command; (exit code, peak RSS MB of that process, seconds, stdout, stderr)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
        proc = subprocess.Popen(cmd, env=env, stdout=out_f, stderr=err_f)
        _pid, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out_f.seek(0)
        err_f.seek(0)
        out, err = out_f.read().decode(errors="replace"), err_f.read().decode(errors="replace")
    return proc.returncode, usage.ru_maxrss / 1024, wall, out, err


def summary(stdout: str) -> dict[str, Any]:
    lines = [line for line in stdout.strip().splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def sqlite_db(tmp: Path, name: str) -> str:
    url = f"sqlite:///{tmp / name}.db"
    engine = build_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


class PgScratch:
    """A scratch schema whose connections carry an application_name of their own (to kill only them)."""

    def __init__(self) -> None:
        self.schema = f"faults_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.tag = f"mpbench{uuid.uuid4().hex[:8]}"
        self.admin = build_engine(PG_URL)
        with self.admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {self.schema}"))
        sep = "&" if "?" in PG_URL else "?"
        self.url = f"{PG_URL}{sep}options=-csearch_path%3D{self.schema}&application_name={self.tag}"
        engine = build_engine(self.url)
        Base.metadata.create_all(engine)
        engine.dispose()

    def kill(self) -> int:
        with psycopg.connect(PG_URL.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
            return len(
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                    (self.tag,),
                ).fetchall()
            )

    def drop(self) -> None:
        self.kill()
        with self.admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
        self.admin.dispose()


def pg_available() -> bool:
    try:
        engine = build_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception as exc:  # no server: the PostgreSQL parts are skipped, saying so
        print(f"PostgreSQL not reachable at {PG_URL} ({type(exc).__name__}): its parts are skipped")
        return False


# --- memory -----------------------------------------------------------------------------------------------


def _write_big(path: Path, size: int, shape: str) -> None:
    head = orjson.dumps(event(1))
    tail = orjson.dumps(event(2))
    with path.open("wb") as f:
        if shape == "noise":
            rng = random.Random(7)
            left = size
            while left > 0:
                n = min(left, 8 * MB)
                f.write(rng.randbytes(n))
                left -= n
            return
        opening = b'{"eventID": "ev-big", "changeRemark": "'
        if shape == "line":
            f.write(head + b"\n" + opening)
        else:  # one array element on one line
            f.write(b"[" + head + b", " + opening)
        chunk = b"x" * (8 * MB)
        left = size
        while left > 0:
            f.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)
        f.write(b'"}' + (b"\n" + tail + b"\n" if shape == "line" else b", " + tail + b"]"))


def memory(tmp: Path, size: int) -> None:
    print(f"\n-- memory: records of {size // MB} MB (target: peak RSS under 500 MB)", flush=True)
    url = sqlite_db(tmp, "memory")
    env = env_for(url, tmp)
    small = tmp / "small.jsonl"
    small.write_bytes(b"\n".join(orjson.dumps(event(i)) for i in range(10, 13)) + b"\n")
    rc, base_rss, wall, _out, err = run_measured([MAINPORT, "ingest", "events", str(small), "--json"], env)
    print(f"  baseline: 3 events, exit {rc}, peak RSS {base_rss:.0f} MB ({wall:.1f} s)", flush=True)
    for shape, label, target_size in (
        ("line", f"one {size // MB} MB line (JSON Lines)", size),
        ("element", f"one {size // MB} MB array element on one line", size),
        ("noise", f"{size // 3 // MB} MB of random bytes", size // 3),
    ):
        path = tmp / f"big-{shape}.json"
        _write_big(path, target_size, shape)
        rc, rss, wall, out, err = run_measured([MAINPORT, "ingest", "events", str(path), "--json"], env)
        s = summary(out)
        print(
            f"  {label}: exit {rc}, peak RSS {rss:.0f} MB ({rss / base_rss:.1f}x the baseline), "
            f"{wall:.1f} s; "
            f"received {s.get('received')}, stored {s.get('stored')}, quarantined {s.get('quarantined')} "
            f"(not kept {s.get('not_kept')})",
            flush=True,
        )
        if rc not in (0, 3):
            print(f"    stderr: {err[-400:]}")
        check(f"{label}: peak RSS {rss:.0f} MB < 500 MB, job finished", rss < 500 and rc in (0, 3))
        path.unlink()
    request_memory(tmp, size)


def _token(url: str) -> str:
    from mainport.identity import service as identity
    from mainport.identity.models import OrgKind, Role, User

    engine = build_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        org = identity.get_or_create_organisation(
            session=s, code="DOUANE-F", name="Douane", kind=OrgKind.customs, node_code="rotterdam"
        )
        user = User(
            username=f"officer-{uuid.uuid4().hex[:6]}", password_hash="-", role=Role.officer, organisation=org
        )
        s.add(user)
        s.flush()
        _tok, plain = identity.create_token(
            session=s, actor=identity.principal_for(user), user=user, name="b"
        )
    engine.dispose()
    return plain


def _vm(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return float("nan")


def request_memory(tmp: Path, size: int) -> None:
    import gate_bench

    url = sqlite_db(tmp, "http")
    token = _token(url)
    port = gate_bench.free_port()
    env = env_for(url, tmp)
    env["MAINPORT_LOG_LEVEL"] = "WARNING"
    cmd = [sys.executable, "-m", "uvicorn", "mainport.api.app:create_app", "--factory", "--port", str(port),
           "--log-level", "warning", "--no-access-log"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.3)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        ok = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/events", content=orjson.dumps([event(5)]), headers=headers
        )
        before = _vm(proc.pid, "VmRSS:")
        print(f"  server: RSS {before:.0f} MB after one small batch (answered {ok.status_code})", flush=True)

        def body() -> Iterator[bytes]:
            """Exactly `size` bytes: '[', white space, ']' (valid JSON, had it been read)."""
            yield b"["
            left = size - 2
            pad = b" " * MB
            while left > 0:
                yield pad[: min(left, MB)]
                left -= MB
            yield b"]"

        for label, extra in (("with its Content-Length", {"Content-Length": str(size)}), ("chunked", {})):
            started = time.perf_counter()
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/api/v1/events",
                    content=body(),
                    headers={**headers, **extra},
                    timeout=120,
                )
                status = f"{answer.status_code} {answer.json().get('error', {}).get('code')}"
            except Exception as exc:  # the server may close the connection after refusing
                status = f"connection closed after the answer ({type(exc).__name__})"
            peak = _vm(proc.pid, "VmHWM:")
            print(
                f"  POST of {size // MB} MB {label}: {status} in {time.perf_counter() - started:.1f} s; "
                f"server peak RSS so far {peak:.0f} MB ({peak / before:.2f}x before)",
                flush=True,
            )
            check(f"{size // MB} MB request {label}: server peak RSS {peak:.0f} MB < 500 MB", peak < 500)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


# --- concurrent ingests -----------------------------------------------------------------------------------


def write_events(path: Path, n: int) -> None:
    with path.open("wb") as f:
        f.write(b"[\n")
        for i in range(n):
            f.write((b",\n" if i else b"") + orjson.dumps(event(i)))
        f.write(b"\n]\n")


def concurrent(tmp: Path, n: int, backends: list[str]) -> None:
    print(f"\n-- concurrent: two ingests of the same {n:,} events at once", flush=True)
    path = tmp / "same.json"
    write_events(path, n)
    for backend in backends:
        dbs: list[Any] = []
        try:
            urls = []
            for name in ("alone", "both"):
                if backend == "sqlite":
                    urls.append(sqlite_db(tmp, f"concurrent-{name}"))
                else:
                    dbs.append(PgScratch())
                    urls.append(dbs[-1].url)
            cmd = [MAINPORT, "ingest", "events", str(path), "--json"]
            rc, _rss, alone, out, _err = run_measured(cmd, env_for(urls[0], tmp))
            s0 = summary(out)
            print(
                f"  {backend} baseline, one ingest: exit {rc}, stored {s0.get('stored')} in {alone:.1f} s",
                flush=True,
            )
            started = time.perf_counter()
            procs = [
                subprocess.Popen(
                    cmd, env=env_for(urls[1], tmp), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                )
                for _ in range(2)
            ]
            outs = [p.communicate(timeout=1800) for p in procs]
            both = time.perf_counter() - started
            sums = [summary(o[0]) for o in outs]
            engine = build_engine(urls[1])
            with engine.connect() as conn:
                total = conn.execute(
                    text("SELECT count(*), count(DISTINCT event_id) FROM container_event")
                ).one()
            engine.dispose()
            codes = [p.returncode for p in procs]
            stored = [s.get("stored") for s in sums]
            dups = [s.get("duplicates") for s in sums]
            print(
                f"  {backend} two at once: exit codes {codes}, stored {stored}, duplicates {dups}, "
                f"balanced {[s.get('balanced') for s in sums]}; rows {total[0]}, distinct {total[1]}; "
                f"{both:.1f} s ({both / alone:.2f}x one ingest)",
                flush=True,
            )
            for o, c in zip(outs, codes, strict=True):
                if c:
                    print(f"    stderr: {o[1][-400:]}")
            check(
                f"{backend}: both exit 0 and together store each of the {n:,} events once",
                codes == [0, 0] and total[0] == total[1] == n and sum(x or 0 for x in stored) == n,
            )
        finally:
            for db in dbs:
                db.drop()


# --- the gate under killed connections --------------------------------------------------------------------


@dataclass
class GateRun:
    presentations: int = 0
    answered: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> final answer
    statuses: Counter[int] = field(default_factory=Counter)
    dropped: int = 0
    gave_up: int = 0
    latencies_ms: list[float] = field(default_factory=list)


async def _present(
    client: httpx.AsyncClient,
    run: GateRun,
    lane: dict[str, str],
    body: dict[str, str],
    key: str,
    t0: float,  # the scheduled send (loop time): latency without coordinated omission
) -> None:
    headers = {**lane, "Idempotency-Key": key}
    for _ in range(60):
        try:
            answer = await client.post("/api/v1/gate/check", json=body, headers=headers)
        except httpx.TransportError:
            run.dropped += 1
            await asyncio.sleep(0.1)
            continue
        run.statuses[answer.status_code] += 1
        if answer.status_code == 503:
            await asyncio.sleep(0.2)
            continue
        if answer.status_code == 200:
            run.answered[key] = answer.json()
            run.latencies_ms.append((asyncio.get_running_loop().time() - t0) * 1000)
        return
    run.gave_up += 1


async def _drive_gate(
    url: str, bearers: list[str], requests: list[Any], rate: float, duration: float
) -> GateRun:
    run = GateRun()
    lanes = [{"Authorization": f"Bearer {b}"} for b in bearers]
    connections = 64
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    # At most as many in flight as there are connections: requests queued inside httpx's pool cost the
    # client time quadratic in the queue (it scans the queue on every answer), so a server that falls behind
    # would make the client the bottleneck. Latency still counts from the scheduled send (open loop).
    in_flight = asyncio.Semaphore(connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=15.0) as client:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.2
        total = min(len(requests), int(rate * duration))
        run.presentations = total

        async def one(i: int, req: Any) -> None:
            await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
            async with in_flight:
                await _present(
                    client,
                    run,
                    lanes[i % len(lanes)],
                    req.body,
                    f"p{i}-{uuid.uuid4().hex[:8]}",
                    start + i / rate,
                )

        tasks = [asyncio.create_task(one(i, r)) for i, r in enumerate(requests[:total])]
        # A server that cannot keep up must not hang the benchmark: what is unanswered by then is counted.
        _done, pending = await asyncio.wait(tasks, timeout=duration + 120)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        run.gave_up += len(pending)
    return run


def gate(tmp: Path, rate: float, duration: float, kill_every: float) -> None:
    import gate_bench

    from mainport.custody import gate as gate_module
    from mainport.custody import release
    from mainport.custody.models import GateDecision
    from mainport.identity.principal import system_principal

    print(
        f"\n-- gate: {rate:.0f} presentations/s for {duration:.0f} s, the server's database connections "
        f"killed every {kill_every:g} s",
        flush=True,
    )
    db = PgScratch()
    proc = None
    stop = threading.Event()
    kills: list[int] = []
    try:
        engine = build_engine(db.url)
        os.environ["MAINPORT_SECRET_KEY"] = gate_bench.SECRET
        per_phase = int(rate * duration) + 50
        bearers, requests = gate_bench.seed(engine, 2 * per_phase, 8)
        engine.dispose()
        port = gate_bench.free_port()
        fast = shutil.which("uvicorn") is not None
        proc = gate_bench.start_server(
            db.url, 2, port, str(tmp / "gate_server.log"), fast_loop=fast and _has_uvloop()
        )
        url = f"http://127.0.0.1:{port}"
        gate_bench.warm_up(url, bearers, requests, 16)  # bearer and key caches, pools (malformed tokens)
        calm = asyncio.run(_drive_gate(url, bearers, requests[:per_phase], rate, duration))
        _report_latency("baseline, no connection killed", calm)

        def killer() -> None:
            ends = time.monotonic() + duration  # while the presentations are sent
            while not stop.wait(kill_every) and time.monotonic() < ends:
                kills.append(db.kill())

        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        run = asyncio.run(_drive_gate(url, bearers, requests[per_phase:], rate, duration))
        stop.set()
        thread.join()
        _report_latency(f"connections killed ({sum(kills)} in {len(kills)} rounds)", run)
        run.presentations += calm.presentations
        run.answered.update(calm.answered)
        run.statuses.update(calm.statuses)
        run.dropped += calm.dropped
        run.gave_up += calm.gave_up
        time.sleep(1.0)  # the answers' alert tasks finish
        factory = make_session_factory(build_engine(db.url))
        with factory() as s:
            decisions = list(s.scalars(select(GateDecision)))
            pending_now = len(
                gate_module.pending_alerts(session=s, now=datetime.now(UTC) + timedelta(days=1))
            )
        # The warm-up's presentations (malformed tokens, sent without a key) are not part of the runs.
        warm_up = sum(1 for d in decisions if d.presentation_key is None)
        by_key = Counter(d.presentation_key for d in decisions if d.presentation_key is not None)
        keys_answered = set(run.answered)
        mismatched = sum(
            1
            for d in decisions
            if d.presentation_key in run.answered and run.answered[d.presentation_key]["decision_id"] != d.id
        )
        with session_scope(factory) as s:
            raised_late = gate_module.raise_pending_alerts(
                session=s, actor=system_principal(), now=datetime.now(UTC) + timedelta(days=1)
            )
        with factory() as s:
            lost = len(gate_module.pending_alerts(session=s, now=datetime.now(UTC) + timedelta(days=1)))
            fraud = (
                s.scalar(
                    select(func.count())
                    .select_from(GateDecision)
                    .where(GateDecision.reason.in_(sorted(release.FRAUD)))
                )
                or 0
            )
        factory.kw["bind"].dispose()
        most = max(by_key.values(), default=0)
        print(
            f"  {run.presentations} presentations in both runs, {len(keys_answered)} answered, {run.gave_up} "
            f"gave up; answers {dict(run.statuses)}; dropped connections {run.dropped}",
            flush=True,
        )
        unanswered = len(set(by_key) - keys_answered)
        print(
            f"  decision rows {len(decisions) - warm_up} for {len(by_key)} presentations (and {warm_up} of "
            f"the warm-up), at most {most} per presentation, {mismatched} answers differing from their row, "
            f"{unanswered} decided but unanswered (the client gave up); fraud decisions {fraud}: "
            f"{pending_now} without an alert after the run, raised by the sweep {raised_late}, lost {lost}",
            flush=True,
        )
        check(
            "gate: every answered presentation has exactly one decision row, matching its answer",
            keys_answered <= set(by_key) and max(by_key.values(), default=1) == 1 and mismatched == 0,
        )
        check(
            "gate: every presentation answered in the end (retries with its key)",
            len(keys_answered) == run.presentations,
        )
        check("gate: zero lost alerts", lost == 0 and fraud > 0)
        check("gate: no answer but 200 or 503", set(run.statuses) <= {200, 503})
    finally:
        stop.set()
        if proc is not None:
            gate_bench.stop_server(proc)
        db.drop()


def _report_latency(label: str, run: GateRun) -> None:
    lat = sorted(run.latencies_ms)
    if not lat:
        print(f"  {label}: no answers")
        return
    p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(0.99 * (len(lat) - 1)))]
    print(
        f"  {label}: {len(lat)} of {run.presentations} answered, p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        f"(from the scheduled send, retries included); answers {dict(run.statuses)}, dropped {run.dropped}",
        flush=True,
    )


def _has_uvloop() -> bool:
    import importlib.util

    return (
        importlib.util.find_spec("uvloop") is not None and importlib.util.find_spec("httptools") is not None
    )


# --- poison -----------------------------------------------------------------------------------------------

POISON: dict[str, bytes] = {
    "nul-in-id.jsonl": orjson.dumps(event(1, eventID="ev-\x001")) + b"\n" + orjson.dumps(event(2)) + b"\n",
    "nul-in-remark.jsonl": orjson.dumps(event(3, changeRemark="a\x00b")) + b"\n",
    "bad-byte-and-nul.jsonl": orjson.dumps(event(4)).replace(b"ev-4", b"ev-\xe9\x00") + b"\n",
    "deep-element.json": b"[" + orjson.dumps(event(5)) + b", " + b'{"a": ' * 3000 + b"1" + b"}" * 3000 + b"]",
    "deep-line.jsonl": b"[" * 5000 + b"]" * 5000 + b"\n" + orjson.dumps(event(6)) + b"\n",
    "surrogate.json": json.dumps([event(7), event(8, eventID="ev-\ud800")], indent=1).encode(),
    "truncated.json": b"[" + orjson.dumps(event(9)) + b', {"eventID": ',
    "trailing.json": b"[" + orjson.dumps(event(10)) + b"] garbage after the array",
    "huge-line.jsonl": b'{"eventID": "' + b"x" * (5 * MB) + b'"}\n' + orjson.dumps(event(11)) + b"\n",
    "types.jsonl": orjson.dumps(event(12, seals=7, eventLocation="NLRTM", eventDateTime=12)) + b"\n",
    "random-bytes.json": random.Random(1).randbytes(2 * MB),
}
DECL_POISON: dict[str, bytes] = {
    "no-columns-bad-byte.csv": b"reference,goods_description\nR1,caf\xe9\nR2,tea\n",
    "one-line.csv": b"24NL1,2024-03-01T08:00:00Z,BL1\n",
    "unclosed-quote.csv": b'reference,goods_description\nR1,"bananas\nR2,tea\n',
}


def _mutate(rng: random.Random, ev: dict[str, Any]) -> bytes:
    """A valid event, then one random harm."""
    choice = rng.randrange(9)
    key = rng.choice(list(ev))
    if choice == 0:
        ev.pop(key)
    elif choice == 1:
        ev[key] = rng.choice([None, True, 1, 1.5, [], {}, "", "x" * 300])
    elif choice == 2:
        ev[key] = str(ev[key]) + "\x00"
    elif choice == 3:
        nested: Any = 1
        for _ in range(rng.randrange(50, 250)):
            nested = [nested]
        ev[key] = nested
    elif choice == 4:
        ev["eventID"] = "x" * rng.randrange(90, 200)
    elif choice == 5:
        ev["eventDateTime"] = rng.choice(["2024-02-30T00:00:00Z", "yesterday", "2099-01-01T00:00:00Z", 0])
    elif choice == 6:
        ev[f"k{rng.random()}"] = {"deep": "\x00"}
    elif choice == 7:
        ev[key] = rng.choice(["caf\u00e9 \u2603", "\u200b", "a" * 5000, "\\u0000"])
    else:
        ev["equipmentReference"] = rng.choice(["MSCU1234560", "ABCD", "", 42])
    return orjson.dumps(ev)


def poison(tmp: Path, backends: list[str], fuzz: int) -> None:
    print(
        f"\n-- poison: {len(POISON) + len(DECL_POISON)} poison files through the CLI, {fuzz} fuzzed events "
        "through the API",
        flush=True,
    )
    for backend in backends:
        db = PgScratch() if backend == "postgresql" else None
        url = db.url if db else sqlite_db(tmp, "poison")
        fatal = []
        try:
            for name, data in [*POISON.items(), *DECL_POISON.items()]:
                path = tmp / name
                path.write_bytes(data)
                kind = "declarations" if name.endswith(".csv") else "events"
                rc, _rss, _wall, out, err = run_measured(
                    [MAINPORT, "ingest", kind, str(path), "--json"], env_for(url, tmp)
                )
                s = summary(out)
                if rc not in (0, 3) or "Traceback" in err or not s.get("balanced"):
                    fatal.append(f"{name}: exit {rc} {err[-200:]}")
            print(
                f"  {backend}: {len(POISON) + len(DECL_POISON)} files, fatal {len(fatal)} {fatal[:3]}",
                flush=True,
            )
            check(f"{backend}: zero fatal record-level failures over the poison files", not fatal)
            fivexx = api_fuzz(url, fuzz)
            check(
                f"{backend}: zero 5xx over the poison records and {fuzz} fuzzed events through the API",
                fivexx == 0,
            )
        finally:
            if db:
                db.drop()


def api_fuzz(url: str, n: int) -> int:
    from fastapi.testclient import TestClient

    from mainport.api.app import create_app
    from mainport.config import Settings

    token = _token(url)
    engine = build_engine(url)
    app = create_app(
        Settings(environment="test", secret_key="z" * 40, database_url="sqlite://"),
        make_session_factory(engine),
    )
    rng = random.Random(23)
    statuses: Counter[int] = Counter()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the app's logging set-up turned it on again
    with TestClient(app, raise_server_exceptions=False) as client:
        bodies = [b"[" + data.replace(b"\n", b",").rstrip(b",") + b"]" for data in POISON.values()]
        for i in range(0, n, 50):
            batch = b"[" + b",".join(_mutate(rng, event(1_000 + i + j)) for j in range(50)) + b"]"
            bodies.append(batch)
            bodies.append(batch[: rng.randrange(2, len(batch))])  # cut short: not JSON, refused whole (4xx)
        for body in bodies:
            statuses[client.post("/api/v1/events", content=body, headers=headers).status_code] += 1
    engine.dispose()
    fivexx = sum(v for k, v in statuses.items() if k >= 500)
    print(
        f"  API: {sum(statuses.values())} requests, answers {dict(sorted(statuses.items()))}, 5xx {fivexx}",
        flush=True,
    )
    return fivexx


def main() -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="memory,concurrent,gate,poison")
    parser.add_argument("--size-mb", type=int, help="record / request size (600; --quick 60)")
    parser.add_argument(
        "--events", type=int, help="events for the concurrent ingests (150,000; --quick 30,000)"
    )
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, help="gate seconds (30; --quick 10)")
    parser.add_argument("--kill-every", type=float, default=1.0)
    parser.add_argument("--fuzz", type=int, help="fuzzed events (2,000; --quick 500)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 PID` prints where a long run is
    load_models()
    only = set(args.only.split(","))
    size = (args.size_mb or (60 if args.quick else 600)) * MB
    n = args.events or (30_000 if args.quick else 150_000)
    duration = args.duration or (10.0 if args.quick else 30.0)
    fuzz = args.fuzz or (500 if args.quick else 2_000)
    pg = pg_available()
    backends = ["sqlite", "postgresql"] if pg else ["sqlite"]
    started = time.perf_counter()
    print(f"faults bench, load average {os.getloadavg()[0]:.1f} (2 shared cores)", flush=True)
    with tempfile.TemporaryDirectory(prefix="faults_bench_") as tmp_dir:
        tmp = Path(tmp_dir)
        if "memory" in only:
            memory(tmp, size)
        if "concurrent" in only:
            concurrent(tmp, n, backends)
        if "gate" in only and pg:
            gate(tmp, args.rate, duration, args.kill_every)
        if "poison" in only:
            poison(tmp, backends, fuzz)
    failed = [what for what, met in CHECKS if not met]
    print(
        f"\n{len(CHECKS) - len(failed)} of {len(CHECKS)} targets met in {time.perf_counter() - started:.0f} s"
    )
    for what in failed:
        print(f"  NOT MET: {what}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
