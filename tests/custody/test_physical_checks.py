"""Selection to custody, automatically: a plan and a terminal instruction before arrival, acknowledgement,
alerts for discharge without a plan and unacknowledged instructions, unguarded minutes per hub."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport import flows
from mainport.cases import service as cases
from mainport.cases.models import Alert
from mainport.config import Settings
from mainport.custody import guarded, instructions
from mainport.custody import service as custody
from mainport.custody.jobs import SCHEDULED
from mainport.custody.models import CustodyPlan, TerminalInstruction
from mainport.custody.terminal import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryFailed,
    LocalTerminalGateway,
    TerminalMessage,
    WebhookTerminalGateway,
    gateway_from_settings,
    sign,
)
from mainport.errors import PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind, Role
from mainport.recurring import JobContext
from mainport.shipments.models import Container, ContainerEvent, Declaration
from tests.shipments.factories import party

BOX = "MSCU1234565"
NOW = datetime.now(UTC).replace(microsecond=0)


def _decl(session: Session, number: str = BOX, ref: str = "26NLPHYS0000000001") -> Declaration:
    session.add(Container(number=number, size_type="45R1", first_seen=NOW - timedelta(days=20)))
    decl = Declaration(
        reference=ref,
        filed_at=NOW - timedelta(days=10),
        bill_of_lading=f"BL{number}",
        consignor=party(session, f"EC{ref[-6:]}1", "Exportadora SA", "EC"),
        consignee=party(session, f"NL{ref[-6:]}2", "Import BV", "NL"),
        carrier="MSCU",
        vessel_imo="9321483",
        voyage_number="2103N",
        place_of_loading="ECGYE",
        place_of_discharge="NLRTM",
        countries_of_routing=["EC", "NL"],
        hs_code="080390",
        goods_description="Fresh bananas",
        packages=1080,
        gross_mass_kg=23500.0,
        container_number=number,
        seal_numbers=["ML-1"],
        hub="rotterdam",
        source="test",
    )
    session.add(decl)
    session.flush()
    return decl


def _ev(
    session: Session,
    code: str,
    at: datetime,
    *,
    classifier: str = "ACT",
    number: str | None = BOX,
    facility: str | None = "ECTDE",
    kind: str = "EQUIPMENT",
    location: str | None = None,
) -> ContainerEvent:
    ev = ContainerEvent(
        event_id=str(uuid.uuid4()),
        event_type=kind,
        event_classifier=classifier,
        type_code=code,
        event_datetime=at,
        event_created_datetime=min(at, NOW),
        equipment_reference=number,
        unlocode="NLRTM",
        facility_code=facility,
        vessel_imo="9321483",
        voyage_number="2103N",
        seals=[],
        hub="rotterdam",
        source="test",
        payload={"eventLocation": {"locationName": location}} if location else {},
    )
    session.add(ev)
    session.flush()
    return ev


def _selected(
    session: Session,
    actor: Any,
    decl: Declaration,
    kind: str = "selected_for_inspection",
    *,
    named: bool = True,
) -> Alert:
    return cases.raise_alert(
        session=session,
        actor=actor,
        source="targeting" if kind == "selected_for_inspection" else "imaging",
        kind=kind,
        container_number=decl.container_number if named else None,
        declaration_id=decl.id,
        hub="rotterdam",
        severity=3,
        title="Selected for physical (risk), rank 1, score 0.91",
    )


@pytest.fixture
def people(principal_factory: Any) -> dict[str, Any]:
    return {
        "customs": principal_factory(role=Role.analyst),
        "terminal": principal_factory(
            role=Role.officer, kind=OrgKind.terminal, facility_code="ECTDE", node_code="rotterdam"
        ),
        "other_terminal": principal_factory(role=Role.officer, kind=OrgKind.terminal, facility_code="APMII"),
        "forwarder": principal_factory(role=Role.officer, kind=OrgKind.forwarder),
        "viewer": principal_factory(role=Role.viewer),
    }


def test_selection_opens_plan_and_instruction_before_arrival(session: Session, people) -> None:
    decl = _decl(session)
    _ev(session, "DISC", NOW + timedelta(days=2), classifier="EST")
    alert = _selected(session, people["customs"], decl)
    run = flows.plan_physical_checks(session=session, actor=people["customs"])
    assert len(run.opened) == 1
    plan = session.get(CustodyPlan, run.opened[0])
    assert plan is not None
    assert (plan.facility_code, plan.state, plan.alert_id, plan.hub) == (
        "ECTDE",
        "planned",
        alert.id,
        "rotterdam",
    )
    row = instructions.instruction_for_plan(session, plan.id)
    assert row is not None and row.status == "pending"
    assert row.expected_at == NOW + timedelta(days=2)
    assert row.guarded_area == "ECTDE-GUARDED"
    # Re-running changes nothing.
    again = flows.plan_physical_checks(session=session, actor=people["customs"])
    assert again.opened == [] and again.already_planned == 1
    assert session.scalars(select(TerminalInstruction)).all() == [row]


def test_terminal_from_the_vessel_call_and_from_scan_alerts(session: Session, people) -> None:
    decl = _decl(session)
    # No event of the box itself yet: the vessel's arrival at the port names the terminal.
    _ev(
        session,
        "ARRI",
        NOW + timedelta(days=1),
        classifier="EST",
        number=None,
        facility="APMII",
        kind="TRANSPORT",
    )
    _selected(session, people["customs"], decl, kind="scan_difference")
    run = flows.plan_physical_checks(session=session, actor=people["customs"])
    plan = session.get(CustodyPlan, run.opened[0])
    assert plan is not None and plan.facility_code == "APMII" and plan.source == "imaging"


def test_no_terminal_and_already_left_open_nothing(session: Session, people) -> None:
    unknown = _decl(session)
    _selected(session, people["customs"], unknown)
    run = flows.plan_physical_checks(session=session, actor=people["customs"])
    assert (run.opened, run.no_terminal) == ([], 1)
    _ev(session, "DISC", NOW - timedelta(days=2))
    _ev(session, "GTOT", NOW - timedelta(days=1))
    run = flows.plan_physical_checks(session=session, actor=people["customs"])
    assert (run.opened, run.already_left) == ([], 1)


def test_discharged_before_plan_is_logged_and_alerted(session: Session, people) -> None:
    decl = _decl(session)
    alert = _selected(session, people["customs"], decl)
    alert.raised_at = NOW - timedelta(hours=5)
    _ev(session, "DISC", NOW - timedelta(hours=3))
    missing = instructions.check_discharges(
        session=session, actor=people["customs"], kinds=flows.PHYSICAL_CHECK_KINDS
    )
    assert [a.kind for a in missing] == ["custody.discharged_without_plan"]
    assert missing[0].severity == 4
    run = flows.plan_physical_checks(session=session, actor=people["customs"])
    plan = session.get(CustodyPlan, run.opened[0])
    assert plan is not None and plan.state == "discharged"  # the late plan knows the discharge
    # The alert stays one alert when checked again.
    again = instructions.check_discharges(
        session=session, actor=people["customs"], kinds=flows.PHYSICAL_CHECK_KINDS
    )
    assert [a.id for a in again] == [missing[0].id]


def test_alert_naming_only_its_declaration(session: Session, people) -> None:
    """A selection's alert that names the declaration but not the box: the declaration's box is meant."""
    decl = _decl(session)
    alert = _selected(session, people["customs"], decl, named=False)
    alert.raised_at = NOW - timedelta(hours=5)
    _ev(session, "DISC", NOW - timedelta(hours=1))
    missing = instructions.check_discharges(
        session=session, actor=people["customs"], kinds=flows.PHYSICAL_CHECK_KINDS
    )
    assert [a.container_number for a in missing] == [BOX]
    run = flows.plan_physical_checks(session=session, actor=people["customs"])
    plan = session.get(CustodyPlan, run.opened[0])
    assert plan is not None and plan.container_number == BOX and plan.alert_id == alert.id


def test_discharge_under_plan_raises_nothing(session: Session, people) -> None:
    decl = _decl(session)
    alert = _selected(session, people["customs"], decl)
    alert.raised_at = NOW - timedelta(hours=5)
    _ev(session, "DISC", NOW + timedelta(hours=1), classifier="EST")
    run = flows.plan_physical_checks(session=session, actor=people["customs"])
    plan = session.get(CustodyPlan, run.opened[0])
    assert plan is not None
    plan.opened_at = NOW - timedelta(hours=4)
    _ev(session, "DISC", NOW - timedelta(hours=2))
    assert (
        instructions.check_discharges(
            session=session, actor=people["customs"], kinds=flows.PHYSICAL_CHECK_KINDS
        )
        == []
    )


def test_dispatch_local_and_acknowledge(session: Session, people, tmp_path: Path) -> None:
    decl = _decl(session)
    _ev(session, "DISC", NOW + timedelta(days=2), classifier="EST")
    _selected(session, people["customs"], decl)
    flows.plan_physical_checks(session=session, actor=people["customs"])
    gateway = LocalTerminalGateway(tmp_path / "outbox")
    assert instructions.dispatch(session=session, actor=people["customs"], gateway=gateway) == {
        "sent": 1,
        "failed": 0,
    }
    [line] = gateway.delivered("ECTDE")
    assert line["container_number"] == BOX and line["guarded_area"] == "ECTDE-GUARDED"
    assert "reason" not in line and "score" not in json.dumps(line)  # never why it was selected
    ref = str(line["reference"])
    # Only the terminal named (or customs) may answer; never a forwarder.
    for who in ("other_terminal", "forwarder", "viewer"):
        with pytest.raises(PermissionDenied):
            instructions.acknowledge(session=session, actor=people[who], reference=ref)
    row = instructions.acknowledge(session=session, actor=people["terminal"], reference=ref)
    assert row.status == "acknowledged" and row.acknowledged_by is not None
    assert instructions.acknowledge(session=session, actor=people["terminal"], reference=ref) is row
    listed = instructions.list_instructions(session=session, actor=people["terminal"], facility_code="ECTDE")
    assert [r.reference for r in listed] == [ref]
    with pytest.raises(PermissionDenied):
        instructions.list_instructions(session=session, actor=people["other_terminal"], facility_code="ECTDE")
    # Nothing is sent twice.
    assert instructions.dispatch(session=session, actor=people["customs"], gateway=gateway)["sent"] == 0


def test_refusal_needs_a_note_and_raises_an_alert(session: Session, people) -> None:
    decl = _decl(session)
    _ev(session, "DISC", NOW + timedelta(days=2), classifier="EST")
    _selected(session, people["customs"], decl)
    flows.plan_physical_checks(session=session, actor=people["customs"])
    row = session.scalars(select(TerminalInstruction)).one()
    with pytest.raises(ValidationFailed):
        instructions.acknowledge(
            session=session, actor=people["terminal"], reference=row.reference, accepted=False
        )
    instructions.acknowledge(
        session=session, actor=people["terminal"], reference=row.reference, accepted=False, note="yard full"
    )
    kinds = set(session.scalars(select(Alert.kind).where(Alert.container_number == BOX)))
    assert "custody.instruction_refused" in kinds


class _Failing:
    name = "failing"

    def deliver(self, message: TerminalMessage) -> None:
        raise DeliveryFailed("terminal system down")


def test_failed_delivery_is_retried_and_chased(session: Session, people, tmp_path: Path) -> None:
    decl = _decl(session)
    _ev(session, "DISC", NOW + timedelta(hours=1), classifier="EST")
    _selected(session, people["customs"], decl)
    flows.plan_physical_checks(session=session, actor=people["customs"])
    assert instructions.dispatch(session=session, actor=people["customs"], gateway=_Failing())["failed"] == 1
    row = session.scalars(select(TerminalInstruction)).one()
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "terminal system down")
    # Due within the margin and not acknowledged: chased.
    chased = instructions.check_acknowledgements(session=session, actor=people["customs"], now=NOW)
    assert [a.kind for a in chased] == ["custody.instruction_unacknowledged"]
    assert instructions.dispatch(
        session=session, actor=people["customs"], gateway=LocalTerminalGateway(tmp_path)
    ) == {"sent": 1, "failed": 0}
    assert (row.status, row.attempts) == ("sent", 2)


def test_unguarded_minutes_pure() -> None:
    t = NOW
    ga = "ECTDE-GUARDED"
    assert guarded.unguarded_minutes([("selected", t, None)], ga, t) is None
    steps = [("selected", t, None), ("discharged", t, "QUAY"), ("guarded", t + timedelta(minutes=30), ga)]
    assert guarded.unguarded_minutes(steps, ga, t + timedelta(hours=5)) == 30
    moved = [*steps, ("moved", t + timedelta(hours=1), "YARD-7"), ("guarded", t + timedelta(hours=2), ga)]
    assert guarded.unguarded_minutes(moved, ga, t + timedelta(hours=5)) == 90
    open_ = [("selected", t, None), ("discharged", t, "QUAY")]
    assert guarded.unguarded_minutes(open_, ga, t + timedelta(minutes=45)) == 45
    ended = [*open_, ("released", t + timedelta(minutes=20), None)]
    assert guarded.unguarded_minutes(ended, ga, t + timedelta(hours=9)) == 20


def test_unguarded_by_hub(session: Session, people) -> None:
    decl = _decl(session)
    _ev(session, "DISC", NOW + timedelta(days=1), classifier="EST")
    _selected(session, people["customs"], decl)
    [plan_id] = flows.plan_physical_checks(session=session, actor=people["customs"]).opened
    t = NOW - timedelta(hours=3)
    custody.record_step(session=session, actor=people["terminal"], plan_id=plan_id, step="discharged", at=t)
    custody.record_step(
        session=session,
        actor=people["terminal"],
        plan_id=plan_id,
        step="guarded",
        at=t + timedelta(minutes=40),
        location="ECTDE-GUARDED",
    )
    [row] = guarded.by_hub(
        session=session, actor=people["viewer"], start=NOW - timedelta(days=1), end=NOW + timedelta(days=1)
    )
    assert (row.hub, row.boxes, row.unguarded_now) == ("rotterdam", 1, 0)
    assert row.mean_minutes == pytest.approx(40)


class _Hook(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append((dict(self.headers), body))
        self.send_response(202 if "ECTDE" in self.path else 500)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def hook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tos/{{facility}}"
    server.shutdown()
    server.server_close()


def test_webhook_gateway_signs_and_reports_failures(hook: str) -> None:
    secret = "s" * 32
    gateway = WebhookTerminalGateway(hook, secret)
    message = TerminalMessage(
        "ref1", "discharge_to_guarded_area", BOX, "ECTDE", "ECTDE-GUARDED", None, None, NOW
    )
    _Hook.received.clear()
    gateway.deliver(message)
    headers, body = _Hook.received[0]
    expected = (
        "sha256="
        + hmac.new(
            secret.encode(), headers[TIMESTAMP_HEADER].encode() + b"." + body, hashlib.sha256
        ).hexdigest()
    )
    assert headers[SIGNATURE_HEADER] == expected == sign(secret, headers[TIMESTAMP_HEADER], body)
    assert json.loads(body)["reference"] == "ref1"
    with pytest.raises(DeliveryFailed, match="answered 500"):
        gateway.deliver(TerminalMessage("r2", "x", BOX, "APMII", "G", None, None, None))
    with pytest.raises(DeliveryFailed):
        WebhookTerminalGateway("http://127.0.0.1:9/none", secret, timeout_s=0.5).deliver(message)


def test_gateway_from_settings(tmp_path: Path) -> None:
    local = gateway_from_settings(Settings(environment="test", secret_key="t" * 40, data_dir=tmp_path))
    assert local.name == "local"
    hook = Settings(
        environment="test",
        secret_key="t" * 40,
        terminal_gateway="webhook",
        terminal_webhook_url="http://tos.example/{facility}",
        terminal_webhook_secret="x" * 20,
    )
    assert gateway_from_settings(hook).name == "webhook"
    with pytest.raises(ValueError, match="TERMINAL_WEBHOOK_SECRET"):
        gateway_from_settings(hook.model_copy(update={"terminal_webhook_secret": "short"}))


def test_jobs_plan_dispatch_and_check(session: Session, people, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MAINPORT_DATA_DIR", str(tmp_path))
    from mainport.config import get_settings

    get_settings.cache_clear()
    try:
        decl = _decl(session)
        _ev(session, "DISC", NOW + timedelta(days=2), classifier="EST")
        _selected(session, people["customs"], decl)
        jobs = {j.name: j for j in SCHEDULED}
        ctx = JobContext(session=session, actor=people["customs"], now=NOW, since=None)
        out = jobs["custody-plan-physical-checks"].run(ctx)
        assert (out["opened"], out["sent"]) == (1, 1)
        assert LocalTerminalGateway(tmp_path / "terminal_outbox").delivered("ECTDE")
        assert jobs["custody-terminal-checks"].run(ctx) == {"unacknowledged": 0, "discharged_without_plan": 0}
    finally:
        get_settings.cache_clear()


def test_api_instructions_ack_and_unguarded(
    session: Session, app_client: TestClient, people, token_for
) -> None:
    decl = _decl(session)
    _ev(session, "DISC", NOW + timedelta(days=2), classifier="EST")
    _selected(session, people["customs"], decl)
    session.commit()
    customs = token_for(people["customs"])
    assert app_client.post("/api/v1/custody/plan-physical-checks").status_code == 401
    assert (
        app_client.post(
            "/api/v1/custody/plan-physical-checks", headers=token_for(people["terminal"])
        ).status_code
        == 403
    )
    r = app_client.post("/api/v1/custody/plan-physical-checks", headers=customs)
    assert r.status_code == 200 and len(r.json()["opened"]) == 1
    term = token_for(people["terminal"])
    listed = app_client.get("/api/v1/custody/instructions/ECTDE", headers=term).json()
    assert [i["container_number"] for i in listed] == [BOX]
    assert (
        app_client.get(
            "/api/v1/custody/instructions/ECTDE", headers=token_for(people["other_terminal"])
        ).status_code
        == 403
    )
    ref = listed[0]["reference"]
    assert (
        app_client.post(
            f"/api/v1/custody/instructions/{ref}/ack", json={}, headers=token_for(people["forwarder"])
        ).status_code
        == 403
    )
    bad = app_client.post(f"/api/v1/custody/instructions/{ref}/ack", json={"accepted": False}, headers=term)
    assert bad.status_code == 422 and "note" in bad.text
    assert app_client.post("/api/v1/custody/instructions/nope/ack", json={}, headers=term).status_code == 404
    ok = app_client.post(f"/api/v1/custody/instructions/{ref}/ack", json={}, headers=term)
    assert ok.status_code == 200 and ok.json()["status"] == "acknowledged"
    u = app_client.get("/api/v1/custody/unguarded?days=7", headers=token_for(people["viewer"]))
    assert u.status_code == 200 and u.json() == []
    assert app_client.get("/api/v1/custody/unguarded?days=0", headers=customs).status_code == 422


def test_dashboard_shows_unguarded_minutes(
    session: Session, app_client: TestClient, people, token_for
) -> None:
    decl = _decl(session)
    _ev(session, "DISC", NOW + timedelta(days=1), classifier="EST")
    _selected(session, people["customs"], decl)
    [plan_id] = flows.plan_physical_checks(session=session, actor=people["customs"]).opened
    custody.record_step(
        session=session,
        actor=people["terminal"],
        plan_id=plan_id,
        step="discharged",
        at=NOW - timedelta(minutes=75),
        location="QUAY-3",
    )
    session.commit()
    page = app_client.get("/monitoring", headers=token_for(people["viewer"]))
    assert page.status_code == 200
    table = page.text.split('data-testid="mon-unguarded"')[1].split("</table>")[0]
    assert "<td>rotterdam</td><td>1</td>" in table and "<td>1</td><td>0</td></tr>" in table
