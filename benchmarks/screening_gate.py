"""How fast a port ban or a lapsed screening takes effect at the gate (issue 18: "within one second").

    .venv/bin/python benchmarks/screening_gate.py                  # SQLite file and PostgreSQL (if reachable)
    .venv/bin/python benchmarks/screening_gate.py --trials 20 --backends sqlite

Per trial: a driver holds many release rights (each single-use); a gate client presents them one after the
other through `custody.gate.check` (the lean one-statement path on PostgreSQL, the ORM path on SQLite) while
another thread bans the driver (`screening.service.issue_ban`) or withdraws their port VOG
(`withdraw_certificate`) and commits. Measured: the time from that commit to the first refusal naming the
reason (port_ban / screening_lapsed), and the number of presentations that began after the commit and were
still allowed (must be 0). Baseline in the same run: the gate's own answer time (a check before the change).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from mainport.custody import gate, keys, tokens
from mainport.custody.models import ReleaseRight
from mainport.database import Base, build_engine, make_session_factory, utcnow
from mainport.domains import load_models
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal, system_principal
from mainport.screening import service
from mainport.screening.models import Certificate

PG_URL = os.environ.get("MAINPORT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
GATE = Principal(
    user_id=1,
    username="gate",
    role=Role.officer,
    org_id=1,
    org_code="TERM-ECT",
    org_kind=OrgKind.terminal,
    facility_code="ECTDE",
)


def _rights(s: Session, driver: str, n: int) -> list[str]:
    kid, key = keys.signing_key(s)
    now = utcnow()
    out = []
    for i in range(n):
        right = ReleaseRight(
            token_id=secrets.token_hex(16),
            container_number=f"MSCU{i:07d}",
            facility_code="ECTDE",
            issuer_org="MSCU",
            holder_org="HAUL-1",
            holder_kind="driver",
            carrier_id="HAUL-1",
            driver_id=driver,
            not_before=now - timedelta(minutes=1),
            expires_at=now + timedelta(hours=1),
            status="active",
            kid=kid,
            issued_by="bench",
        )
        s.add(right)
        s.flush()
        claims = tokens.Claims(
            kid=kid,
            jti=right.token_id,
            container=right.container_number,
            facility="ECTDE",
            carrier="HAUL-1",
            driver=driver,
            nbf=int(right.not_before.timestamp()),
            exp=int(right.expires_at.timestamp()),
        )
        out.append(tokens.sign(claims, key))
    return out


def trial(factory: sessionmaker[Session], cause: str, n: int = 400) -> tuple[float, int, float]:
    """(seconds from the commit to the first refusal, allowed presentations begun after it, check time)."""
    driver = f"DRV-{secrets.token_hex(4)}"
    actor = system_principal()
    with factory() as s:
        service.upsert_role(session=s, actor=actor, org_code="TERM-ECT", code="driver", requires=["port_vog"])
        person, _ = service.register_person(
            session=s,
            actor=actor,
            reference=driver,
            employer_org="TERM-ECT",
            hub="rotterdam",
            role_code="driver",
            gate_id=driver,
        )
        now = utcnow()
        cert, _ = service.record_certificate(
            session=s,
            actor=actor,
            alias=person.alias,
            kind="port_vog",
            issuer="Justis",
            issued_at=now - timedelta(days=10),
            valid_until=now + timedelta(days=300),
        )
        alias, cert_id = person.alias, cert.id
        toks = _rights(s, driver, n)
        s.commit()
    answers: list[tuple[float, float, str]] = []
    stop = threading.Event()

    def present() -> None:
        for i, tok in enumerate(toks):
            if stop.is_set():
                return
            t0 = time.perf_counter()
            answer, alert = gate.check(
                factory=factory,
                actor=GATE,
                container_number=f"MSCU{i:07d}",
                carrier_id="HAUL-1",
                driver_id=driver,
                token=tok,
            )
            answers.append((t0, time.perf_counter(), answer.reason))
            if alert is not None:
                alert()

    worker = threading.Thread(target=present)
    worker.start()
    time.sleep(0.3)
    with factory() as s:
        if cause == "port_ban":
            service.issue_ban(session=s, actor=actor, alias=alias, reason="benchmark: court order")
        else:
            s.get(Certificate, cert_id)
            service.withdraw_certificate(session=s, actor=actor, certificate_id=cert_id, reason="VOG revoked")
        s.commit()
        committed = time.perf_counter()
    time.sleep(0.5)
    stop.set()
    worker.join()
    refused = [t1 for t0, t1, r in answers if r == cause and t1 >= committed]
    late_ok = sum(1 for t0, _t1, r in answers if r == "ok" and t0 > committed)
    before = [t1 - t0 for t0, t1, r in answers if r == "ok"]
    if not refused:
        raise SystemExit(f"{cause}: no refusal within 0.5 s of the commit ({len(answers)} answers)")
    return min(refused) - committed, late_ok, statistics.median(before) if before else float("nan")


def _engine(backend: str, where: Path) -> Engine | None:
    load_models()
    if backend == "sqlite":
        eng = build_engine(f"sqlite:///{where / 'bench.db'}")
    else:
        try:
            base = build_engine(PG_URL)
            schema = f"mp_screening_bench_{os.getpid()}"
            with base.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            base.dispose()
        except Exception as exc:  # no server: say so and go on with the other backend
            print(f"postgresql: skipped ({type(exc).__name__}: {str(exc).splitlines()[0][:100]})")
            return None
        eng = build_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    Base.metadata.create_all(eng)
    return eng


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--backends", default="sqlite,pg")
    args = parser.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            eng = _engine(backend, Path(tmp))
            if eng is None:
                continue
            factory = make_session_factory(eng)
            for cause in ("port_ban", "screening_lapsed"):
                runs = [trial(factory, cause) for _ in range(args.trials)]
                lat = sorted(r[0] for r in runs)
                late = sum(r[1] for r in runs)
                check = statistics.median(r[2] for r in runs)
                print(
                    f"{backend:6s} {cause:16s}: commit -> first refusal median "
                    f"{1000 * statistics.median(lat):.1f} ms, "
                    f"max {1000 * lat[-1]:.1f} ms over {len(runs)} trials; presentations allowed after the "
                    f"commit: {late}; one gate check (baseline) {1000 * check:.1f} ms"
                )
                ok = ok and lat[-1] < 1.0 and late == 0
            gate.dispose_engines()
            if backend != "sqlite":
                with eng.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA IF EXISTS mp_screening_bench_{os.getpid()} CASCADE"))
            eng.dispose()
    print(f"takes effect within 1 s, nothing allowed after the change: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
