"""Small fixtures of data for the sharing tests: a container with one event, a release right."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.custody.models import ReleaseRight
from mainport.shipments.models import Container, ContainerEvent

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def box_with_event(
    session: Session, number: str, *, hub: str | None, facility: str | None, code: str = "DISC"
) -> ContainerEvent:
    if session.scalar(select(Container.number).where(Container.number == number)) is None:
        session.add(Container(number=number, size_type="45R1", first_seen=T0))
    ev = ContainerEvent(
        event_id=f"EV-{uuid.uuid4().hex[:12]}",
        event_type="EQUIPMENT",
        event_classifier="ACT",
        type_code=code,
        event_datetime=T0,
        event_created_datetime=T0,
        equipment_reference=number,
        unlocode="NLRTM" if hub == "rotterdam" else "NLAMS",
        facility_code=facility,
        seals=[],
        hub=hub,
        source="test",
        payload={},
    )
    session.add(ev)
    session.flush()
    return ev


def release_right(session: Session, number: str, *, holder: str, issuer: str = "LINE-1") -> ReleaseRight:
    now = datetime.now(UTC)
    right = ReleaseRight(
        token_id=uuid.uuid4().hex[:32],
        container_number=number,
        facility_code="ECTDE",
        issuer_org=issuer,
        holder_org=holder,
        holder_kind="release_party",
        not_before=now - timedelta(hours=1),
        expires_at=now + timedelta(days=3),
        issued_by="line.user",
    )
    session.add(right)
    session.flush()
    return right
