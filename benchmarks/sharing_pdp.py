"""The policy decision point's cost, against the fixed matrix, in one run; then the gate at 200 req/s.

Part 1 (SQLite file and PostgreSQL): what one request's authorisation costs. Per request, as the API does it:
load the user (the token's owner), make its principal, ask five permissions and one container's visibility
(`policy.may_see_container`, the SQL every container read carries). "matrix" makes the principal without
grants, as before agreements (the fixed matrix of identity.principal decides); "pdp" through
identity.service.principal_for, which asks the policy decision point (agreements in force and delegation
evidence in the principal's database, seeded with the default agreements; cached per process for 5 s),
and "pdp uncached" the same with the cache dropped before every request (one more query each time). Each of
the two is interleaved with the matrix in a pass of its own, so that load on the machine hits both sides
alike; p50/p99 of each and what the PDP adds (target < 2 ms p99, judged on the path requests take: cached).

Part 2: benchmarks/gate_bench.py as it is (uvicorn on PostgreSQL, open-loop 200 req/s, p99 < 50 ms), with the
default agreements stored in its database first, so every gate principal is decided by the PDP.

    .venv/bin/python benchmarks/sharing_pdp.py                    # 3000 requests per side, then the gate 30 s
    .venv/bin/python benchmarks/sharing_pdp.py --n 500 --gate-duration 10 --quick
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from mainport.database import Base, build_engine, make_session_factory, session_scope
from mainport.domains import load_models
from mainport.identity import policy
from mainport.identity import service as identity
from mainport.identity.models import OrgKind, Role, User
from mainport.identity.principal import Principal

PG_URL = os.environ.get("MAINPORT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PERMISSIONS = ("containers:read", "custody:read", "declarations:read", "intel:read", "monitoring:read")


def _matrix_principal(user: User) -> Principal:
    """principal_for as it was before agreements: no grants, the fixed matrix decides."""
    org = user.organisation
    return Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        org_id=org.id,
        org_code=org.code,
        org_kind=org.kind,
        node_code=org.node_code,
        facility_code=org.facility_code,
        carrier_code=org.carrier_code,
    )


def seed(engine: Engine) -> list[int]:
    from mainport.sharing.service import seed_defaults
    from tests.sharing.seed import box_with_event

    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    ids = []
    with session_scope(factory) as s:
        seed_defaults(session=s)
        for code, kind, facility in (
            ("TERM-ECT", OrgKind.terminal, "ECTDE"),
            ("NP-RTM", OrgKind.police, None),
            ("HAUL-1", OrgKind.haulier, None),
            ("DOUANE-RTM", OrgKind.customs, None),
        ):
            org = identity.get_or_create_organisation(
                session=s, code=code, name=code, kind=kind, node_code="rotterdam", facility_code=facility
            )
            user = User(username=f"bench_{code}", password_hash="x", role=Role.officer, organisation=org)
            s.add(user)
            s.flush()
            ids.append(user.id)
        for i in range(200):
            box_with_event(s, f"MSCU{i:06d}{i % 10}", hub="rotterdam", facility="ECTDE" if i % 2 else "APMII")
    return ids


def one_request(session: Session, user_id: int, make: Callable[[User], Principal]) -> float:
    t = time.perf_counter()
    user = session.get(User, user_id)
    assert user is not None
    actor = make(user)
    for p in PERMISSIONS:
        actor.can(p)
    policy.may_see_container(session, actor, "MSCU0000011")
    elapsed = (time.perf_counter() - t) * 1000
    session.expunge_all()  # the next request loads the user again, as a new request would
    return elapsed


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def measure(label: str, engine: Engine, ids: list[int], n: int) -> float:
    factory = make_session_factory(engine)
    from mainport.sharing import pdp

    def cold(user: User) -> Principal:
        pdp.invalidate()  # every request asks the database (a new epoch: as after an agreement changed)
        return identity.principal_for(user)

    times: dict[str, list[float]] = {"matrix": [], "pdp": [], "matrix2": [], "cold": []}
    makers: dict[str, Callable[[User], Principal]] = {
        "matrix": _matrix_principal,
        "pdp": identity.principal_for,
        "cold": cold,
    }
    with factory() as s:
        for i in range(50):  # warm the connection and the statement caches
            for make in makers.values():
                one_request(s, ids[i % len(ids)], make)
        # Two passes, each against the matrix interleaved (the uncached pass drops the cache, so it must not
        # run between cached requests).
        for first, second in (("matrix", "pdp"), ("matrix2", "cold")):
            for i in range(n):
                for name in (first, second) if i % 2 == 0 else (second, first):
                    make = makers["matrix" if name == "matrix2" else name]
                    times[name].append(one_request(s, ids[i % len(ids)], make))
        s.rollback()
    m, d, m2, c = times["matrix"], times["pdp"], times["matrix2"], times["cold"]
    added = pct(d, 99) - pct(m, 99)
    print(
        f"{label:10s} matrix p50 {statistics.median(m):.3f} p99 {pct(m, 99):.3f} ms | "
        f"pdp p50 {statistics.median(d):.3f} p99 {pct(d, 99):.3f} ms (added p50 "
        f"{statistics.median(d) - statistics.median(m):.3f}, p99 {added:.3f}) | pdp uncached p50 "
        f"{statistics.median(c):.3f} p99 {pct(c, 99):.3f} ms (added p50 "
        f"{statistics.median(c) - statistics.median(m2):.3f}, p99 {pct(c, 99) - pct(m2, 99):.3f}) | "
        f"{n} requests each",
        flush=True,
    )
    return added


def part1(n: int, pg_url: str) -> bool:
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        eng = build_engine(f"sqlite:///{Path(tmp) / 'pdp.db'}")
        ids = seed(eng)
        ok &= measure("sqlite", eng, ids, n) < 2.0
        eng.dispose()
    admin = build_engine(pg_url)
    schema = f"pdp_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # no server: say so, count SQLite only
        print(f"PostgreSQL not reachable at {pg_url}: {type(exc).__name__}")
        return ok
    try:
        sep = "&" if "?" in pg_url else "?"
        eng = build_engine(f"{pg_url}{sep}options=-csearch_path%3D{schema}")
        ids = seed(eng)
        ok &= measure("postgresql", eng, ids, n) < 2.0
        eng.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
    return ok


def part2(duration: float, rate: float, quick: bool) -> int:
    """gate_bench.main with the default agreements stored before the server starts."""
    sys.path.insert(0, str(Path(__file__).parent))
    import gate_bench

    from mainport.sharing.service import seed_defaults

    plain_seed = gate_bench.seed

    def seed_with_agreements(engine: Engine, n: int, lanes: int = 8) -> Any:
        out = plain_seed(engine, n, lanes)
        with session_scope(make_session_factory(engine)) as s:
            added = seed_defaults(session=s)
            stored = s.scalar(select(text("count(*)")).select_from(text("sharing_agreement")))
        print(
            f"default agreements stored for the gate's principals: {added} (in table: {stored})", flush=True
        )
        return out

    gate_bench.seed = seed_with_agreements
    argv = ["gate_bench.py", "--rate", str(rate), "--duration", str(duration)]
    if quick:
        argv += ["--baseline-duration", "0", "--warmup-duration", "2"]
    sys.argv = argv
    return int(gate_bench.main())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=3000, help="requests per side in part 1")
    parser.add_argument("--gate-duration", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument(
        "--quick", action="store_true", help="part 2 without its baseline and a short warm-up"
    )
    parser.add_argument("--no-gate", action="store_true", help="part 1 only")
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args()
    load_models()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.sharing.seed
    ok = part1(args.n, args.pg_url)
    print(f"{'PASS' if ok else 'FAIL'}: policy check adds < 2 ms p99 per request", flush=True)
    if args.no_gate:
        return 0 if ok else 1
    gate = part2(args.gate_duration, args.rate, args.quick)
    return 0 if ok and gate == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
