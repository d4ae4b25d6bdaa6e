from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport import flows
from mainport.cases.models import Alert
from mainport.custody import keys, release
from mainport.custody import service as custody
from mainport.custody.models import GateDecision
from mainport.database import utcnow
from mainport.errors import PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind, Role
from tests.shipments.factories import carried_by

BOX = "MSCU1234565"


@pytest.fixture
def parties(session: Session, principal_factory):  # type: ignore[no-untyped-def]
    carried_by(session, BOX, "MSCU")  # the line may issue rights for the boxes it carries only
    return {
        "line": principal_factory(
            role=Role.officer, kind=OrgKind.shipping_line, org_code="MSCU", carrier_code="MSCU"
        ),
        "forwarder": principal_factory(role=Role.officer, kind=OrgKind.forwarder, org_code="FWD-1"),
        "haulier": principal_factory(role=Role.officer, kind=OrgKind.haulier, org_code="HAUL-1"),
        "other_haulier": principal_factory(role=Role.officer, kind=OrgKind.haulier, org_code="HAUL-2"),
        "gate": principal_factory(role=Role.officer, kind=OrgKind.terminal, facility_code="ECTDE"),
        "other_gate": principal_factory(role=Role.officer, kind=OrgKind.terminal, facility_code="APMII"),
        "customs": principal_factory(role=Role.officer),
    }


def _token(session: Session, p, **kw):  # type: ignore[no-untyped-def]
    right = release.issue_right(
        session=session,
        actor=p["line"],
        container_number=BOX,
        facility_code="ECTDE",
        release_party="FWD-1",
        **kw,
    )
    _r, none = release.nominate(session=session, actor=p["forwarder"], right_id=right.id, nominee="HAUL-1")
    assert none is None
    _r, token = release.nominate(session=session, actor=p["haulier"], right_id=right.id, nominee="DRV-42")
    assert token is not None and token.startswith("mpr1.")
    return right, token


def _check(
    session: Session,
    p,
    token: str,
    carrier: str = "HAUL-1",
    driver: str = "DRV-42",  # type: ignore[no-untyped-def]
    gate: str = "gate",
):
    return release.gate_check(
        session=session,
        actor=p[gate],
        container_number=BOX,
        carrier_id=carrier,
        driver_id=driver,
        token=token,
    )


def _alert_kinds(session: Session) -> set[str]:
    return set(session.scalars(select(Alert.kind).where(Alert.source == "release")))


def test_chain_and_single_use(session: Session, parties) -> None:
    right, token = _token(session, parties)
    assert [n.to_kind for n in right.nominations] == ["release_party", "haulier", "driver"]
    first = _check(session, parties, token)
    assert first.allowed and first.reason == "ok" and right.status == "used"
    again = _check(session, parties, token)
    assert not again.allowed and again.reason == "already_used"
    assert "release.reused" in _alert_kinds(session)
    decisions = session.scalars(select(GateDecision).where(GateDecision.container_number == BOX)).all()
    assert [(d.allowed, d.reason) for d in decisions] == [(True, "ok"), (False, "already_used")]


def test_only_the_holder_nominates_the_next(session: Session, parties) -> None:
    right = release.issue_right(
        session=session,
        actor=parties["line"],
        container_number=BOX,
        facility_code="ECTDE",
        release_party="FWD-1",
    )
    with pytest.raises(PermissionDenied):  # the haulier is not yet nominated
        release.nominate(session=session, actor=parties["haulier"], right_id=right.id, nominee="DRV-1")
    with pytest.raises(ValidationFailed):  # a forwarder nominates a haulier, not a driver
        release.nominate(session=session, actor=parties["forwarder"], right_id=right.id, nominee="DRV-1")
    with pytest.raises(PermissionDenied):  # only a line issues rights
        release.issue_right(
            session=session,
            actor=parties["forwarder"],
            container_number=BOX,
            facility_code="ECTDE",
            release_party="FWD-1",
        )


@pytest.mark.parametrize(
    ("carrier", "driver", "gate", "reason", "kind"),
    [
        ("HAUL-2", "DRV-42", "gate", "carrier_mismatch", "release.wrong_carrier"),
        ("HAUL-1", "DRV-99", "gate", "driver_mismatch", "release.wrong_carrier"),
        ("HAUL-1", "DRV-42", "other_gate", "wrong_terminal", "release.wrong_terminal"),
    ],
)
def test_wrong_party_is_refused(session: Session, parties, carrier, driver, gate, reason, kind) -> None:
    right, token = _token(session, parties)
    answer = _check(session, parties, token, carrier=carrier, driver=driver, gate=gate)
    assert (answer.allowed, answer.reason) == (False, reason)
    assert right.status == "active" and kind in _alert_kinds(session)


def test_revoked_forged_and_expired(session: Session, parties) -> None:
    right, token = _token(session, parties)
    release.revoke_right(session=session, actor=parties["line"], right_id=right.id, reason="fraud suspected")
    assert _check(session, parties, token).reason == "revoked"
    assert "release.revoked_presented" in _alert_kinds(session)
    head, body, sig = token.split(".")
    forged = f"{head}.{body}.{sig[:-4]}AAAA"
    assert _check(session, parties, forged).reason == "bad_signature"
    assert _check(session, parties, "1234").reason == "malformed_token"  # a PIN is not a token
    now = utcnow()
    _r, late = _token(
        session, parties, not_before=now - timedelta(days=2), expires_at=now - timedelta(hours=1)
    )
    assert _check(session, parties, late).reason == "expired"


def test_customs_hold_blocks_release_until_plan_concludes(session: Session, parties) -> None:
    right, token = _token(session, parties)
    _alert, plan = flows.select_for_control(
        session=session,
        actor=parties["customs"],
        container_number=BOX,
        facility_code="ECTDE",
        source="manual",
        reason="tip",
    )
    held = _check(session, parties, token)
    assert (held.allowed, held.reason) == (False, "customs_hold") and right.status == "active"
    hold_alert = session.scalar(select(Alert).where(Alert.kind == "release.customs_hold"))
    assert hold_alert is not None and hold_alert.severity == 4
    custody.record_step(session=session, actor=parties["gate"], plan_id=plan.id, step="discharged")
    custody.record_step(
        session=session, actor=parties["gate"], plan_id=plan.id, step="guarded", location=plan.guarded_area
    )
    custody.record_step(session=session, actor=parties["customs"], plan_id=plan.id, step="released")
    assert _check(session, parties, token).allowed


def test_key_rotation_keeps_old_tokens_until_retired(session: Session, parties, principal_factory) -> None:
    admin = principal_factory(role=Role.admin)
    right, token = _token(session, parties)
    old_kid = right.kid
    keys.rotate(session=session, actor=admin)
    right2, token2 = _token(session, parties)
    assert right2.kid != old_kid
    keys.retire(session=session, actor=admin, kid=str(old_kid))
    assert _check(session, parties, token).reason == "unknown_key"
    assert _check(session, parties, token2).allowed


def test_lookup_burst_raises_alert_and_visibility(session: Session, parties) -> None:
    _token(session, parties)
    assert len(release.lookup_rights(session=session, actor=parties["haulier"], container_number=BOX)) == 1
    assert release.lookup_rights(session=session, actor=parties["other_haulier"], container_number=BOX) == []
    for i in range(release.LOOKUP_LIMIT + 1):
        release.lookup_rights(
            session=session, actor=parties["other_haulier"], container_number=f"ABCU{i:07d}"
        )
    burst = session.scalar(select(Alert).where(Alert.kind == "release.lookup_burst"))
    assert burst is not None and burst.detail["org"] == "HAUL-2"


def test_non_terminal_cannot_ask_the_gate(session: Session, parties) -> None:
    _right, token = _token(session, parties)
    with pytest.raises(PermissionDenied):
        _check(session, parties, token, gate="haulier")


def test_gate_decisions_are_anchored_in_the_audit_chain(session: Session, parties, principal_factory) -> None:
    from sqlalchemy import update

    from mainport.audit import service as audit
    from mainport.custody import anchor

    admin = principal_factory(role=Role.admin)
    _right, token = _token(session, parties)
    _check(session, parties, token)
    _check(session, parties, token)
    later = utcnow() + timedelta(minutes=1)
    entry = anchor.anchor_decisions(session=session, actor=parties["customs"], now=later)
    assert entry is not None and entry.detail["count"] == 2
    assert anchor.anchor_decisions(session=session, actor=parties["customs"], now=later) is None
    assert anchor.verify_anchors(session=session, actor=admin).ok and audit.verify(session=session).ok
    session.execute(update(GateDecision).where(GateDecision.allowed.is_(True)).values(reason="forged"))
    session.expire_all()
    report = anchor.verify_anchors(session=session, actor=admin)
    assert not report.ok and "altered" in report.problems[0]
