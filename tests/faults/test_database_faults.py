"""Database connections killed under load (pg_terminate_backend on the server's own connections), and a
database that fails outright: every answer is 2xx or a 503 in the error shape with Retry-After (never a bare
500, never a connection closed without an answer), every 2xx is durable, every gate presentation has exactly
one decision row and its answer, every refusal that is a fraud pattern has its alert, and the server
recovers without a restart."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from mainport.custody import gate, release
from mainport.custody.models import GateDecision
from mainport.database import session_scope, utcnow
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal, system_principal
from mainport.ingest import event_store
from mainport.shipments.models import ContainerEvent
from tests.faults.helpers import Tagged, fault_event, live_server, release_rights

pytestmark = [pytest.mark.faults, pytest.mark.slow]


class Outcomes:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.dropped = 0  # connections closed without an answer
        self.bad_503 = 0  # a 503 without the error shape or Retry-After
        self.durable: list[list[str]] = []  # event ids of every 2xx batch
        self.gate: dict[str, tuple[str, dict[str, Any]]] = {}  # key -> (box, final answer)

    def status(self, answer: httpx.Response) -> None:
        with self.lock:
            self.statuses[answer.status_code] += 1
            if answer.status_code == 503:
                shaped = answer.headers.get("content-type", "").startswith("application/json")
                ok = shaped and answer.json()["error"]["code"] == "database_unavailable"
                self.bad_503 += not (ok and answer.headers.get("retry-after"))


def _send(
    http: httpx.Client, out: Outcomes, path: str, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    """Send until answered with something other than 503 (a client that honours Retry-After, quickly)."""
    for _ in range(40):
        try:
            answer = http.post(path, content=body, headers={**headers, "content-type": "application/json"})
        except httpx.TransportError:
            with out.lock:
                out.dropped += 1
            time.sleep(0.05)
            continue
        out.status(answer)
        if answer.status_code != 503:
            return answer
        time.sleep(0.05)
    raise AssertionError(f"no answer but 503 for {path}")


@pytest.mark.postgres
def test_killed_connections_under_load(t: Tagged, tmp_path: Path) -> None:
    if t.db.backend != "postgresql":
        pytest.skip("connections are killed on PostgreSQL")
    boxes = [f"MSCU{n:07d}" for n in range(1, 121)]
    rights = release_rights(t, boxes)
    out = Outcomes()
    stop = threading.Event()
    kills: list[int] = []
    with live_server(t, tmp_path) as server:

        def killer() -> None:
            while not stop.wait(0.4):
                kills.append(t.kill())

        def worker(w: int) -> None:
            rng = random.Random(w)
            with httpx.Client(base_url=server.url, timeout=30) as http:
                n = 0
                while not stop.is_set():
                    n += 1
                    if rng.random() < 0.4:  # an events batch
                        ids = [100_000 + w * 100_000 + n * 20 + i for i in range(20)]
                        body = orjson.dumps([fault_event(i) for i in ids])
                        answer = _send(http, out, "/api/v1/events", body, server.headers)
                        assert answer.status_code == 200, answer.text
                        with out.lock:
                            out.durable.append([f"ev-{i}" for i in ids])
                        continue
                    box = rng.choice(boxes)  # first use, or a re-presentation (already used: a fraud alert)
                    key = f"w{w}-{n}-{uuid.uuid4().hex[:6]}"
                    body = orjson.dumps(
                        {
                            "container_number": box,
                            "carrier_id": "HAUL-1",
                            "driver_id": "DRV-1",
                            "token": rights[box],
                        }
                    )
                    answer = _send(
                        http, out, "/api/v1/gate/check", body, {**server.gate_headers, "Idempotency-Key": key}
                    )
                    assert answer.status_code == 200, answer.text
                    with out.lock:
                        out.gate[key] = (box, answer.json())

        threads = [threading.Thread(target=killer)]
        with ThreadPoolExecutor(max_workers=6) as pool:
            threads[0].start()
            futures = [pool.submit(worker, w) for w in range(6)]
            time.sleep(8)
            stop.set()
            for f in futures:
                f.result()
        threads[0].join()
        # Recovery without a restart: the next requests are answered normally.
        with httpx.Client(base_url=server.url, timeout=30) as http:
            after = http.post(
                "/api/v1/events", content=orjson.dumps([fault_event(99_999)]), headers=server.headers
            )
            assert after.status_code == 200 and after.json()["stored"] == 1
    assert sum(kills) > 0 and out.dropped == 0 and out.bad_503 == 0
    assert set(out.statuses) <= {200, 503}, out.statuses
    with t.factory() as s:
        stored = set(s.scalars(select(ContainerEvent.event_id)))
        for ids in out.durable:  # every 2xx is durable
            assert set(ids) <= stored
        decisions = {d.presentation_key: d for d in s.scalars(select(GateDecision))}
    assert len(out.gate) > 50 and set(out.gate) <= set(decisions)  # every presentation has its row
    for key, (box, answer) in out.gate.items():
        d = decisions[key]
        assert (d.id, d.allowed, d.reason, d.container_number) == (
            answer["decision_id"],
            answer["allowed"],
            answer["reason"],
            box,
        )
    used = Counter(d.container_number for d in decisions.values() if d.allowed)
    assert max(used.values()) == 1  # a right opened the gate once
    later = utcnow() + gate.PENDING_GRACE + timedelta(seconds=1)
    with session_scope(t.factory) as s:
        gate.raise_pending_alerts(session=s, actor=system_principal(), now=later)
    with t.factory() as s:
        assert gate.pending_alerts(session=s, now=later) == []  # zero lost alerts
        fraud = [d for d in s.scalars(select(GateDecision)) if d.reason in release.FRAUD]
        assert fraud and all(d.alert_id is not None for d in fraud)


def test_a_database_fault_answers_503_in_the_error_shape(
    app_client: TestClient,
    principal_factory: Callable[..., Principal],
    token_for: Callable[[Principal], dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    officer = token_for(principal_factory(role=Role.officer, kind=OrgKind.customs))

    def gone(**_kw: Any) -> Any:
        raise OperationalError(
            "SELECT 1", {}, psycopg.OperationalError("server closed the connection unexpectedly")
        )

    monkeypatch.setattr(event_store, "ingest_events", gone)
    answer = app_client.post("/api/v1/events", content=orjson.dumps([fault_event(1)]), headers=officer)
    assert answer.status_code == 503 and answer.headers["retry-after"] == "2"
    assert answer.json()["error"]["code"] == "database_unavailable"
    monkeypatch.undo()
    assert (
        app_client.post("/api/v1/events", content=orjson.dumps([fault_event(1)]), headers=officer).status_code
        == 200
    )
