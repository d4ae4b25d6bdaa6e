"""What an accepted message does here, per category, and the sending side of the hold-request exchange.

Inbound messages act as this platform (the system principal): the partner is not a user here, the
agreement is what authorises it. High-risk notices become alerts that need a physical check (so custody
plans the box); a hold request waits for this control unit's answer; a hold answer is recorded on the
request it names, only when it comes from the control unit it was sent to; bulletins, weekly seizure counts
and origin-scan notices are kept for the pages that list them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport import flows
from mainport.cases import service as cases
from mainport.config import Settings
from mainport.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mainport.federation import service
from mainport.federation.keys import Instance
from mainport.federation.models import FederationMessage, Partner
from mainport.identity.principal import Principal, system_principal
from mainport.origin.models import HoldRequest


def handle(*, session: Session, me: Instance, msg: FederationMessage) -> dict[str, Any]:
    """Apply an accepted message; the result is stored on it. A body that makes no sense is refused here."""
    actor = system_principal()
    body = msg.envelope.get("body") or {}
    if not isinstance(body, dict):
        raise ValidationFailed("message body must be a JSON object")
    handler = HANDLERS.get(msg.category)
    result = handler(session, actor, msg, body) if handler else {"kept": True}
    msg.result = result
    session.flush()
    return result


def _key_rotation(
    session: Session, actor: Principal, msg: FederationMessage, body: dict[str, Any]
) -> dict[str, Any]:
    key = service.add_partner_key(
        session=session,
        actor=actor,
        code=msg.sender,
        kid=str(body.get("kid", ""))[:32],
        public_key=str(body.get("public_key", "")),
        added_by=f"rotation:{msg.kid}",
    )
    return {"partner_key": key.kid}


def _high_risk(
    session: Session, actor: Principal, msg: FederationMessage, body: dict[str, Any]
) -> dict[str, Any]:
    number = str(body.get("container_number", "")).strip().upper()
    if len(number) != 11:
        raise ValidationFailed("high_risk_notice: container_number (ISO 6346, 11 characters) is required")
    alert = cases.raise_alert(
        session=session,
        actor=actor,
        source="federation",
        kind="federation.high_risk_notice",
        container_number=number,
        hub=body.get("hub") if isinstance(body.get("hub"), str) else None,
        severity=3,
        title=f"{number}: high-risk notice from {msg.sender}: {str(body.get('reason', ''))[:200]}",
        detail={"message": msg.message_id, "from": msg.sender, "port": body.get("port")},
        dedup_key=f"federation:{msg.sender}:{msg.message_id}",
    )
    return {"alert": alert.id}


def _hold_answer(
    session: Session, actor: Principal, msg: FederationMessage, body: dict[str, Any]
) -> dict[str, Any]:
    ref = str(body.get("reference", ""))
    hold = session.scalar(select(HoldRequest).where(HoldRequest.reference == ref))
    if hold is None:
        raise NotFound(f"hold request {ref!r} not found")
    if hold.control_unit != msg.sender:
        raise PermissionDenied(f"hold request {ref} was sent to {hold.control_unit}, not to {msg.sender}")
    kg = body.get("kg", 0.0)
    if not isinstance(kg, int | float) or isinstance(kg, bool):
        raise ValidationFailed("hold_answer: kg must be a number")
    row = flows.answer_hold(
        session=session,
        actor=actor,
        hold_id=hold.id,
        answer=str(body.get("answer", "")),
        kg=float(kg),
        note=str(body.get("note", ""))[:2000],
        answered_by=msg.sender,
    )
    return {"hold": row.id, "answer": row.answer, "inspection": row.inspection_id}


def _hold_request(
    session: Session, actor: Principal, msg: FederationMessage, body: dict[str, Any]
) -> dict[str, Any]:
    for field in ("reference", "container_number", "kind"):
        if not body.get(field):
            raise ValidationFailed(f"hold_request: {field} is required")
    return {"awaiting_answer": True}


HANDLERS = {
    service.KEY_ROTATION: _key_rotation,
    "high_risk_notice": _high_risk,
    "hold_answer": _hold_answer,
    "hold_request": _hold_request,
}


def answer_received_hold(
    *,
    session: Session,
    actor: Principal,
    me: Instance,
    message_id: int,
    answer: str,
    kg: float = 0.0,
    note: str = "",
) -> FederationMessage:
    """This control unit answers a hold request a partner sent: a signed hold_answer back to it."""
    actor.require("federation:send")
    msg = session.get(FederationMessage, message_id)
    if msg is None or msg.direction != "in" or msg.category != "hold_request" or msg.status != "accepted":
        raise NotFound(f"received hold request {message_id} not found")
    if msg.result.get("answered"):
        raise Conflict(f"hold request {message_id} was answered already ({msg.result.get('answered')})")
    if answer not in ("inspected", "found", "cleared"):
        raise ValidationFailed(f"answer must be inspected, found or cleared (got {answer!r})")
    if (answer == "found") != (kg > 0):
        raise ValidationFailed("kg: more than 0 when found, 0 otherwise")
    body = msg.envelope["body"]
    out = service.send(
        session=session,
        actor=actor,
        me=me,
        code=msg.sender,
        category="hold_answer",
        body={"reference": body["reference"], "answer": answer, "kg": kg, "note": note},
    )
    msg.result = {**msg.result, "answered": answer, "answer_message": out.message_id}
    session.flush()
    return out


def send_hold_requests(*, session: Session, actor: Principal, me: Instance) -> dict[str, int]:
    """Hold requests whose control unit is a federation partner go out as signed hold_request messages;
    without an agreement they stay with delivery 'no_agreement' (recorded by hand instead)."""
    actor.require("intel:write")
    sent = refused = 0
    pending = session.scalars(
        select(HoldRequest).where(HoldRequest.delivery == "pending", HoldRequest.status == "open")
    ).all()
    for hold in pending:
        if session.scalar(select(Partner.id).where(Partner.code == hold.control_unit)) is None:
            continue
        try:
            service.send(
                session=session,
                actor=actor,
                me=me,
                code=hold.control_unit,
                category="hold_request",
                body={
                    "reference": hold.reference,
                    "container_number": hold.container_number,
                    "kind": hold.kind,
                    "reason": hold.reason,
                    "port": hold.origin_unlocode,
                    "load_by": hold.load_by.isoformat() if hold.load_by else None,
                },
            )
        except PermissionDenied:
            hold.delivery = "no_agreement"
            refused += 1
            continue
        hold.delivery = "sent"
        sent += 1
    session.flush()
    return {"sent": sent, "no_agreement": refused}


def ingest_transferred(
    *, session: Session, settings: Settings, sender: str, transfer_id: str, outcome: dict[str, Any]
) -> dict[str, Any]:
    """A completed origin-scan transfer goes into imaging as the box's origin scan (once): from there the
    origin queue reads it before sailing and imaging compares it with the arrival scan. The manifest's
    `meta.sidecar` (the scan's metadata, for formats that keep it beside the image) is written next to it."""
    from mainport.imaging import service as imaging

    if outcome.get("state") != "complete" or not outcome.get("path"):
        return outcome
    path = Path(str(outcome["path"]))
    marker = path.parent / "ingested"
    if marker.exists():
        return {**outcome, "ingested": True}
    manifest = json.loads((path.parent / "manifest.json").read_text(encoding="utf-8"))
    # Imaging gets a link of its own: it moves a file it cannot read into its quarantine, and what a partner
    # sent stays here as received.
    handed = path.with_name(f"ingest-{path.name}")
    if not handed.exists():
        os.link(path, handed)
    sidecar = (manifest.get("meta") or {}).get("sidecar")
    if isinstance(sidecar, dict):
        handed.with_suffix(".json").write_text(json.dumps(sidecar), encoding="utf-8")
    result = imaging.ingest_scan_file(
        session=session,
        actor=system_principal(),
        path=handed,
        phase="origin",
        source=f"federation:{sender}:{transfer_id}",
        settings=settings,
    )
    marker.write_text("ok\n", encoding="utf-8")
    return {**outcome, "ingested": True, "scan_ids": result.scan_ids, "quarantined": result.recon.quarantined}
