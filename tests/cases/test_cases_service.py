from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport import flows
from mainport.audit import service as audit
from mainport.audit.models import AuditEntry
from mainport.cases import service as cases
from mainport.errors import Conflict, PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind, Role
from mainport.shipments.models import Inspection, Seizure

C1 = "MSCU1234565"


def _raise(session: Session, actor, **kw):  # type: ignore[no-untyped-def]
    args = dict(
        source="custody",
        kind="custody.gate_out",
        container_number=C1,
        hub="rotterdam",
        title="gate out while under control",
    )
    args.update(kw)
    return cases.raise_alert(session=session, actor=actor, **args)


def test_raise_deduplicates_per_container_and_kind(session: Session, principal_factory) -> None:
    analyst = principal_factory()
    a = _raise(session, analyst, severity=2)
    b = _raise(session, analyst, severity=4)
    assert a.id == b.id and b.occurrences == 2 and b.severity == 4
    other_kind = _raise(session, analyst, kind="seal.changed")
    other_key = _raise(session, analyst, dedup_key="right-7")
    other_box = _raise(session, analyst, container_number="TGHU0000002")
    assert len({a.id, other_kind.id, other_key.id, other_box.id}) == 4
    # After dismissal a new signal is a new alert.
    cases.dismiss_alert(session=session, actor=analyst, alert_id=a.id, reason="known move")
    c = _raise(session, analyst)
    assert c.id != a.id and c.occurrences == 1


def test_raise_validates(session: Session, principal_factory) -> None:
    actor = principal_factory()
    with pytest.raises(ValidationFailed):
        _raise(session, actor, severity=7)
    with pytest.raises(ValidationFailed):
        _raise(session, actor, source="gossip")


def test_terminal_may_raise_but_not_read(session: Session, principal_factory) -> None:
    terminal = principal_factory(role=Role.officer, kind=OrgKind.terminal, facility_code="ECTDE")
    alert = _raise(session, terminal, source="release", kind="release.reused")
    assert alert.id
    with pytest.raises(PermissionDenied):
        cases.list_alerts(session=session, actor=terminal)
    with pytest.raises(PermissionDenied):
        cases.open_case(session=session, actor=terminal, alert_ids=[alert.id], title="x")


def test_full_workflow_feeds_back_inspection_and_seizure(session: Session, principal_factory) -> None:
    analyst = principal_factory()
    a1 = _raise(session, analyst, severity=3)
    a2 = _raise(session, analyst, kind="seal.changed", source="seal")
    queue = cases.list_alerts(session=session, actor=analyst, container_number=C1)
    assert [a.id for a in queue] == [a1.id, a2.id]  # most severe first
    cases.triage_alert(session=session, actor=analyst, alert_id=a1.id, severity=4, note="looks like rip-on")
    case = cases.open_case(session=session, actor=analyst, alert_ids=[a1.id], title="Rip-on suspicion")
    assert case.status == "open" and case.container_number == C1 and case.severity == 4
    cases.link_alert(session=session, actor=analyst, case_id=case.id, alert_id=a2.id)
    assert {a.status for a in case.alerts} == {"linked"}
    cases.assign_case(session=session, actor=analyst, case_id=case.id, assignee="analyst7")
    assert case.status == "investigating"
    flows.record_case_outcome(
        session=session,
        actor=analyst,
        case_id=case.id,
        result="found",
        kg_seized=120.0,
        modus_operandi="rip_on",
        notes="behind the doors",
    )
    assert case.status == "decided" and case.outcome == "found"
    inspection = session.get(Inspection, case.inspection_id)
    assert inspection is not None and inspection.result == "found" and inspection.kg_found == 120.0
    seizure = session.scalar(select(Seizure).where(Seizure.inspection_id == inspection.id))
    assert seizure is not None and seizure.kg == 120.0 and seizure.hub == "rotterdam"
    assert seizure.modus_operandi == "rip_on"
    cases.close_case(session=session, actor=analyst, case_id=case.id)
    assert case.status == "closed" and case.closed_at is not None
    assert {a.status for a in case.alerts} == {"closed"}
    actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "case")))
    assert {"case.open", "case.investigating", "case.decided", "case.closed"} <= set(actions)
    assert audit.verify(session=session).ok


def test_illegal_transitions_conflict(session: Session, principal_factory) -> None:
    analyst = principal_factory()
    alert = _raise(session, analyst)
    case = cases.open_case(session=session, actor=analyst, alert_ids=[alert.id], title="t")
    with pytest.raises(Conflict):
        cases.dismiss_alert(session=session, actor=analyst, alert_id=alert.id, reason="no")  # linked
    cases.close_case(session=session, actor=analyst, case_id=case.id)
    assert case.outcome == "no_action"
    with pytest.raises(Conflict):
        flows.record_case_outcome(session=session, actor=analyst, case_id=case.id, result="not_found")
    with pytest.raises(Conflict):
        cases.close_case(session=session, actor=analyst, case_id=case.id)
    other = _raise(session, analyst, kind="other")
    with pytest.raises(Conflict):
        cases.link_alert(session=session, actor=analyst, case_id=case.id, alert_id=other.id)


def test_not_found_outcome_writes_inspection_only(session: Session, principal_factory) -> None:
    analyst = principal_factory()
    alert = _raise(session, analyst)
    case = cases.open_case(session=session, actor=analyst, alert_ids=[alert.id], title="t")
    with pytest.raises(ValidationFailed):
        flows.record_case_outcome(
            session=session, actor=analyst, case_id=case.id, result="found", kg_seized=0
        )
    flows.record_case_outcome(session=session, actor=analyst, case_id=case.id, result="not_found")
    assert session.scalar(select(Seizure).where(Seizure.inspection_id == case.inspection_id)) is None


def test_repeat_on_linked_alert_raises_case_severity(session: Session, principal_factory) -> None:
    analyst = principal_factory()
    alert = _raise(session, analyst, severity=1)
    case = cases.open_case(session=session, actor=analyst, alert_ids=[alert.id], title="t")
    _raise(session, analyst, severity=4)
    assert case.severity == 4 and alert.occurrences == 2
