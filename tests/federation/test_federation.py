"""Federation in one instance's database: agreements, signatures, key rotation, replay and forgery refused,
hold answers from the control unit the request went to only."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.cases.models import Alert
from mainport.database import utcnow
from mainport.errors import PermissionDenied, ValidationFailed
from mainport.federation import envelope as env
from mainport.federation import inbound, keys, service
from mainport.federation.keys import Instance
from mainport.federation.models import FederationMessage
from mainport.federation.transport import LocalTransport
from mainport.identity.models import Role
from mainport.origin import holds
from mainport.origin.models import HoldRequest
from mainport.shipments.models import Inspection
from tests.origin.test_origin import _decl

ME = Instance("NL-RTM-CUSTOMS", "s" * 40)
CU = "CU-ECGYE"


def _raw(key: Ed25519PrivateKey) -> str:
    return env.b64(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def _from_cu(
    key: Ed25519PrivateKey, kid: str, category: str, body: dict[str, Any], **over: Any
) -> dict[str, Any]:
    unsigned = {
        "v": 1,
        "id": over.pop("id", None) or env.b64(key.sign(category.encode() + str(body).encode()))[:36],
        "from": CU,
        "to": ME.code,
        "category": category,
        "issued_at": utcnow().isoformat(),
        "kid": kid,
        "body": body,
    }
    unsigned.update(over)
    return env.sign(unsigned, key)


@pytest.fixture
def fed(session: Session, principal_factory: Any) -> dict[str, Any]:
    admin = principal_factory(role=Role.admin)
    key = Ed25519PrivateKey.generate()
    service.add_partner(
        session=session, actor=admin, code=CU, name="Guayaquil control unit", base_url="http://cu"
    )
    service.add_partner(session=session, actor=admin, code="BE-ANR", name="Antwerp", base_url="http://anr")
    service.add_partner_key(session=session, actor=admin, code=CU, kid="cu1", public_key=_raw(key))
    for category, direction in (
        ("hold_request", "send"),
        ("hold_answer", "receive"),
        ("high_risk_notice", "receive"),
    ):
        service.agree(
            session=session,
            actor=admin,
            code=CU,
            category=category,
            direction=direction,
            reference="MoU-2026-7",
        )
    service.agree(
        session=session, actor=admin, code="BE-ANR", category="mo_bulletin", direction="send", reference="x"
    )
    return {
        "admin": admin,
        "analyst": principal_factory(role=Role.analyst),
        "viewer": principal_factory(role=Role.viewer),
        "key": key,
    }


def test_accepts_signed_notice_and_refuses_forgery_replay_and_staleness(session: Session, fed: Any) -> None:
    good = _from_cu(
        fed["key"], "cu1", "high_risk_notice", {"container_number": "MSCU1234565", "reason": "tip"}
    )
    msg = service.accept(session=session, me=ME, envelope=good)
    assert isinstance(msg, FederationMessage) and msg.status == "accepted"
    result = inbound.handle(session=session, me=ME, msg=msg)
    alert = session.get(Alert, result["alert"])
    assert alert is not None and alert.kind == "federation.high_risk_notice" and alert.source == "federation"
    # Replayed: refused.
    again = service.accept(session=session, me=ME, envelope=good)
    assert isinstance(again, service.Refusal) and (again.status, again.reason) == (409, "replay")
    # Forged: signed by another key under the partner's key id; or a body changed after signing.
    forged = _from_cu(Ed25519PrivateKey.generate(), "cu1", "high_risk_notice", {"container_number": "X"})
    assert service.accept(session=session, me=ME, envelope=forged) == service.Refusal(
        401, "signature does not verify with a key of the sender"
    )
    tampered = {**good, "id": "new-id", "body": {"container_number": "CSQU3054383"}}
    assert (
        isinstance(r := service.accept(session=session, me=ME, envelope=tampered), service.Refusal)
        and r.status == 401
    )
    unknown_kid = _from_cu(fed["key"], "cu9", "high_risk_notice", {})
    assert service.accept(session=session, me=ME, envelope=unknown_kid).status == 401
    stranger = {**good, "from": "XX-NOBODY"}
    assert service.accept(session=session, me=ME, envelope=stranger).status == 401
    stale = _from_cu(
        fed["key"],
        "cu1",
        "high_risk_notice",
        {},
        id="old",
        issued_at=(utcnow() - timedelta(hours=1)).isoformat(),
    )
    assert service.accept(session=session, me=ME, envelope=stale) == service.Refusal(
        409, "issued_at outside the accepted window (stale)"
    )
    elsewhere = _from_cu(fed["key"], "cu1", "high_risk_notice", {}, id="x2", to="DE-HAM")
    assert service.accept(session=session, me=ME, envelope=elsewhere).status == 403
    assert service.accept(session=session, me=ME, envelope={"v": 1}).status == 400


def test_receiving_needs_an_agreement(session: Session, fed: Any) -> None:
    bulletin = _from_cu(fed["key"], "cu1", "mo_bulletin", {"title": "rip-on in reefers"})
    refused = service.accept(session=session, me=ME, envelope=bulletin)
    assert refused == service.Refusal(403, f"no agreement to receive mo_bulletin from {CU}")
    stored = session.scalars(select(FederationMessage).where(FederationMessage.status == "refused")).all()
    assert [m.category for m in stored] == ["mo_bulletin"]


def test_sending_needs_an_agreement_and_is_signed(session: Session, fed: Any) -> None:
    with pytest.raises(PermissionDenied, match="no agreement in force to send mo_bulletin to CU-ECGYE"):
        service.send(session=session, actor=fed["analyst"], me=ME, code=CU, category="mo_bulletin", body={})
    with pytest.raises(PermissionDenied):
        service.send(
            session=session, actor=fed["viewer"], me=ME, code="BE-ANR", category="mo_bulletin", body={}
        )
    with pytest.raises(ValidationFailed):
        service.send(
            session=session, actor=fed["analyst"], me=ME, code="BE-ANR", category="key_rotation", body={}
        )
    out = service.send(
        session=session,
        actor=fed["analyst"],
        me=ME,
        code="BE-ANR",
        category="mo_bulletin",
        body={"title": "t"},
    )
    transport = LocalTransport()
    assert service.dispatch(session=session, actor=fed["analyst"], transport=transport) == {
        "sent": 1,
        "failed": 0,
    }
    [(url, sent)] = transport.sent
    assert url == "http://anr" and sent["id"] == out.message_id
    [key] = keys.published(session)
    assert env.verify(sent, env.unb64(key.public_key)) and sent["kid"] == key.kid


def test_key_rotation_both_ways(session: Session, fed: Any) -> None:
    # Ours: the announcement is signed with the key partners know, and carries the new one.
    old, _ = keys.current(session, ME)
    new_kid, announced = service.rotate_key(session=session, actor=fed["admin"], me=ME)
    assert {m.envelope["to"] for m in announced} == {CU, "BE-ANR"}
    assert all(m.kid == old.kid and env.verify(m.envelope, env.unb64(old.public_key)) for m in announced)
    assert announced[0].envelope["body"]["kid"] == new_kid and keys.current(session, ME)[0].kid == new_kid
    with pytest.raises(PermissionDenied):
        service.rotate_key(session=session, actor=fed["analyst"], me=ME)
    # Theirs: a rotation signed with their known key adds the new key; messages under it then verify.
    new = Ed25519PrivateKey.generate()
    rot = _from_cu(fed["key"], "cu1", "key_rotation", {"kid": "cu2", "public_key": _raw(new)})
    msg = service.accept(session=session, me=ME, envelope=rot)
    assert isinstance(msg, FederationMessage)
    inbound.handle(session=session, me=ME, msg=msg)
    later = _from_cu(new, "cu2", "high_risk_notice", {"container_number": "MSCU1234565", "reason": "r"})
    assert isinstance(service.accept(session=session, me=ME, envelope=later), FederationMessage)
    service.revoke_partner_key(session=session, actor=fed["admin"], code=CU, kid="cu2")
    revoked = _from_cu(new, "cu2", "high_risk_notice", {"container_number": "MSCU1234565"}, id="r2")
    assert service.accept(session=session, me=ME, envelope=revoked).status == 401


def test_hold_request_out_and_answer_in(session: Session, fed: Any) -> None:
    decl = _decl(session, "MSCU1234565", 31)
    hold = holds.request_hold(
        session=session, actor=fed["analyst"], declaration_id=decl.id, reason="doors", kind="do_not_load"
    )
    assert hold.control_unit == CU and hold.delivery == "pending"
    assert inbound.send_hold_requests(session=session, actor=fed["analyst"], me=ME) == {
        "sent": 1,
        "no_agreement": 0,
    }
    assert hold.delivery == "sent"
    out = session.scalars(select(FederationMessage).where(FederationMessage.category == "hold_request")).one()
    assert out.envelope["body"]["reference"] == hold.reference
    # The answer from another partner is refused; from the control unit asked, it is the outcome.
    answer = {"reference": hold.reference, "answer": "found", "kg": 96.0, "note": "in the evaporator"}
    anr = Ed25519PrivateKey.generate()
    service.add_partner_key(
        session=session, actor=fed["admin"], code="BE-ANR", kid="a1", public_key=_raw(anr)
    )
    service.agree(
        session=session,
        actor=fed["admin"],
        code="BE-ANR",
        category="hold_answer",
        direction="receive",
        reference="y",
    )
    other = service.accept(
        session=session, me=ME, envelope=_from_cu(anr, "a1", "hold_answer", answer, **{"from": "BE-ANR"})
    )
    assert isinstance(other, FederationMessage)
    with pytest.raises(PermissionDenied, match="was sent to CU-ECGYE, not to BE-ANR"):
        inbound.handle(session=session, me=ME, msg=other)
    msg = service.accept(session=session, me=ME, envelope=_from_cu(fed["key"], "cu1", "hold_answer", answer))
    assert isinstance(msg, FederationMessage)
    inbound.handle(session=session, me=ME, msg=msg)
    row = session.get(HoldRequest, hold.id)
    assert row is not None and (row.status, row.answer, row.answered_by) == ("answered", "found", CU)
    insp = session.get(Inspection, row.inspection_id)
    assert insp is not None and insp.result == "found" and insp.kg_found == 96.0


def test_transfer_corrupt_then_resent(session: Session, fed: Any, tmp_path: Any) -> None:
    from mainport.errors import NotAuthenticated, NotFound
    from mainport.federation import transfer

    service.agree(
        session=session,
        actor=fed["admin"],
        code=CU,
        category="origin_scan",
        direction="receive",
        reference="z",
    )
    path = tmp_path / "scan.npy"
    path.write_bytes(b"a" * 100_000)
    body = transfer.manifest("tr-00000001", path, transfer.MAX_CHUNK, {})
    msg = service.accept(session=session, me=ME, envelope=_from_cu(fed["key"], "cu1", "origin_scan", body))
    assert isinstance(msg, FederationMessage)
    key = fed["key"]

    def put(n: int, chunk: bytes, tid: str = "tr-00000001") -> dict[str, Any]:
        sig = env.b64(key.sign(transfer.chunk_statement(tid, n, chunk)))
        return transfer.receive_chunk(
            session=session,
            data_dir=tmp_path,
            transfer_id=tid,
            n=n,
            chunk=chunk,
            sender=CU,
            kid="cu1",
            signature=sig,
        )

    size = transfer.MAX_CHUNK
    assert put(0, b"b" * size)["state"] == "receiving"  # the sender read the wrong bytes
    assert put(1, b"a" * (100_000 - size))["state"] == "corrupt"
    sig = env.b64(key.sign(transfer.status_statement("tr-00000001")))
    status = transfer.status(
        session=session, data_dir=tmp_path, transfer_id="tr-00000001", sender=CU, kid="cu1", signature=sig
    )
    assert status == {"state": "corrupt", "received": [], "chunks": 2}
    assert put(0, b"a" * size)["state"] == "receiving"
    done = put(1, b"a" * (100_000 - size))
    assert done["state"] == "complete" and transfer.file_sha256(Path(done["path"])) == body["sha256"]
    with pytest.raises(ValidationFailed, match="bytes, the manifest says"):
        put(1, b"a")
    with pytest.raises(NotFound):
        put(0, b"a", tid="tr-unknown1")
    with pytest.raises(NotAuthenticated):
        transfer.receive_chunk(
            session=session,
            data_dir=tmp_path,
            transfer_id="tr-00000001",
            n=0,
            chunk=b"a",
            sender=CU,
            kid="cu1",
            signature=sig,
        )


def test_page_lists_partners_and_sends_bulletins(
    session: Session, fed: Any, app_client: Any, token_for: Any
) -> None:
    session.commit()
    analyst = token_for(fed["analyst"])
    page = app_client.get("/federation", headers=analyst)
    assert page.status_code == 200 and "CU-ECGYE" in page.text and "receive hold_answer" in page.text
    assert app_client.get("/federation", headers=token_for(fed["viewer"])).status_code == 403
    ok = app_client.post(
        "/federation/bulletins",
        data={"partner": "BE-ANR", "title": "Rip-on in reefers", "route": "ECGYE>NLRTM"},
        headers=analyst,
        follow_redirects=False,
    )
    assert ok.status_code == 303
    refused = app_client.post("/federation/bulletins", data={"partner": CU, "title": "x"}, headers=analyst)
    assert refused.status_code == 403 and "no agreement in force to send mo_bulletin" in refused.text
    listed = app_client.get("/federation", headers=analyst).text
    assert "Rip-on in reefers" in listed.split('data-testid="bulletins"')[1]
