"""The gate's hot path: the terminal asks, many times a second, whether a truck may take a box.

Per request the lean path (PostgreSQL) does the minimum: the bearer token is resolved from a short in-process
cache, the release token's Ed25519 signature is checked in process (public keys cached in ``keys``), and ONE
SQL statement on an autocommit connection locks the right, judges it (state, validity, carrier, driver,
customs hold), uses it up when the answer is yes and records the decision. Fraud alerts are raised only for
refusals (rare), in their own transaction after the decision is stored. On other databases (SQLite in tests
and small installs) the same answers come from ``release.gate_check`` through the ORM."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from mainport.cases import service as cases
from mainport.custody import keys, release, tokens
from mainport.custody.steps import HOLD_STATES
from mainport.database import utcnow
from mainport.errors import NotAuthenticated, PermissionDenied
from mainport.identity import service as identity
from mainport.identity.models import OrgKind
from mainport.identity.principal import Principal

# An expired bearer token keeps working at the gate for at most this long (per worker); a revoked token or a
# deactivated, locked or re-roled user is dropped at once in this process (identity's credentials epoch).
PRINCIPAL_TTL_S = 30.0
_PRINCIPAL_CACHE_MAX = 10_000
_principals: dict[str, tuple[Principal, float, int]] = {}


def clear_principal_cache() -> None:
    _principals.clear()


def principal_for_bearer(factory: sessionmaker[Session], authorization: str) -> Principal:
    """The gate's principal from its bearer token, cached for ``PRINCIPAL_TTL_S`` by the token's hash
    (only successes are cached: a wrong token is looked up every time)."""
    if not authorization.lower().startswith("bearer "):
        raise NotAuthenticated("the gate API takes a bearer token")
    plain = authorization[7:].strip()
    key = hashlib.sha256(plain.encode()).hexdigest()
    now = time.monotonic()
    hit = _principals.get(key)
    epoch = identity.credentials_epoch()
    if hit is not None and now - hit[1] < PRINCIPAL_TTL_S and hit[2] == epoch:
        return hit[0]
    with factory() as session:
        user = identity.authenticate_token(session=session, plain=plain)
        principal = identity.principal_for(user)
        session.commit()  # last_used_at
    if len(_principals) >= _PRINCIPAL_CACHE_MAX:
        _principals.clear()
    _principals[key] = (principal, now, epoch)
    return principal


# One statement: lock the right, judge it in the order of release._judge, use it up on "ok", record the
# decision. Data-modifying CTEs run exactly once even when the outer query does not read them; FOR UPDATE
# makes a concurrent second presentation wait and then see status 'used' (read committed re-check).
GATE_SQL = text(
    """
WITH r AS (
    SELECT id, container_number, facility_code, status, not_before, expires_at, carrier_id, driver_id,
           EXISTS (SELECT 1 FROM custody_plan p
                   WHERE p.container_number = :container AND p.state = ANY(:hold)) AS held
    FROM release_right WHERE token_id = :jti FOR UPDATE
), v AS (
    SELECT r.id, CASE
        WHEN NOT :claim_container_ok OR r.container_number <> :container THEN 'container_mismatch'
        WHEN CAST(:terminal AS varchar) IS NOT NULL AND r.facility_code <> CAST(:terminal AS varchar)
            THEN 'wrong_terminal'
        WHEN r.status = 'revoked' THEN 'revoked'
        WHEN r.status = 'used' THEN 'already_used'
        WHEN :now < r.not_before THEN 'not_yet_valid'
        WHEN :now > r.expires_at THEN 'expired'
        WHEN NOT :claim_carrier_ok OR r.carrier_id IS DISTINCT FROM :carrier THEN 'carrier_mismatch'
        WHEN NOT :claim_driver_ok OR r.driver_id IS DISTINCT FROM :driver THEN 'driver_mismatch'
        WHEN r.held THEN 'customs_hold'
        ELSE 'ok' END AS reason
    FROM r
), o AS (
    SELECT v.id, COALESCE(v.reason, 'unknown_right') AS reason FROM (SELECT 1) AS one LEFT JOIN v ON true
), u AS (
    UPDATE release_right SET status = 'used', used_at = :now
    FROM o WHERE release_right.id = o.id AND o.reason = 'ok' RETURNING release_right.id
)
INSERT INTO gate_decision (at, facility_code, asked_by, container_number, carrier_id, driver_id, right_id,
                           allowed, reason)
SELECT :now, :facility, :asked_by, :container, :carrier_short, :driver_short, o.id, o.reason = 'ok', o.reason
FROM o
RETURNING id, reason, right_id
"""
)

RECORD_SQL = text(
    """
INSERT INTO gate_decision (at, facility_code, asked_by, container_number, carrier_id, driver_id, right_id,
                           allowed, reason)
VALUES (:now, :facility, :asked_by, :container, :carrier_short, :driver_short, NULL, false, :reason)
RETURNING id, reason, right_id
"""
)

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
# Sized to the thread pool that runs plain ``def`` routes (anyio's default 40 tokens).
POOL_SIZE, POOL_OVERFLOW = 20, 20


def gate_engine(engine: Engine) -> Engine:
    """An autocommit engine on the same database without pre-ping: the single statement is its own
    transaction, so a check costs one round trip (no BEGIN/COMMIT, no ping on checkout)."""
    url = engine.url.render_as_string(hide_password=False)
    with _engines_lock:
        found = _engines.get(url)
        if found is None:
            found = create_engine(
                engine.url,
                isolation_level="AUTOCOMMIT",
                pool_size=POOL_SIZE,
                max_overflow=POOL_OVERFLOW,
                pool_pre_ping=False,
                pool_reset_on_return=None,  # autocommit: no transaction is ever left open to roll back
                pool_recycle=1800,
            )
            _engines[url] = found
            # Open the connections up front: a new PostgreSQL connection costs milliseconds that the first
            # trucks of the day should not wait for.
            opened = [found.connect() for _ in range(POOL_SIZE)]
            for conn in opened:
                conn.close()
    return found


def dispose_engines() -> None:
    """Close the gate's pools (tests, and before a fork)."""
    with _engines_lock:
        for found in _engines.values():
            found.dispose()
        _engines.clear()


def _authorise(actor: Principal) -> None:
    actor.require("custody:write")
    if not (actor.is_government or (actor.org_kind == OrgKind.terminal and actor.facility_code)):
        raise PermissionDenied("only a terminal (or customs) asks the gate question")


def _claims(engine: Engine, token: str) -> tuple[tokens.Claims | None, str]:
    try:
        kid = tokens.peek_kid(token)
    except tokens.TokenError as exc:
        return None, exc.reason
    key = keys.cached_public_key(kid)
    if key is None:
        with Session(engine) as session:
            key = keys.public_key(session, kid)
    if key is None:
        return None, "unknown_key"
    try:
        return tokens.verify(token, key), "ok"
    except tokens.TokenError as exc:
        return None, exc.reason


def check_fast(
    *,
    engine: Engine,
    actor: Principal,
    container_number: str,
    carrier_id: str,
    driver_id: str,
    token: str,
    now: datetime | None = None,
) -> tuple[release.GateAnswer, int | None]:
    """``release.gate_check`` on PostgreSQL in one statement; same reasons, same decision rows.
    Returns the answer and the right it concerned (for the alert)."""
    _authorise(actor)
    now = now or utcnow()
    claims, token_reason = _claims(engine, token)
    params: dict[str, Any] = {
        "now": now,
        "facility": actor.facility_code,
        "asked_by": actor.username,
        "container": container_number,
        "carrier_short": carrier_id[:32],
        "driver_short": driver_id[:64],
    }
    with gate_engine(engine).connect() as conn:
        if claims is None:
            row = conn.execute(RECORD_SQL, {**params, "reason": token_reason}).one()
        else:
            terminal = actor.facility_code if actor.org_kind == OrgKind.terminal else None
            row = conn.execute(
                GATE_SQL,
                {
                    **params,
                    "jti": claims.jti,
                    "hold": sorted(HOLD_STATES),
                    "terminal": terminal,
                    "carrier": carrier_id,
                    "driver": driver_id,
                    "claim_container_ok": claims.container == container_number,
                    "claim_carrier_ok": claims.carrier == carrier_id,
                    "claim_driver_ok": claims.driver == driver_id,
                },
            ).one()
    return release.GateAnswer(allowed=row.reason == "ok", reason=row.reason, decision_id=row.id), row.right_id


def raise_fraud_alert(
    *,
    session: Session,
    actor: Principal,
    answer: release.GateAnswer,
    right_id: int | None,
    container_number: str,
    carrier_id: str,
    driver_id: str,
) -> None:
    """The alert for a refusal that is a fraud pattern (same kinds and dedup as ``release.gate_check``)."""
    if answer.reason not in release.FRAUD:
        return
    kind, severity = release.FRAUD[answer.reason]
    cases.raise_alert(
        session=session,
        actor=actor,
        source="release",
        kind=kind,
        container_number=container_number,
        hub=actor.node_code,
        severity=severity,
        title=f"{container_number}: gate refused ({answer.reason}) for carrier {carrier_id}",
        detail={
            "decision_id": answer.decision_id,
            "carrier": carrier_id,
            "driver": driver_id,
            "facility": actor.facility_code,
            "right_id": right_id,
        },
        dedup_key=str(right_id) if right_id else None,
    )


def check(
    *,
    factory: sessionmaker[Session],
    actor: Principal,
    container_number: str,
    carrier_id: str,
    driver_id: str,
    token: str,
) -> tuple[release.GateAnswer, Callable[[], None] | None]:
    """Answer the gate: the lean path on a PostgreSQL engine, the ORM path otherwise. Also returns the
    fraud alert still to raise (lean path, refusals only), for the caller to run after answering the gate:
    the decision row is already stored, the alert follows in its own transaction."""
    bind = factory.kw.get("bind")
    if not (isinstance(bind, Engine) and bind.dialect.name == "postgresql"):
        with factory() as session:
            answer = release.gate_check(
                session=session,
                actor=actor,
                container_number=container_number,
                carrier_id=carrier_id,
                driver_id=driver_id,
                token=token,
            )
            session.commit()
        return answer, None
    answer, right_id = check_fast(
        engine=bind,
        actor=actor,
        container_number=container_number,
        carrier_id=carrier_id,
        driver_id=driver_id,
        token=token,
    )
    if answer.reason not in release.FRAUD:
        return answer, None

    def alert() -> None:
        with factory() as session:
            raise_fraud_alert(
                session=session,
                actor=actor,
                answer=answer,
                right_id=right_id,
                container_number=container_number,
                carrier_id=carrier_id,
                driver_id=driver_id,
            )
            session.commit()

    return answer, alert
