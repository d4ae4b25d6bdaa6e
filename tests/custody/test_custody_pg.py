"""On PostgreSQL with concurrent transactions: a release right is used once, a repeated alert is one row."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select, text

from mainport.cases import service as cases
from mainport.cases.models import Alert
from mainport.custody import keys, release, tokens
from mainport.custody.models import GateDecision, ReleaseRight
from mainport.database import Base, build_engine, make_session_factory, session_scope, utcnow
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal
from tests.conftest import PG_URL

pytestmark = pytest.mark.postgres
BOX = "MSCU1234565"
GATE = Principal(
    user_id=1,
    username="gate",
    role=Role.officer,
    org_id=1,
    org_code="TERM-ECT",
    org_kind=OrgKind.terminal,
    facility_code="ECTDE",
)


@pytest.fixture
def pg(pg_engine: Engine) -> Iterator[Engine]:
    """A schema of its own: these tests commit from several connections at once."""
    schema = f"mp_custody_{os.getpid()}"
    with pg_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    eng = build_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_size=10)
    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()
    with pg_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def test_right_is_used_once_under_concurrent_gate_checks(pg: Engine) -> None:
    factory = make_session_factory(pg)
    with session_scope(factory) as s:
        kid, key = keys.signing_key(s)
        now = utcnow()
        right = ReleaseRight(
            token_id=secrets.token_hex(16),
            container_number=BOX,
            facility_code="ECTDE",
            issuer_org="MSCU",
            holder_org="HAUL-1",
            holder_kind="driver",
            carrier_id="HAUL-1",
            driver_id="DRV-1",
            not_before=now - timedelta(minutes=1),
            expires_at=now + timedelta(hours=1),
            kid=kid,
            issued_by="t",
        )
        s.add(right)
    token = tokens.sign(
        tokens.Claims(
            kid=kid,
            jti=right.token_id,
            container=BOX,
            facility="ECTDE",
            carrier="HAUL-1",
            driver="DRV-1",
            nbf=int(now.timestamp()) - 60,
            exp=int(now.timestamp()) + 3600,
        ),
        key,
    )

    def attempt(_i: int) -> tuple[bool, str]:
        with session_scope(factory) as s:
            answer = release.gate_check(
                session=s,
                actor=GATE,
                container_number=BOX,
                carrier_id="HAUL-1",
                driver_id="DRV-1",
                token=token,
            )
            return answer.allowed, answer.reason

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(attempt, range(8)))
    assert sorted(answers) == [(False, "already_used")] * 7 + [(True, "ok")]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(GateDecision)) == 8
        reused = s.scalar(select(Alert).where(Alert.kind == "release.reused"))
        assert reused is not None and reused.occurrences == 7 and reused.severity == 4


def test_concurrent_repeats_are_one_alert(pg: Engine) -> None:
    factory = make_session_factory(pg)

    def raise_one(_i: int) -> int:
        with session_scope(factory) as s:
            return cases.raise_alert(
                session=s,
                actor=GATE,
                source="custody",
                kind="custody.gate_out_under_control",
                container_number=BOX,
                severity=4,
                title="gate out",
            ).id

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = set(pool.map(raise_one, range(6)))
    assert len(ids) == 1
    with factory() as s:
        alert = s.get(Alert, ids.pop())
        assert alert is not None and alert.occurrences == 6
