from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from mainport.audit import service
from mainport.audit.models import AuditEntry, AuditHead
from mainport.identity.principal import system_principal


def _write(session: Session, n: int) -> None:
    for i in range(n):
        service.record(
            session=session,
            actor=system_principal(),
            action="test.write",
            entity_type="thing",
            entity_id=str(i),
            detail={"i": i},
        )


def test_intact_chain_verifies(session: Session) -> None:
    _write(session, 5)
    report = service.verify(session=session)
    assert report.ok and report.entries >= 5 and report.head_seq == report.entries


def test_altered_entry_is_detected(session: Session) -> None:
    _write(session, 5)
    session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(detail={"i": 99}))
    report = service.verify(session=session)
    assert not report.ok
    assert any("entry 3" in p and "altered" in p for p in report.problems)


def test_deleted_entry_is_detected(session: Session) -> None:
    _write(session, 5)
    session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    report = service.verify(session=session)
    assert any("missing" in p for p in report.problems)


def test_truncated_tail_is_detected(session: Session) -> None:
    _write(session, 5)
    last = session.query(AuditHead).one().seq
    session.execute(delete(AuditEntry).where(AuditEntry.seq == last))
    report = service.verify(session=session)
    assert any("head says" in p for p in report.problems)


def test_rewritten_hash_breaks_the_next_link(session: Session) -> None:
    _write(session, 4)
    session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(hash="f" * 64))
    problems = service.verify(session=session).problems
    assert any("entry 2" in p for p in problems) and any("entry 3: link" in p for p in problems)
