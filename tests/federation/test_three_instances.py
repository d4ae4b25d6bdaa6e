"""Three mainport instances (Rotterdam, the Guayaquil control unit, Antwerp), each with its own database
and port, run the issue's story over HTTP: keys exchanged, agreements set, a hold request from Rotterdam
to the origin port answered there and recorded back as the declaration's outcome, a bulletin accepted by
Antwerp and refused to a partner without the agreement, a forged and a replayed message refused."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mainport.config import Settings
from mainport.database import utcnow
from mainport.federation import envelope as env
from mainport.federation import keys, transfer
from mainport.federation.keys import Instance
from mainport.identity import service as identity
from mainport.identity.models import OrgKind, Role, User
from mainport.identity.passwords import hash_password
from mainport.shipments.models import Declaration, Party
from tests.conftest import FreshDatabase, _pg_reachable

pytestmark = pytest.mark.slow


@dataclass
class Node:
    code: str
    url: str
    db: FreshDatabase
    headers: dict[str, str]
    secret: str

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.get(self.url + path, headers=self.headers, timeout=30, **kw)

    def post(self, path: str, json: Any = None) -> httpx.Response:
        return httpx.post(self.url + path, json=json, headers=self.headers, timeout=30)


def _start(code: str, db: FreshDatabase, folder: Path) -> tuple[Node, Any, threading.Thread]:
    import uvicorn

    from mainport.api.app import create_app

    with db.factory.begin() as s:
        org = identity.get_or_create_organisation(
            session=s, code=f"{code}-ORG", name=code, kind=OrgKind.customs, node_code=None
        )
        user = User(
            username=f"admin-{code}", password_hash=hash_password("x" * 16), role=Role.admin, organisation=org
        )
        s.add(user)
        s.flush()
        _tok, plain = identity.create_token(
            session=s, actor=identity.principal_for(user), user=user, name="t"
        )
    secret = code.lower().ljust(40, "k")
    settings = Settings(environment="test", secret_key=secret, data_dir=folder, federation_code=code)
    with db.factory.begin() as s:
        keys.current(s, Instance(code, secret))  # the instance's first signing key, made on installation
    app = create_app(settings, session_factory=db.factory)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError(f"instance {code} did not start")
        time.sleep(0.05)
    node = Node(code, f"http://127.0.0.1:{port}", db, {"Authorization": f"Bearer {plain}"}, secret)
    return node, server, thread


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[dict[str, Node]]:
    # Rotterdam and Antwerp on SQLite, the origin's control unit on PostgreSQL when there is one.
    origin_backend = "sqlite" if _pg_reachable() else "postgresql"  # it returns why not, or None
    plan = [("NL-RTM", "sqlite"), ("CU-ECGYE", origin_backend), ("BE-ANR", "sqlite")]
    started = []
    try:
        for code, backend in plan:
            db = FreshDatabase(backend, tmp_path / code)
            started.append((db, *_start(code, db, tmp_path / f"{code}-data")))
        yield {node.code: node for _db, node, _server, _thread in started}
    finally:
        for db, _node, server, thread in started:
            server.should_exit = True
            thread.join(timeout=10)
            db.close()


def _link(a: Node, b: Node) -> None:
    """a learns b: partner and b's current public key (exchanged out of band, as partners do)."""
    published = b.get("/api/v1/federation/keys").json()
    assert len(published) == 1 and published[0]["active"]
    r = a.post("/api/v1/federation/partners", {"code": b.code, "name": b.code, "base_url": b.url})
    assert r.status_code in (201, 409), r.text
    for k in published:
        body = {"kid": k["kid"], "public_key": k["public_key"]}
        assert a.post(f"/api/v1/federation/partners/{b.code}/keys", body).status_code == 201


def _agree(node: Node, partner: str, category: str, direction: str) -> None:
    r = node.post(
        "/api/v1/federation/agreements",
        {"partner": partner, "category": category, "direction": direction, "reference": "MoU"},
    )
    assert r.status_code == 201, r.text


def _declaration(node: Node) -> int:
    with node.db.factory.begin() as s:
        p = Party(eori="EC000000000001", name="Exportadora", country="EC", first_seen=utcnow())
        s.add(p)
        s.flush()
        d = Declaration(
            reference="26NLFED000000001",
            filed_at=utcnow() - timedelta(days=1),
            bill_of_lading="BL1",
            consignor_id=p.id,
            consignee_id=p.id,
            place_of_loading="ECGYE",
            place_of_discharge="NLRTM",
            countries_of_routing=["EC", "NL"],
            hs_code="080390",
            goods_description="Fresh bananas",
            packages=1080,
            gross_mass_kg=23500.0,
            container_number="MSCU1234565",
            seal_numbers=[],
            hub="rotterdam",
            source="test",
        )
        s.add(d)
        s.flush()
        return d.id


def test_the_story_across_three_instances(nodes: dict[str, Node], tmp_path: Path) -> None:
    rtm, cu, anr = nodes["NL-RTM"], nodes["CU-ECGYE"], nodes["BE-ANR"]
    rtm_data = tmp_path / "NL-RTM-data"
    for a, b in ((rtm, cu), (cu, rtm), (rtm, anr), (anr, rtm)):
        _link(a, b)
    _agree(rtm, cu.code, "hold_request", "send")
    _agree(cu, rtm.code, "hold_request", "receive")
    _agree(cu, rtm.code, "hold_answer", "send")
    _agree(rtm, cu.code, "hold_answer", "receive")
    _agree(rtm, anr.code, "mo_bulletin", "send")
    _agree(anr, rtm.code, "mo_bulletin", "receive")
    _agree(cu, rtm.code, "origin_scan", "send")
    _agree(rtm, cu.code, "origin_scan", "receive")

    # 1. Rotterdam asks the origin port to inspect a box before loading.
    decl = _declaration(rtm)
    hold = rtm.post(
        "/api/v1/origin/holds", {"declaration_id": decl, "reason": "dense block behind the doors"}
    )
    assert hold.status_code == 201 and hold.json()["control_unit"] == cu.code
    sent = rtm.post("/api/v1/federation/dispatch").json()
    assert sent["holds_sent"] == 1 and sent["sent"] == 1
    [received] = cu.get(
        "/api/v1/federation/messages", params={"direction": "in", "category": "hold_request"}
    ).json()
    assert received["status"] == "accepted"

    # 2. The control unit inspects and answers; Rotterdam records the find as the declaration's outcome.
    r = cu.post(f"/api/v1/federation/messages/{received['id']}/answer", {"answer": "found", "kg": 143.0})
    assert r.status_code == 201, r.text
    assert cu.post("/api/v1/federation/dispatch").json()["sent"] == 1
    [answered] = rtm.get("/api/v1/origin/holds").json()
    assert (answered["status"], answered["answer"], answered["answered_by"]) == ("answered", "found", cu.code)
    assert answered["inspection_id"] is not None and answered["answer_kg"] == 143.0

    # 2b. The origin scan follows: announced in a signed message, chunks signed, killed after two chunks,
    # resumed with only the missing ones, assembled and hash-checked on Rotterdam's side.
    from mainport.imaging.render import render_pair
    from tests.imaging.helpers import write

    origin_scan = render_pair(104).origin
    scan = write(origin_scan, tmp_path / "cu-out", "origin-scan")
    sidecar = json.loads(scan.with_suffix(".json").read_text(encoding="utf-8"))
    body = transfer.manifest("t-" + "a" * 12, scan, transfer.MAX_CHUNK, {"sidecar": sidecar})
    assert body["chunks"] > 2
    r = cu.post("/api/v1/federation/messages", {"partner": rtm.code, "category": "origin_scan", "body": body})
    assert r.status_code == 201, r.text
    assert cu.post("/api/v1/federation/dispatch").json()["sent"] == 1
    with cu.db.factory.begin() as s:
        key, private = keys.current(s, Instance(cu.code, cu.secret))
        kid = key.kid
    url = f"{rtm.url}/api/v1/federation/transfers/{body['transfer_id']}"
    head = {"X-Federation-From": cu.code, "X-Federation-Kid": kid}
    data = scan.read_bytes()
    for n in (0, 1):  # the sender is killed after these two
        part = data[n * transfer.MAX_CHUNK : (n + 1) * transfer.MAX_CHUNK]
        sig = env.b64(private.sign(transfer.chunk_statement(body["transfer_id"], n, part)))
        assert (
            httpx.put(
                f"{url}/chunks/{n}", content=part, headers={**head, "X-Federation-Signature": sig}
            ).json()["state"]
            == "receiving"
        )
    bad = httpx.put(
        f"{url}/chunks/2", content=b"x" * transfer.MAX_CHUNK, headers={**head, "X-Federation-Signature": sig}
    )
    assert bad.status_code == 401  # a chunk not signed as sent
    resumed = transfer.push(
        base_url=rtm.url,
        sender=cu.code,
        kid=kid,
        key=private,
        transfer_id=body["transfer_id"],
        path=scan,
        chunk_size=transfer.MAX_CHUNK,
    )
    assert resumed == {"sent": body["chunks"] - 2, "skipped": 2, "complete": 1}
    arrived = rtm_data / "federation" / "transfers" / cu.code / body["transfer_id"] / scan.name
    assert transfer.file_sha256(arrived) == body["sha256"]
    again = transfer.push(
        base_url=rtm.url,
        sender=cu.code,
        kid=kid,
        key=private,
        transfer_id=body["transfer_id"],
        path=scan,
        chunk_size=transfer.MAX_CHUNK,
    )
    assert again == {"sent": 0, "skipped": body["chunks"], "complete": 1}
    # Rotterdam now holds it as the box's origin scan: in imaging, and in the queue read before arrival.
    assert rtm.post("/api/v1/origin/queue/refresh").json() == {"added": 1}
    [queued] = rtm.get("/api/v1/origin/queue").json()
    assert queued["container_number"] == origin_scan.meta.container_id

    # 3. A bulletin goes to Antwerp; to the control unit (no agreement) it is refused at sending.
    bulletin = {"title": "Rip-on in reefer evaporators", "route": "ECGYE>NLRTM", "concealment": "evaporator"}
    ok = rtm.post(
        "/api/v1/federation/messages", {"partner": anr.code, "category": "mo_bulletin", "body": bulletin}
    )
    assert ok.status_code == 201
    refused = rtm.post(
        "/api/v1/federation/messages", {"partner": cu.code, "category": "mo_bulletin", "body": {}}
    )
    assert refused.status_code == 403 and "no agreement" in refused.text
    assert rtm.post("/api/v1/federation/dispatch").json()["sent"] == 1
    [got] = anr.get(
        "/api/v1/federation/messages", params={"direction": "in", "category": "mo_bulletin"}
    ).json()
    assert got["status"] == "accepted" and got["sender"] == rtm.code

    # 4. A forged message (Rotterdam's name, another key) and a replayed one are refused by the origin.
    kid = rtm.get("/api/v1/federation/keys").json()[-1]["kid"]
    forged = env.sign(
        {
            "v": 1,
            "id": "forged-1",
            "from": rtm.code,
            "to": cu.code,
            "category": "hold_request",
            "issued_at": utcnow().isoformat(),
            "kid": kid,
            "body": {"reference": "r", "container_number": "MSCU1234565", "kind": "do_not_load"},
        },
        Ed25519PrivateKey.generate(),
    )
    r = httpx.post(cu.url + "/api/v1/federation/inbox", content=orjson.dumps(forged), timeout=30)
    assert r.status_code == 401 and "signature" in r.json()["reason"]
    with rtm.db.factory() as s:
        from sqlalchemy import select

        from mainport.federation.models import FederationMessage

        original = s.scalars(
            select(FederationMessage.envelope).where(
                FederationMessage.direction == "out", FederationMessage.category == "hold_request"
            )
        ).one()
    replay = httpx.post(cu.url + "/api/v1/federation/inbox", content=orjson.dumps(original), timeout=30)
    assert replay.status_code == 409 and replay.json()["reason"] == "replay"
    # Nothing forged or replayed reached the control unit's inbox as accepted.
    accepted = cu.get("/api/v1/federation/messages", params={"direction": "in"}).json()
    assert [m["category"] for m in accepted if m["status"] == "accepted"] == ["hold_request"]
