"""The gate under forged tokens and faults: every presentation gets a decision row (and, when it is a fraud
pattern, an alert), nothing a token holds answers 500, a retry with the same Idempotency-Key gets the stored
decision, an alert that cannot be raised after the answer never fails the answer and is raised later, and the
lean path survives killed database connections."""

from __future__ import annotations

import base64
import json
import os
import secrets
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from mainport.api.app import create_app
from mainport.cases.models import Alert
from mainport.config import Settings
from mainport.custody import gate, keys, release, tokens
from mainport.custody.models import GateDecision, ReleaseRight
from mainport.database import Base, build_engine, make_session_factory, session_scope, utcnow
from mainport.identity import service as identity
from mainport.identity.models import OrgKind, Role, User
from tests.conftest import PG_URL, _cached_hash

BOX = "MSCU1234565"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forged(payload: bytes) -> str:
    return f"mpr1.{_b64(payload)}.{_b64(b'x' * 64)}"


def _signed(s: Session, payload: dict[str, Any]) -> str:
    """A token with a real signature over a payload that is not a valid claims set."""
    kid, key = keys.signing_key(s)
    body = _b64(json.dumps({"kid": kid, **payload}).encode())
    return f"mpr1.{body}.{_b64(key.sign(f'mpr1.{body}'.encode()))}"


def _claims(kid: str = "k0123456789abcdef") -> dict[str, Any]:
    return {"kid": kid, "jti": "j", "container": BOX, "facility": "ECTDE", "carrier": "H", "driver": "D"}


def _forgeries(s: Session) -> dict[str, tuple[str, str]]:
    """name -> (token, the gate's reason)."""
    base = _claims()
    unsigned = {k: v for k, v in base.items() if k != "kid"}
    return {
        "kid-list": (_forged(json.dumps({**base, "kid": ["k1"]}).encode()), "malformed_token"),
        "kid-int": (_forged(json.dumps({**base, "kid": 7}).encode()), "malformed_token"),
        "kid-dict": (_forged(json.dumps({**base, "kid": {"a": 1}}).encode()), "malformed_token"),
        "no-kid": (_forged(b"{}"), "malformed_token"),
        "nested-1400": (_forged(b"[" * 1400), "malformed_token"),
        "nested-objects": (_forged(b'{"kid":' * 150 + b"1" + b"}" * 150), "malformed_token"),
        "not-json": (_forged(b"\xff\xfe\x00"), "malformed_token"),
        "not-an-object": (_forged(b"[1, 2]"), "malformed_token"),
        "bad-base64": ("mpr1.!!!!.@@@@", "malformed_token"),
        "non-ascii": ("mpr1.\u00c4\u00d6.x", "malformed_token"),
        "two-parts": ("mpr1.abc", "malformed_token"),
        "unknown-key": (_forged(json.dumps({**base, "kid": "knope"}).encode()), "unknown_key"),
        "bool-exp": (_signed(s, {**unsigned, "nbf": 0, "exp": True}), "malformed_token"),
        "float-nbf": (_signed(s, {**unsigned, "nbf": 1.5, "exp": 2}), "malformed_token"),
        "list-jti": (_signed(s, {**unsigned, "jti": ["j"], "nbf": 0, "exp": 2}), "malformed_token"),
        "signed-by-no-one": (
            _forged(json.dumps({**base, "kid": keys.signing_key(s)[0], "nbf": 0, "exp": 1}).encode()),
            "bad_signature",
        ),
    }


def _gate_principal(session: Session, facility: str = "ECTDE") -> User:
    org = identity.get_or_create_organisation(
        session=session,
        code=f"TERM-{facility}",
        name="terminal",
        kind=OrgKind.terminal,
        facility_code=facility,
    )
    user = User(
        username=f"gate-{facility}-{uuid.uuid4().hex[:6]}",
        password_hash=_cached_hash(),
        role=Role.officer,
        organisation=org,
    )
    session.add(user)
    session.flush()
    return user


def _bearer(session: Session, user: User) -> dict[str, str]:
    principal = identity.principal_for(user)
    _tok, plain = identity.create_token(session=session, actor=principal, user=user, name="gate")
    return {"Authorization": f"Bearer {plain}"}


def test_forged_tokens_of_every_shape_get_a_decision_and_an_alert(
    session: Session, app_client: TestClient
) -> None:
    gate.clear_principal_cache()
    user = _gate_principal(session)
    headers = _bearer(session, user)
    forgeries = _forgeries(session)
    session.commit()
    for i, (name, (token, reason)) in enumerate(forgeries.items()):
        body = {"container_number": f"MSCU{i:07d}", "carrier_id": "H", "driver_id": "D", "token": token}
        answer = app_client.post("/api/v1/gate/check", json=body, headers=headers)
        assert answer.status_code == 200, (name, answer.text)
        assert answer.json()["allowed"] is False and answer.json()["reason"] == reason, name
    decisions = session.scalars(select(GateDecision).where(GateDecision.asked_by == user.username)).all()
    assert len(decisions) == len(forgeries) and all(d.alert_id is not None for d in decisions)
    forged = session.scalars(select(Alert).where(Alert.kind == "release.forged_token")).all()
    assert sum(a.occurrences for a in forged) >= len(forgeries)


def test_a_bool_for_an_id_is_refused_with_422(
    app_client: TestClient, session: Session, principal_factory: Any, token_for: Any
) -> None:
    customs = token_for(principal_factory(role=Role.analyst))
    plan = {"container_number": BOX, "facility_code": "ECTDE", "declaration_id": False}
    assert app_client.post("/api/v1/custody/plans", json=plan, headers=customs).status_code == 422
    alert = {"kind": "manual.tip", "title": "t", "declaration_id": False}
    answer = app_client.post("/api/v1/alerts", json=alert, headers=customs)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "validation_failed"
    assert (
        app_client.post("/api/v1/alerts", json={**alert, "declaration_id": True}, headers=customs).status_code
        == 422
    )


def test_a_retry_with_the_same_key_gets_the_stored_decision_on_the_orm_path(
    session: Session, principal_factory: Any
) -> None:
    p = principal_factory(role=Role.officer, kind=OrgKind.terminal, facility_code="ECTDE")
    token = _right(session, "MSCU0000018")
    ask = {
        "actor": p,
        "container_number": "MSCU0000018",
        "carrier_id": "HAUL-1",
        "driver_id": "DRV-1",
        "token": token,
    }
    first = release.gate_check(session=session, presentation_key="lane3-0001", **ask)
    again = release.gate_check(session=session, presentation_key="lane3-0001", **ask)
    other = release.gate_check(session=session, presentation_key="lane3-0002", **ask)
    assert (first.allowed, again.allowed, again.decision_id) == (True, True, first.decision_id)
    assert (other.allowed, other.reason) == (False, "already_used")
    from mainport.errors import Conflict

    with pytest.raises(Conflict):
        release.gate_check(session=session, presentation_key="lane3-0001", **{**ask, "driver_id": "DRV-2"})


# --- the lean path on PostgreSQL ---------------------------------------------------------------------------


def _right(s: Session, box: str) -> str:
    kid, key = keys.signing_key(s)
    now = utcnow()
    right = ReleaseRight(
        token_id=secrets.token_hex(16),
        container_number=box,
        facility_code="ECTDE",
        issuer_org="MSCU",
        holder_org="HAUL-1",
        holder_kind="driver",
        carrier_id="HAUL-1",
        driver_id="DRV-1",
        not_before=now - timedelta(minutes=1),
        expires_at=now + timedelta(hours=1),
        status="active",
        kid=kid,
        issued_by="t",
    )
    s.add(right)
    s.flush()
    claims = tokens.Claims(
        kid,
        right.token_id,
        box,
        "ECTDE",
        "HAUL-1",
        "DRV-1",
        int(right.not_before.timestamp()),
        int(right.expires_at.timestamp()),
    )
    return tokens.sign(claims, key)


class LeanGate:
    def __init__(self, engine: Engine, tag: str) -> None:
        self.engine, self.tag = engine, tag
        self.factory: sessionmaker[Session] = make_session_factory(engine)
        settings = Settings(environment="test", secret_key="g" * 40, database_url="sqlite://")
        self.app = create_app(settings, session_factory=self.factory)
        with session_scope(self.factory) as s:
            self.user = _gate_principal(s)
            self.headers = _bearer(s, self.user)
            self.principal = identity.principal_for(self.user)

    def kill_connections(self) -> int:
        """Terminate every backend of this test's engines (tagged by application_name): no one else's."""
        with psycopg.connect(PG_URL.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                (self.tag,),
            ).fetchall()
        return len(rows)


@pytest.fixture
def lean(pg_engine: Engine) -> Iterator[LeanGate]:
    schema = f"mp_gatefault_{os.getpid()}"
    tag = f"mpgatefault{os.getpid()}"
    with pg_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = build_engine(f"{PG_URL}?options=-csearch_path%3D{schema}&application_name={tag}")
    Base.metadata.create_all(engine)
    gate.clear_principal_cache()
    yield LeanGate(engine, tag)
    gate.dispose_engines()
    engine.dispose()
    with pg_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def _body(box: str, token: str) -> dict[str, str]:
    return {"container_number": box, "carrier_id": "HAUL-1", "driver_id": "DRV-1", "token": token}


@pytest.mark.postgres
def test_lean_path_forgeries_and_idempotent_retries(lean: LeanGate) -> None:
    with session_scope(lean.factory) as s:
        forgeries = _forgeries(s)
        token = _right(s, "MSCU0000026")
    with TestClient(lean.app) as client:
        for i, (name, (forged, reason)) in enumerate(forgeries.items()):
            answer = client.post(
                "/api/v1/gate/check", json=_body(f"MSCU{i:07d}", forged), headers=lean.headers
            )
            assert answer.status_code == 200 and answer.json()["reason"] == reason, (name, answer.text)
        keyed = {**lean.headers, "Idempotency-Key": "lane1-000042"}
        first = client.post("/api/v1/gate/check", json=_body("MSCU0000026", token), headers=keyed)
        again = client.post("/api/v1/gate/check", json=_body("MSCU0000026", token), headers=keyed)
        assert first.json()["allowed"] and again.json() == first.json()
        reused = client.post("/api/v1/gate/check", json=_body("MSCU0000026", token), headers=lean.headers)
        assert reused.json()["reason"] == "already_used"
        wrong = client.post(
            "/api/v1/gate/check", json={**_body("MSCU0000026", token), "driver_id": "X"}, headers=keyed
        )
        assert wrong.status_code == 409
    with lean.factory() as s:
        decisions = s.scalars(select(GateDecision).order_by(GateDecision.id)).all()
        assert len(decisions) == len(forgeries) + 2  # the retry made no second row
        assert all(d.alert_id is not None for d in decisions if d.reason in release.FRAUD)
        used = s.scalar(select(ReleaseRight).where(ReleaseRight.container_number == "MSCU0000026"))
        assert used is not None and used.status == "used"


@pytest.mark.postgres
def test_concurrent_retries_with_one_key_use_the_right_once(lean: LeanGate) -> None:
    with session_scope(lean.factory) as s:
        token = _right(s, "MSCU0000034")

    def ask(_i: int) -> tuple[bool, str, int]:
        answer, _alert = gate.check(
            factory=lean.factory,
            actor=lean.principal,
            container_number="MSCU0000034",
            carrier_id="HAUL-1",
            driver_id="DRV-1",
            token=token,
            presentation_key="lane2-7",
        )
        return answer.allowed, answer.reason, answer.decision_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = set(pool.map(ask, range(8)))
    assert len(answers) == 1 and next(iter(answers))[:2] == (True, "ok")
    with lean.factory() as s:
        assert s.scalar(select(func.count()).select_from(GateDecision)) == 1


@pytest.mark.postgres
def test_an_alert_that_fails_after_the_answer_is_raised_later(
    lean: LeanGate, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(lean.factory) as s:
        token = _right(s, "MSCU0000042")
    real = gate._alert_one

    def database_gone(*_a: Any, **_k: Any) -> bool:
        raise OperationalError(
            "SELECT", {}, psycopg.OperationalError("server closed the connection unexpectedly")
        )

    monkeypatch.setattr(gate, "_alert_one", database_gone)
    monkeypatch.setattr(gate, "ALERT_BACKOFF_S", 0.0)
    with TestClient(lean.app) as client:
        first = client.post("/api/v1/gate/check", json=_body("MSCU0000042", token), headers=lean.headers)
        second = client.post("/api/v1/gate/check", json=_body("MSCU0000042", token), headers=lean.headers)
        third = client.post("/api/v1/gate/check", json=_body("MSCU0000042", token), headers=lean.headers)
    assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
    assert first.json()["allowed"] and second.json()["reason"] == third.json()["reason"] == "already_used"
    monkeypatch.setattr(gate, "_alert_one", real)
    later = utcnow() + gate.PENDING_GRACE + timedelta(seconds=1)
    with lean.factory() as s:
        assert len(gate.pending_alerts(session=s, now=later)) == 2
    with session_scope(lean.factory) as s:
        assert gate.raise_pending_alerts(session=s, actor=lean.principal, now=later) == 2
    with lean.factory() as s:
        assert gate.pending_alerts(session=s, now=later) == []
        reused = s.scalars(select(Alert).where(Alert.kind == "release.reused")).one()
        assert reused.occurrences == 2
    with session_scope(lean.factory) as s:  # once only
        assert gate.raise_pending_alerts(session=s, actor=lean.principal, now=later) == 0
    assert not gate.alert_decision(
        factory=lean.factory, actor=lean.principal, decision_id=second.json()["decision_id"]
    )


@pytest.mark.postgres
def test_the_lean_path_survives_killed_connections(lean: LeanGate) -> None:
    with session_scope(lean.factory) as s:
        tokens_ = [_right(s, f"MSCU00001{i:02d}") for i in range(6)]
    with TestClient(lean.app) as client:
        answers = []
        for i, token in enumerate(tokens_):
            if i % 2:
                assert lean.kill_connections() > 0
            r = client.post(
                "/api/v1/gate/check", json=_body(f"MSCU00001{i:02d}", token), headers=lean.headers
            )
            answers.append((r.status_code, r.json().get("allowed")))
    assert answers == [(200, True)] * 6
    with lean.factory() as s:
        assert s.scalar(select(func.count()).select_from(GateDecision)) == 6
