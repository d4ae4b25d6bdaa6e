"""The gate's hot path: the terminal asks, many times a second, whether a truck may take a box.

Per request the lean path (PostgreSQL) does the minimum: the bearer token is resolved from a short in-process
cache, the release token's Ed25519 signature is checked in process (public keys cached in ``keys``), and ONE
SQL statement on an autocommit connection locks the right, judges it (state, validity, carrier, driver,
customs hold), uses it up when the answer is yes and records the decision. Fraud alerts are raised only for
refusals (rare), in their own transaction after the decision is stored, and never lost: a decision that
should have an alert and has none is raised late (`raise_pending_alerts`, a recurring job). On other
databases (SQLite in tests and small installs) the same answers come from ``release.gate_check`` through
the ORM.

Nothing a presented token holds makes a check fail: every presentation gets its decision row (and its
alert when it is a fraud pattern, forged tokens included). A retry with the same Idempotency-Key gets the
stored decision instead of `already_used`."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mainport.cases import service as cases
from mainport.cases.models import Alert
from mainport.custody import keys, release, tokens
from mainport.custody.models import GateDecision
from mainport.custody.steps import HOLD_STATES
from mainport.database import run_transaction, utcnow
from mainport.database.core import is_transient, is_unique_violation
from mainport.errors import Conflict, NotAuthenticated, PermissionDenied
from mainport.identity import service as identity
from mainport.identity.models import OrgKind
from mainport.identity.principal import Principal
from mainport.logs import get_logger
from mainport.reference.nodes import hub_for_place

log = get_logger("mainport.gate")

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
# A presentation the gate already made (same asker and Idempotency-Key: a retry after a lost answer) is not
# judged again: the stored decision comes back (repeat), nothing is used or recorded twice. Two retries at
# once: the second's INSERT violates the key's unique index, the whole statement (its UPDATE too) is undone
# and the stored decision is read after (`_stored`).
GATE_SQL = text(
    """
WITH prior AS (
    SELECT id, reason, right_id, container_number, carrier_id, driver_id FROM gate_decision
    WHERE CAST(:key AS varchar) IS NOT NULL AND asked_by = :asked_by
      AND presentation_key = CAST(:key AS varchar)
), r AS (
    SELECT id, container_number, facility_code, status, not_before, expires_at, carrier_id, driver_id,
           EXISTS (SELECT 1 FROM custody_plan p
                   WHERE p.container_number = :container AND p.state = ANY(:hold)) AS held,
           (SELECT s.reason FROM access_suspension s
            WHERE s.subject = CAST(:driver AS varchar) AND s.lifted_at IS NULL AND s.since <= :now
              AND (s.until IS NULL OR s.until > :now)
            ORDER BY CASE WHEN s.reason = 'port_ban' THEN 0 ELSE 1 END LIMIT 1) AS suspended
    FROM release_right WHERE token_id = :jti AND NOT EXISTS (SELECT 1 FROM prior) FOR UPDATE
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
        WHEN r.suspended IS NOT NULL THEN r.suspended
        WHEN r.held THEN 'customs_hold'
        ELSE 'ok' END AS reason
    FROM r
), o AS (
    SELECT v.id, COALESCE(v.reason, 'unknown_right') AS reason FROM (SELECT 1) AS one LEFT JOIN v ON true
    WHERE NOT EXISTS (SELECT 1 FROM prior)
), u AS (
    UPDATE release_right SET status = 'used', used_at = :now
    FROM o WHERE release_right.id = o.id AND o.reason = 'ok' RETURNING release_right.id
), ins AS (
    INSERT INTO gate_decision (at, facility_code, asked_by, container_number, carrier_id, driver_id, right_id,
                               allowed, reason, presentation_key)
    SELECT :now, :facility, :asked_by, :container, :carrier_short, :driver_short, o.id, o.reason = 'ok',
           o.reason, CAST(:key AS varchar)
    FROM o
    RETURNING id, reason, right_id
)
SELECT id, reason, right_id, false AS repeat, true AS same FROM ins
UNION ALL
SELECT id, reason, right_id, true AS repeat,
       container_number = :container AND carrier_id = :carrier_short AND driver_id = :driver_short AS same
FROM prior
"""
)

RECORD_SQL = text(
    """
WITH prior AS (
    SELECT id, reason, right_id, container_number, carrier_id, driver_id FROM gate_decision
    WHERE CAST(:key AS varchar) IS NOT NULL AND asked_by = :asked_by
      AND presentation_key = CAST(:key AS varchar)
), ins AS (
    INSERT INTO gate_decision (at, facility_code, asked_by, container_number, carrier_id, driver_id, right_id,
                               allowed, reason, presentation_key)
    SELECT :now, :facility, :asked_by, :container, :carrier_short, :driver_short, NULL, false, :reason,
           CAST(:key AS varchar)
    WHERE NOT EXISTS (SELECT 1 FROM prior)
    RETURNING id, reason, right_id
)
SELECT id, reason, right_id, false AS repeat, true AS same FROM ins
UNION ALL
SELECT id, reason, right_id, true AS repeat,
       container_number = :container AND carrier_id = :carrier_short AND driver_id = :driver_short AS same
FROM prior
"""
)

STORED_SQL = text(
    """
SELECT id, reason, right_id, true AS repeat,
       container_number = :container AND carrier_id = :carrier_short AND driver_id = :driver_short AS same
FROM gate_decision WHERE asked_by = :asked_by AND presentation_key = :key
"""
)

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
# Sized to the thread pool that runs plain ``def`` routes (anyio's default 40 tokens).
POOL_SIZE, POOL_OVERFLOW = 20, 20
# A check that hits a dead pooled connection (a backend killed, the server restarted) is run again on a
# fresh one, this many times in all: no ping on checkout (it would cost a round trip per check), and a
# retry is safe (the statement is its own transaction; with an Idempotency-Key a committed first attempt
# comes back as the stored decision).
CHECK_ATTEMPTS = 3


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
    """The verified claims, or None and why not. Never raises on what the token holds."""
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


@dataclass(frozen=True)
class Checked:
    """What the lean path answered: the answer, the right it concerned, and whether it is the stored
    decision of an earlier presentation with the same Idempotency-Key (nothing new recorded or alerted)."""

    answer: release.GateAnswer
    right_id: int | None
    repeat: bool = False


def check_fast(
    *,
    engine: Engine,
    actor: Principal,
    container_number: str,
    carrier_id: str,
    driver_id: str,
    token: str,
    now: datetime | None = None,
    presentation_key: str | None = None,
) -> Checked:
    """``release.gate_check`` on PostgreSQL in one statement; same reasons, same decision rows."""
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
        "key": presentation_key,
    }
    if claims is None:
        statement, params = RECORD_SQL, {**params, "reason": token_reason}
    else:
        terminal = actor.facility_code if actor.org_kind == OrgKind.terminal else None
        statement = GATE_SQL
        params = {
            **params,
            "jti": claims.jti,
            "hold": sorted(HOLD_STATES),
            "terminal": terminal,
            "carrier": carrier_id,
            "driver": driver_id,
            "claim_container_ok": claims.container == container_number,
            "claim_carrier_ok": claims.carrier == carrier_id,
            "claim_driver_ok": claims.driver == driver_id,
        }
    row = _run(gate_engine(engine), statement, params)
    if not row.same:
        raise Conflict(
            f"Idempotency-Key {presentation_key!r} was already used for another presentation "
            f"(decision {row.id}); send a new key for a new presentation"
        )
    answer = release.GateAnswer(allowed=row.reason == "ok", reason=row.reason, decision_id=row.id)
    return Checked(answer, row.right_id, bool(row.repeat))


def _run(engine: Engine, statement: Any, params: dict[str, Any]) -> Any:
    for attempt in range(1, CHECK_ATTEMPTS + 1):
        try:
            with engine.connect() as conn:
                try:
                    row = conn.execute(statement, params).first()
                except IntegrityError as exc:
                    if not is_unique_violation(exc) or params["key"] is None:
                        raise
                    row = None  # a concurrent retry with the same key recorded it first
                if row is None:
                    row = conn.execute(STORED_SQL, params).one()
                return row
        except Exception as exc:
            if attempt == CHECK_ATTEMPTS or not is_transient(exc):
                raise
            log.warning("gate check retried", attempt=attempt, error=f"{type(exc).__name__}: {exc}"[:200])
    raise AssertionError("unreachable")  # pragma: no cover


def raise_fraud_alert(
    *,
    session: Session,
    actor: Principal,
    answer: release.GateAnswer,
    right_id: int | None,
    container_number: str,
    carrier_id: str,
    driver_id: str,
    hub: str | None = None,
    facility: str | None = None,
) -> Alert | None:
    """The alert for a refusal that is a fraud pattern (same kinds and dedup as ``release.gate_check``)."""
    if answer.reason not in release.FRAUD:
        return None
    kind, severity = release.FRAUD[answer.reason]
    return cases.raise_alert(
        session=session,
        actor=actor,
        source="release",
        kind=kind,
        container_number=container_number,
        hub=hub if hub is not None else actor.node_code,
        severity=severity,
        title=f"{container_number}: gate refused ({answer.reason}) for carrier {carrier_id}",
        detail={
            "decision_id": answer.decision_id,
            "carrier": carrier_id,
            "driver": driver_id,
            "facility": facility if facility is not None else actor.facility_code,
            "right_id": right_id,
        },
        dedup_key=str(right_id) if right_id else None,
    )


ALERT_ATTEMPTS = 4
ALERT_BACKOFF_S = 0.25


def alert_decision(*, factory: sessionmaker[Session], actor: Principal, decision_id: int) -> bool:
    """Raise the fraud alert of one stored decision and link it (`alert_id`), in one transaction: exactly
    once, however often it is asked (a decision that has its alert is left alone). Runs after the gate has
    its answer, so it never raises: a fault of the moment is retried, anything else (or the last fault) is
    logged and the decision stays pending for `raise_pending_alerts`. True when this call raised it."""
    for attempt in range(1, ALERT_ATTEMPTS + 1):
        try:
            with factory() as session:
                done = _alert_one(session, actor, decision_id)
                session.commit()
            return done
        except Exception as exc:
            if attempt < ALERT_ATTEMPTS and is_transient(exc):
                time.sleep(ALERT_BACKOFF_S * 2 ** (attempt - 1))
                continue
            log.warning(
                "gate alert left pending", decision_id=decision_id, error=f"{type(exc).__name__}: {exc}"[:300]
            )
            return False
    return False  # pragma: no cover


def _alert_one(session: Session, actor: Principal, decision_id: int, *, skip_locked: bool = False) -> bool:
    """Raise and link the alert of one decision unless it has one; True when this call raised it or there
    was none to raise."""
    decision = session.scalar(
        select(GateDecision)
        .where(GateDecision.id == decision_id)
        .with_for_update(skip_locked=skip_locked)
        .execution_options(populate_existing=True)
    )
    if decision is None or decision.alert_id is not None:
        return False
    if decision.reason not in release.FRAUD:
        return True
    alert = raise_fraud_alert(
        session=session,
        actor=actor,
        answer=release.GateAnswer(allowed=decision.allowed, reason=decision.reason, decision_id=decision.id),
        right_id=decision.right_id,
        container_number=decision.container_number,
        carrier_id=decision.carrier_id,
        driver_id=decision.driver_id,
        hub=actor.node_code or hub_for_place(None, decision.facility_code),
        facility=decision.facility_code,
    )
    decision.alert_id = alert.id if alert is not None else None
    session.flush()
    return True


PENDING_GRACE = timedelta(seconds=30)  # the background task of the answer raises it first, normally
PENDING_HORIZON = timedelta(days=7)


def pending_alerts(*, session: Session, now: datetime | None = None) -> list[int]:
    """Decisions that should have a fraud alert and have none (their background task failed or the process
    ended first), oldest first; those of the last PENDING_GRACE are left to their own task."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(GateDecision.id)
            .where(
                GateDecision.alert_id.is_(None),
                GateDecision.allowed.is_(False),
                GateDecision.reason.in_(sorted(release.FRAUD)),
                GateDecision.at >= now - PENDING_HORIZON,
                GateDecision.at <= now - PENDING_GRACE,
            )
            .order_by(GateDecision.id)
            .limit(1000)
        )
    )


def raise_pending_alerts(*, session: Session, actor: Principal, now: datetime | None = None) -> int:
    """Raise the alerts of pending decisions (`pending_alerts`) in the caller's transaction (a recurring
    job; the caller commits); how many were raised. Safe beside the answers' own tasks: each decision is
    locked and alerted once (on PostgreSQL one that a task holds is skipped, it is being alerted)."""
    actor.require("custody:write")
    raised = 0
    for decision_id in pending_alerts(session=session, now=now):
        with session.begin_nested():
            raised += _alert_one(session, actor, decision_id, skip_locked=True)
    return raised


def check(
    *,
    factory: sessionmaker[Session],
    actor: Principal,
    container_number: str,
    carrier_id: str,
    driver_id: str,
    token: str,
    presentation_key: str | None = None,
) -> tuple[release.GateAnswer, Callable[[], None] | None]:
    """Answer the gate: the lean path on a PostgreSQL engine, the ORM path otherwise. Also returns the
    fraud alert still to raise (lean path, refusals only), for the caller to run after answering the gate:
    the decision row is already stored, the alert follows in its own transaction and never raises.

    `presentation_key` (the gate's Idempotency-Key, per asking user): a retry of a presentation gets the
    stored decision (the same decision id), whatever happened to the first answer."""
    bind = factory.kw.get("bind")
    if not (isinstance(bind, Engine) and bind.dialect.name == "postgresql"):

        def orm(session: Session) -> release.GateAnswer:
            return release.gate_check(
                session=session,
                actor=actor,
                container_number=container_number,
                carrier_id=carrier_id,
                driver_id=driver_id,
                token=token,
                presentation_key=presentation_key,
            )

        return run_transaction(factory, orm), None
    checked = check_fast(
        engine=bind,
        actor=actor,
        container_number=container_number,
        carrier_id=carrier_id,
        driver_id=driver_id,
        token=token,
        presentation_key=presentation_key,
    )
    answer = checked.answer
    if checked.repeat or answer.reason not in release.FRAUD:
        return answer, None

    def alert() -> None:
        alert_decision(factory=factory, actor=actor, decision_id=answer.decision_id)

    return answer, alert
