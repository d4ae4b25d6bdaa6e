"""The gate's lean path on PostgreSQL (custody.gate): one statement per check gives the same answers,
decision rows and fraud alerts as release.gate_check, and a right is used once under concurrency."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from mainport.cases.models import Alert
from mainport.custody import gate, keys, tokens
from mainport.custody.models import CustodyPlan, GateDecision, ReleaseRight
from mainport.database import Base, build_engine, make_session_factory, session_scope, utcnow
from mainport.errors import PermissionDenied
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal
from tests.conftest import PG_URL

pytestmark = pytest.mark.postgres
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
    """A schema of its own, named in the URL (the gate's autocommit engine is built from the URL)."""
    schema = f"mp_gate_{os.getpid()}"
    with pg_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    eng = build_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()
    gate.dispose_engines()
    with pg_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def _right(s: Session, box: str, **changes: Any) -> str:
    """A right nominated to HAUL-1 / DRV-1 at ECTDE, and its token (claims may be altered)."""
    kid, key = keys.signing_key(s)
    now = utcnow()
    right = ReleaseRight(
        token_id=secrets.token_hex(16),
        container_number=box,
        facility_code=changes.pop("facility_code", "ECTDE"),
        issuer_org="MSCU",
        holder_org="HAUL-1",
        holder_kind="driver",
        carrier_id="HAUL-1",
        driver_id="DRV-1",
        not_before=changes.pop("not_before", now - timedelta(minutes=1)),
        expires_at=changes.pop("expires_at", now + timedelta(hours=1)),
        status=changes.pop("status", "active"),
        kid=kid,
        issued_by="t",
    )
    s.add(right)
    s.flush()
    claims = tokens.Claims(
        kid=kid,
        jti=right.token_id,
        container=box,
        facility=right.facility_code,
        carrier="HAUL-1",
        driver="DRV-1",
        nbf=int(right.not_before.timestamp()),
        exp=int(right.expires_at.timestamp()),
    )
    return tokens.sign(replace(claims, **changes), key)


def _ask(pg: Engine, box: str, token: str, actor: Principal = GATE, **body: str) -> tuple[bool, str]:
    answer, alert = gate.check(
        factory=make_session_factory(pg),
        actor=actor,
        container_number=box,
        carrier_id=body.get("carrier_id", "HAUL-1"),
        driver_id=body.get("driver_id", "DRV-1"),
        token=token,
    )
    if alert is not None:
        alert()
    return answer.allowed, answer.reason


def test_every_reason_on_the_lean_path(pg: Engine) -> None:
    factory = make_session_factory(pg)
    now = utcnow()
    with session_scope(factory) as s:
        t = {
            "ok": _right(s, "MSCU0000001"),
            "revoked": _right(s, "MSCU0000002", status="revoked"),
            "not_yet": _right(s, "MSCU0000003", not_before=now + timedelta(hours=1)),
            "expired": _right(s, "MSCU0000004", expires_at=now - timedelta(seconds=1)),
            "held": _right(s, "MSCU0000005"),
            "other_terminal": _right(s, "MSCU0000006", facility_code="APMII"),
            "mismatch": _right(s, "MSCU0000007"),
            "claims_driver": _right(s, "MSCU0000008", driver="DRV-9"),
            "unknown": _right(s, "MSCU0000009", jti=secrets.token_hex(16)),
        }
        s.add(
            CustodyPlan(
                container_number="MSCU0000005",
                facility_code="ECTDE",
                guarded_area="ECTDE-GUARDED",
                source="manual",
                opened_by="customs",
                state="guarded",
            )
        )
    assert _ask(pg, "MSCU0000001", t["ok"]) == (True, "ok")
    assert _ask(pg, "MSCU0000001", t["ok"]) == (False, "already_used")
    assert _ask(pg, "MSCU0000002", t["revoked"]) == (False, "revoked")
    assert _ask(pg, "MSCU0000003", t["not_yet"]) == (False, "not_yet_valid")
    assert _ask(pg, "MSCU0000004", t["expired"]) == (False, "expired")
    assert _ask(pg, "MSCU0000005", t["held"]) == (False, "customs_hold")
    assert _ask(pg, "MSCU0000006", t["other_terminal"]) == (False, "wrong_terminal")
    assert _ask(pg, "MSCU0000099", t["mismatch"]) == (False, "container_mismatch")
    assert _ask(pg, "MSCU0000007", t["mismatch"], carrier_id="HAUL-2") == (False, "carrier_mismatch")
    assert _ask(pg, "MSCU0000007", t["mismatch"], driver_id="DRV-2") == (False, "driver_mismatch")
    assert _ask(pg, "MSCU0000008", t["claims_driver"]) == (False, "driver_mismatch")
    assert _ask(pg, "MSCU0000009", t["unknown"]) == (False, "unknown_right")
    assert _ask(pg, "MSCU0000007", t["mismatch"][:-4] + "AAAA") == (False, "bad_signature")
    assert _ask(pg, "MSCU0000007", "mpr1.nonsense") == (False, "malformed_token")
    # The refusals above did not use the right up: presented properly it still opens the gate once.
    assert _ask(pg, "MSCU0000007", t["mismatch"]) == (True, "ok")
    customs = replace(GATE, org_kind=OrgKind.customs, facility_code=None)
    assert _ask(pg, "MSCU0000006", t["other_terminal"], actor=customs) == (True, "ok")
    with factory() as s:
        decisions = s.scalars(select(GateDecision).order_by(GateDecision.id)).all()
        assert len(decisions) == 16
        assert [d.allowed for d in decisions].count(True) == 3
        assert decisions[0].right_id is not None and decisions[0].asked_by == "gate"
        assert decisions[0].facility_code == "ECTDE"
        used = s.scalar(select(ReleaseRight).where(ReleaseRight.container_number == "MSCU0000001"))
        assert used is not None and used.status == "used" and used.used_at is not None
        kinds = {a.kind: a.severity for a in s.scalars(select(Alert))}
    assert kinds == {
        "release.reused": 4,
        "release.revoked_presented": 3,
        "release.customs_hold": 4,
        "release.wrong_terminal": 2,
        "release.wrong_carrier": 3,
        "release.forged_token": 3,
    }


def test_lean_path_uses_a_right_once_under_concurrency(pg: Engine) -> None:
    factory = make_session_factory(pg)
    with session_scope(factory) as s:
        token = _right(s, "MSCU1234565")
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _i: _ask(pg, "MSCU1234565", token), range(8)))
    assert sorted(answers) == [(False, "already_used")] * 7 + [(True, "ok")]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(GateDecision)) == 8
        reused = s.scalar(select(Alert).where(Alert.kind == "release.reused"))
        assert reused is not None and reused.occurrences == 7


def test_lean_path_refuses_who_may_not_ask(pg: Engine) -> None:
    factory = make_session_factory(pg)
    with session_scope(factory) as s:
        token = _right(s, "MSCU1234565")
    haulier = replace(GATE, org_kind=OrgKind.haulier, facility_code=None)
    with pytest.raises(PermissionDenied):
        _ask(pg, "MSCU1234565", token, actor=haulier)
    with pytest.raises(PermissionDenied):
        _ask(pg, "MSCU1234565", token, actor=replace(GATE, facility_code=None))
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(GateDecision)) == 0
