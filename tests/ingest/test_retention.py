"""The quarantine's retention: the recurring job `ingest-quarantine-retention` purges what nothing has
happened to within MAINPORT_RETENTION_QUARANTINE_DAYS, audits what it purged, and is idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mainport.audit.models import AuditEntry
from mainport.audit.service import verify
from mainport.errors import PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import system_principal
from mainport.ingest import service
from mainport.ingest.models import IngestRun, QuarantinedRecord
from mainport.recurring import JobContext, discover
from tests.conftest import PrincipalFactory

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _record(session: Session, n: int, *, age: int, status: str = "open", resolved: int | None = None) -> int:
    row = QuarantinedRecord(
        key=f"{n:040d}",
        kind="event" if n % 2 else "declaration",
        source="api:someone",
        locator=f"item {n}",
        raw="{}",
        raw_size=2,
        reason="x: bad",
        status=status,
        received_at=NOW - timedelta(days=age),
        resolved_at=None if resolved is None else NOW - timedelta(days=resolved),
    )
    session.add(row)
    session.flush()
    return row.id


def _ctx(session: Session) -> JobContext:
    return JobContext(session=session, actor=system_principal(), now=NOW, since=None)


def test_the_job_purges_what_is_past_retention_audits_it_and_is_idempotent(session: Session) -> None:
    old_open = _record(session, 1, age=120)
    old_discarded = _record(session, 2, age=200, status="discarded", resolved=100)
    recently_replayed = _record(session, 3, age=200, status="replayed", resolved=10)  # resolved lately
    fresh = _record(session, 5, age=5)
    run = IngestRun(kind="events", source="f", actor="system", received=4, quarantined=4, status="finished")
    session.add(run)
    session.flush()

    job = discover()["ingest-quarantine-retention"]
    assert job.schedule == "cron 45 2 * * * (UTC)"
    first = job.run(_ctx(session))
    assert first == {
        "purged": 2,
        "by_kind_status": {"declaration/discarded": 1, "event/open": 1},
        "kept_days": 90,
    }
    left = set(session.scalars(select(QuarantinedRecord.id)))
    assert old_open not in left and old_discarded not in left
    assert {recently_replayed, fresh} <= left
    assert job.run(_ctx(session))["purged"] == 0  # again: nothing more

    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "quarantine.purge").order_by(AuditEntry.seq)
    ).all()
    assert [e.detail["purged"] for e in entries] == [2, 0]
    what = entries[0].detail
    assert what["ids"] == [old_open, old_discarded]
    assert what["oldest"] == (NOW - timedelta(days=120)).isoformat()
    assert what["newest"] == (NOW - timedelta(days=100)).isoformat()
    assert verify(session=session).ok
    # the run's reconciliation does not depend on the rows being there
    assert session.get(IngestRun, run.id).quarantined == 4  # type: ignore[union-attr]


def test_retention_follows_the_setting(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    _record(session, 7, age=20)
    monkeypatch.setenv("MAINPORT_RETENTION_QUARANTINE_DAYS", "10")
    from mainport.config import get_settings

    get_settings.cache_clear()
    try:
        assert discover()["ingest-quarantine-retention"].run(_ctx(session))["kept_days"] == 10
    finally:
        get_settings.cache_clear()
    assert session.scalar(select(func.count()).select_from(QuarantinedRecord)) == 0


def test_purge_needs_the_right_and_a_zone_and_keeps_to_what_the_actor_sees(
    session: Session, principal_factory: PrincipalFactory
) -> None:
    theirs = _record(session, 9, age=400)
    viewer = principal_factory(role=Role.viewer)
    with pytest.raises(PermissionDenied):
        service.purge_quarantine(session=session, actor=viewer, before=NOW)
    analyst = principal_factory(role=Role.analyst)
    with pytest.raises(ValidationFailed, match="time zone"):
        service.purge_quarantine(session=session, actor=analyst, before=NOW.replace(tzinfo=None))
    # A private party's analyst purges only what its own users sent: not this record.
    terminal = principal_factory(role=Role.analyst, kind=OrgKind.terminal, facility_code="ECTDE")
    done = service.purge_quarantine(session=session, actor=terminal, before=NOW)
    assert done["purged"] == 0 and session.get(QuarantinedRecord, theirs) is not None
