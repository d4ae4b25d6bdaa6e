"""Gate check latency: uvicorn on 127.0.0.1 against PostgreSQL (fresh schema in db `test`), open-loop load at
a fixed rate driven by wrk (C, loopback; benchmarks/gate_wrk.lua) or, when wrk is not installed, a bounded
async httpx client; p50/p95/p99, errors and rate achieved, PASS/FAIL against p99 < 50 ms.
A baseline at the same rate against a page that touches no database (GET /login, same server, same client)
gives the ratio: what the HTTP stack and the client cost on this machine. Not a test.

    apt-get install -y wrk                                         # once (Debian package)
    .venv/bin/python benchmarks/gate_bench.py                      # 200 req/s for 30 s, 2 workers
    .venv/bin/python benchmarks/gate_bench.py --workers 1 --plain-loop --keep-logs /tmp/gate_bench

(SQLite is no baseline for this: concurrent writers get "database is locked".)

Latency is measured from the *scheduled* send time (open loop), so a stalled server cannot hide queueing
(no coordinated omission). ~5 % of the requests re-present a used token: the fraud path (recorded denial and
an alert) is part of the load, as at a real gate. Every answer must be HTTP 200 with the expected verdict.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine, text

from mainport.custody import keys, tokens
from mainport.custody.models import ReleaseRight
from mainport.database import Base, build_engine, make_session_factory, session_scope, utcnow
from mainport.domains import load_models
from mainport.identity import service as identity
from mainport.identity.models import OrgKind, Role, User
from mainport.identity.passwords import hash_password
from mainport.reference.containers import make_container_number

PG_URL = os.environ.get("MAINPORT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET = "bench-" + "s" * 40
REUSE_SHARE = 0.05
GRACE_S = 20.0  # after the last scheduled send
WRK_SCRIPT = Path(__file__).with_name("gate_wrk.lua")


@dataclass
class Request:
    body: dict[str, str]
    expect_allowed: bool  # for the first presentation; a re-presentation must be refused


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    wrong_verdicts: int = 0
    error_samples: list[str] = field(default_factory=list)
    unanswered: int = 0
    achieved_rate: float = float("nan")


def seed(engine: Engine, n: int, lanes: int = 8) -> tuple[list[str], list[Request]]:
    """Organisations, a terminal user with one API token per gate lane, and n rights nominated to a driver."""
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        line = identity.get_or_create_organisation(
            session=session, code="MSCU", name="line", kind=OrgKind.shipping_line
        )
        identity.get_or_create_organisation(
            session=session, code="HAUL-1", name="haulier", kind=OrgKind.haulier
        )
        term = identity.get_or_create_organisation(
            session=session,
            code="TERM-ECT",
            name="ECT Delta",
            kind=OrgKind.terminal,
            node_code="rotterdam",
            facility_code="ECTDE",
        )
        user = User(
            username="gate_ectde", password_hash=hash_password("x" * 20), role=Role.officer, organisation=term
        )
        session.add(user)
        session.flush()
        principal = identity.principal_for(user)
        # One token per gate lane, as at a real terminal (identity updates a token's last_used_at on every
        # request, so a single shared token would serialise all lanes on one row).
        bearers = [
            identity.create_token(session=session, actor=principal, user=user, name=f"lane-{i}")[1]
            for i in range(lanes)
        ]
        kid, key = keys.signing_key(session)
        now = utcnow()
        requests: list[Request] = []
        rights = []
        for i in range(n):
            number = make_container_number("MSC", i)
            right = ReleaseRight(
                token_id=secrets.token_hex(16),
                container_number=number,
                facility_code="ECTDE",
                issuer_org=line.code,
                holder_org="HAUL-1",
                holder_kind="driver",
                carrier_id="HAUL-1",
                driver_id=f"DRV-{i}",
                not_before=now - timedelta(hours=1),
                expires_at=now + timedelta(days=1),
                kid=kid,
                issued_by="bench",
                status="active",
            )
            rights.append(right)
            token = tokens.sign(
                tokens.Claims(
                    kid=kid,
                    jti=right.token_id,
                    container=number,
                    facility="ECTDE",
                    carrier="HAUL-1",
                    driver=f"DRV-{i}",
                    nbf=int(right.not_before.timestamp()),
                    exp=int(right.expires_at.timestamp()),
                ),
                key,
            )
            requests.append(
                Request(
                    {
                        "container_number": number,
                        "carrier_id": "HAUL-1",
                        "driver_id": f"DRV-{i}",
                        "token": token,
                    },
                    True,
                )
            )
        session.add_all(rights)
    # Re-present some tokens later in the run: expected "already_used".
    step = int(1 / REUSE_SHARE)
    mixed: list[Request] = []
    for i, r in enumerate(requests):
        mixed.append(r)
        if i % step == step - 1 and i >= step:
            mixed.append(Request(requests[i - step].body, False))
    return bearers, mixed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    db_url: str, workers: int, port: int, log_path: str, fast_loop: bool = True
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MAINPORT_DATABASE_URL": db_url,
        "MAINPORT_ENVIRONMENT": "test",
        "MAINPORT_SECRET_KEY": SECRET,
        "MAINPORT_LOG_LEVEL": "WARNING",
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "mainport.api.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
        "--timeout-graceful-shutdown",
        "3",
    ]
    if fast_loop:
        cmd += ["--loop", "uvloop", "--http", "httptools"]
    log = open(log_path, "wb")  # noqa: SIM115 - the server writes to it until it stops
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("uvicorn did not come up in 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


async def drive(
    url: str,
    bearers: list[str],
    requests: list[Request],
    rate: float,
    duration: float,
    max_inflight: int,
    noop: bool = False,
) -> Result:
    result = Result()
    total = min(len(requests), int(rate * duration))
    limits = httpx.Limits(max_connections=max_inflight, max_keepalive_connections=max_inflight)
    sem = asyncio.Semaphore(max_inflight)
    lanes = [{"Authorization": f"Bearer {b}"} for b in bearers]
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10.0) as client:
        for r in requests[:20]:  # warm both workers' caches and pools (not measured, rights stay unused)
            await client.post("/api/v1/gate/check", json={**r.body, "token": "mpr1.x.y"}, headers=lanes[0])
        loop = asyncio.get_running_loop()
        t0 = loop.time() + 0.2

        async def one(i: int, req: Request) -> None:
            scheduled = t0 + i / rate
            await asyncio.sleep(max(0.0, scheduled - loop.time()))
            async with sem:
                try:
                    if noop:
                        resp = await client.get("/login", headers=lanes[i % len(lanes)])
                        elapsed = (loop.time() - scheduled) * 1000
                        if resp.status_code == 200:
                            result.latencies_ms.append(elapsed)
                        else:
                            result.errors += 1
                        return
                    resp = await client.post(
                        "/api/v1/gate/check", json=req.body, headers=lanes[i % len(lanes)]
                    )
                    elapsed = (loop.time() - scheduled) * 1000
                    if resp.status_code != 200:
                        result.errors += 1
                        if len(result.error_samples) < 5:
                            result.error_samples.append(f"{resp.status_code} {resp.text[:200]}")
                        return
                    answer = resp.json()
                    # Under queueing a re-presentation may overtake the first use: what must hold is one "ok"
                    # per token, every other answer "already_used" (checked after the run).
                    verdicts.setdefault(req.body["token"], []).append(answer["reason"])
                    result.latencies_ms.append(elapsed)
                except httpx.HTTPError as exc:
                    result.errors += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(repr(exc))

        verdicts: dict[str, list[str]] = {}
        tasks = [asyncio.create_task(one(i, r)) for i, r in enumerate(requests[:total])]
        # A server that cannot keep up must not hang the benchmark: what is unanswered by then is an error.
        _done, pending = await asyncio.wait(tasks, timeout=duration + GRACE_S)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        result.unanswered = len(pending)
        result.errors += len(pending)
    if not noop:
        check_verdicts(verdicts, result)
    result.achieved_rate = len(result.latencies_ms) / duration
    return result


def check_verdicts(verdicts: dict[str, list[str]], result: Result) -> None:
    """Under queueing a re-presentation may overtake the first use: what must hold is one "ok" per token,
    every other answer "already_used"."""
    for reasons in verdicts.values():
        wrong = reasons.count("ok") > 1 or any(r not in ("ok", "already_used") for r in reasons)
        if wrong or (len(reasons) == 1 and reasons[0] != "ok"):
            result.wrong_verdicts += 1
            if len(result.error_samples) < 5:
                result.error_samples.append(f"verdicts {reasons}")


def drive_wrk(
    url: str,
    bearers: list[str],
    requests: list[Request],
    rate: float,
    duration: float,
    connections: int,
    workdir: Path,
    noop: bool = False,
    verdicts: dict[str, list[str]] | None = None,
) -> Result:
    """Run wrk with gate_wrk.lua and judge its log: latency from the scheduled slot, status, verdicts."""
    total = min(len(requests), int(rate * duration) + connections + 10)
    workdir.mkdir(parents=True, exist_ok=True)
    bodies = workdir / "bodies.txt"
    bodies.write_text("".join(json.dumps(r.body, separators=(",", ":")) + "\n" for r in requests[:total]))
    (workdir / "bearers.txt").write_text("".join(b + "\n" for b in bearers))
    log = workdir / ("wrk_get.log" if noop else "wrk_post.log")
    cmd = [
        "wrk", "-t1", f"-c{connections}", f"-d{duration:.0f}s", "--timeout", "10s", "-s", str(WRK_SCRIPT),
        url, "--", str(bodies), str(workdir / "bearers.txt"), str(log), str(rate), "get" if noop else "post",
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    result = Result()
    if out.returncode != 0:
        result.errors += 1
        result.error_samples.append(f"wrk exited {out.returncode}: {out.stderr[-300:]}")
    for line in out.stdout.splitlines():
        if "Socket errors" in line or "Non-2xx" in line:
            result.error_samples.append(f"wrk: {line.strip()}")
    sent: dict[str, float] = {}
    answered: set[str] = set()
    # Shared with the warm-up run: a re-presentation in the measured run may concern a warm-up token.
    verdicts = {} if verdicts is None else verdicts
    first_sched, last_answer = float("inf"), 0.0
    for line in log.read_text().splitlines():
        parts = line.split()
        _tag, num, sched = parts[1].split("-")
        if parts[0] == "s":
            sent[parts[1]] = float(sched)
            continue
        answered.add(parts[1])
        status, reason, at = int(parts[2]), parts[3], float(parts[4])
        if status != 200:
            result.errors += 1
            if len(result.error_samples) < 5:
                result.error_samples.append(f"HTTP {status} ({reason})")
            continue
        if not noop:
            verdicts.setdefault(requests[int(num) - 1].body["token"], []).append(reason)
        result.latencies_ms.append((at - float(sched)) / 1000)
        first_sched, last_answer = min(first_sched, float(sched)), max(last_answer, at)
    # Sent more than 10 s (wrk's timeout) before the end and never answered: an error.
    end = max(sent.values(), default=0.0)
    result.unanswered = sum(1 for k, t in sent.items() if k not in answered and t < end - 10e6)
    result.errors += result.unanswered
    if result.latencies_ms and last_answer > first_sched:
        result.achieved_rate = len(result.latencies_ms) / ((last_answer - first_sched) / 1e6)
    if not noop:
        check_verdicts(verdicts, result)
    return result


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(label: str, result: Result, rate: float, duration: float) -> None:
    lat = result.latencies_ms
    print(
        f"[{label}] {len(lat)} answered at {rate:.0f} req/s for {duration:.0f} s: "
        f"p50 {pct(lat, 50):.1f} ms  p95 {pct(lat, 95):.1f} ms  p99 {pct(lat, 99):.1f} ms  "
        f"max {max(lat, default=float('nan')):.1f} ms  achieved {result.achieved_rate:.1f} req/s  "
        f"errors {result.errors}  wrong verdicts {result.wrong_verdicts}  (unanswered: {result.unanswered})"
    )
    for sample in result.error_samples:
        print(f"[{label}]   e.g. {sample}")


def _have(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def warm_up(url: str, bearers: list[str], requests: list[Request], connections: int) -> None:
    """Fill every worker's bearer and key caches and pools before measuring, as at a gate that has been open
    for a while: malformed tokens (recorded refusals; the rights stay unused) over fresh connections, so
    that the kernel spreads them over the workers."""

    def lane(i: int) -> None:
        headers = {"Authorization": f"Bearer {bearers[i % len(bearers)]}", "Connection": "close"}
        for _ in range(4):
            body = {**requests[i].body, "token": "mpr1.x.y"}
            httpx.post(f"{url}/api/v1/gate/check", json=body, headers=headers, timeout=30)

    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(lane, range(connections * 2)))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    # Below the server's connection pool (5 + 10 per worker): api.deps.resolve_principal is async and queries
    # the database on the event loop, so an exhausted pool blocks the loop until the pool timeout (30 s).
    parser.add_argument("--max-inflight", type=int, default=12)
    parser.add_argument("--lanes", type=int, default=8, help="gate lanes, one API token each")
    parser.add_argument(
        "--client", choices=["wrk", "httpx"], default="wrk" if shutil.which("wrk") else "httpx"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (open loop: slack)")
    parser.add_argument(
        "--warmup-duration", type=float, default=5.0, help="wrk: unmeasured gate checks at the rate first"
    )
    parser.add_argument("--keep-logs", help="folder to keep wrk's request/response logs in")
    parser.add_argument(
        "--plain-loop", action="store_true", help="asyncio + h11 instead of uvloop + httptools"
    )
    parser.add_argument("--baseline-duration", type=float, default=10.0, help="no-DB baseline; 0 to skip")
    parser.add_argument("--server-log", default=str(Path(tempfile.gettempdir()) / "gate_bench_server.log"))
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args()
    # `timeout` and Ctrl-C must still stop the server and drop the schema (the finally blocks below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_models()
    os.environ["MAINPORT_SECRET_KEY"] = SECRET  # keys are encrypted with the same secret as the server's

    admin = build_engine(args.pg_url)
    schema = f"gate_bench_{os.getpid()}"
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # no server: say so and stop
        print(f"PostgreSQL not reachable at {args.pg_url}: {type(exc).__name__}: {exc}")
        return 2
    sep = "&" if "?" in args.pg_url else "?"
    pg_url = f"{args.pg_url}{sep}options=-csearch_path%3D{schema}"
    proc = None
    try:
        engine = build_engine(pg_url)
        warm_n = int(args.rate * args.warmup_duration) + 2 * args.connections if args.client == "wrk" else 0
        n = int(args.rate * args.duration * (1 - REUSE_SHARE)) + 50 + warm_n
        t = time.perf_counter()
        bearers, requests = seed(engine, n, args.lanes)
        warm_requests, requests = requests[:warm_n], requests[warm_n:]
        engine.dispose()
        print(
            f"seeded {n} rights in {time.perf_counter() - t:.1f} s; uvicorn with {args.workers} worker(s)",
            flush=True,
        )
        port = free_port()
        fast_loop = not args.plain_loop and _have("uvloop") and _have("httptools")
        proc = start_server(pg_url, args.workers, port, args.server_log, fast_loop)
        url = f"http://127.0.0.1:{port}"
        if args.client == "httpx" and not shutil.which("wrk"):
            print("wrk not found (apt-get install -y wrk): falling back to the Python httpx client")
        print(f"client {args.client}; server loop {'uvloop+httptools' if fast_loop else 'asyncio+h11'}")
        if args.client == "wrk":
            warm_up(url, bearers, requests, args.connections)
        baseline = None
        with tempfile.TemporaryDirectory() as tmp_dir:
            tmp = args.keep_logs or tmp_dir
            Path(tmp).mkdir(parents=True, exist_ok=True)
            if args.baseline_duration > 0:
                if args.client == "wrk":
                    baseline = drive_wrk(
                        url, bearers, requests, args.rate, args.baseline_duration, args.connections,
                        Path(tmp), noop=True,
                    )  # fmt: skip
                else:
                    baseline = asyncio.run(
                        drive(
                            url, bearers, requests, args.rate, args.baseline_duration, args.max_inflight, True
                        )
                    )
                report("baseline GET /login", baseline, args.rate, args.baseline_duration)
            if args.client == "wrk":
                verdicts: dict[str, list[str]] = {}
                if warm_requests:
                    warm = drive_wrk(
                        url, bearers, warm_requests, args.rate, args.warmup_duration, args.connections,
                        Path(tmp) / "warm", verdicts=verdicts,
                    )  # fmt: skip
                    report("warm-up gate check, not counted", warm, args.rate, args.warmup_duration)
                result = drive_wrk(
                    url, bearers, requests, args.rate, args.duration, args.connections, Path(tmp),
                    verdicts=verdicts,
                )  # fmt: skip
            else:
                result = asyncio.run(
                    drive(url, bearers, requests, args.rate, args.duration, args.max_inflight)
                )
        report("gate check (postgresql)", result, args.rate, args.duration)
    finally:
        if proc is not None:
            stop_server(proc)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
    p99 = pct(result.latencies_ms, 99)
    if baseline is not None and baseline.latencies_ms:
        print(f"ratio p99 gate check / baseline: {p99 / pct(baseline.latencies_ms, 99):.1f}")
    ok = p99 < 50.0 and result.errors == 0 and result.wrong_verdicts == 0
    print(
        f"{'PASS' if ok else 'FAIL'}: gate check p99 {p99:.1f} ms (target < 50 ms) at {args.rate:.0f} req/s, "
        f"{result.errors} errors, {result.wrong_verdicts} wrong verdicts"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
