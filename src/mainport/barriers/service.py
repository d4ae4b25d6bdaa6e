"""Barriers: the ISPS port-facility register (facilities, security level, measures, compliance) and the
badge and camera events at their gates, stored in bulk and read by those with a need to know.

Who sees what: government partners and the port authority of the facility's hub see the register and its
measures (a facility's weak points are security-sensitive); a terminal or airport sees its own facility.
Badge events are insider intelligence (insider:read); camera detections are read with custody:read by those
who may see the register entry of the facility.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, select, true
from sqlalchemy.orm import Session

from mainport.audit.service import record
from mainport.barriers.models import BadgeEvent, CameraDetection, PortFacility
from mainport.database import utcnow
from mainport.database.core import is_unique_violation
from mainport.errors import NotFound, PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind
from mainport.identity.principal import Principal
from mainport.ingest.prepare import sqlite_time
from mainport.reference.locations import is_known_unlocode
from mainport.reference.nodes import NODES

STATUSES = ("approved", "suspended", "withdrawn")
MEASURES = (
    "access_control",
    "fencing",
    "cctv",
    "anpr",
    "lighting",
    "patrol",
    "screening_of_persons",
    "vehicle_search",
    "seal_check",
    "restricted_area",
)
STATES = ("in_place", "partial", "missing")
BADGE_COLUMNS = ("key", "facility_code", "badge", "direction", "gate", "granted", "at")  # key first
CAMERA_COLUMNS = (
    "key",
    "facility_code",
    "camera",
    "plate",
    "container_number",
    "direction",
    "confidence",
    "at",
)


def _sees(actor: Principal) -> ColumnElement[bool]:
    """The register entries an actor may see."""
    if actor.is_government or actor.is_system:
        return true()
    if actor.org_kind == OrgKind.port_authority and actor.node_code:
        return PortFacility.hub == actor.node_code
    if actor.facility_code:
        return PortFacility.operator_code == actor.facility_code
    return PortFacility.id < 0


def _measures(items: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for i, m in enumerate(items):
        name, state = m.get("measure"), m.get("state")
        if name not in MEASURES:
            raise ValidationFailed(f"measures[{i}].measure: one of {', '.join(MEASURES)} (got {name!r})")
        if state not in STATES:
            raise ValidationFailed(f"measures[{i}].state: one of {', '.join(STATES)} (got {state!r})")
        out.append({"measure": str(name), "state": str(state), "note": str(m.get("note") or "")[:300]})
    if len({m["measure"] for m in out}) < len(out):
        raise ValidationFailed("measures: each measure once")
    return out


def register_facility(
    *,
    session: Session,
    actor: Principal,
    code: str,
    name: str,
    hub: str,
    unlocode: str,
    operator_code: str | None = None,
    security_level: int = 1,
    status: str = "approved",
    compliance_until: date | None = None,
    measures: Sequence[dict[str, Any]] = (),
) -> PortFacility:
    """Add a facility to the register, or change its entry (the same code). The platform itself (the CLI of
    the operator who loads the register) may too."""
    if not actor.is_system:
        actor.require("facilities:write")
    if hub not in NODES:
        raise ValidationFailed(f"hub: unknown hub {hub!r}; known: {', '.join(NODES)}")
    if actor.org_kind == OrgKind.port_authority and actor.node_code not in (None, hub):
        raise PermissionDenied(f"{actor.username} keeps the register of {actor.node_code}, not {hub}")
    if not is_known_unlocode(unlocode):
        raise ValidationFailed(f"unlocode: unknown UN/LOCODE {unlocode!r}")
    if security_level not in (1, 2, 3):
        raise ValidationFailed("security_level: ISPS level 1, 2 or 3")
    if status not in STATUSES:
        raise ValidationFailed(f"status: one of {', '.join(STATUSES)} (got {status!r})")
    if len(code) > 16 or not code[:5].isalpha() or not code[:5].isupper() or code[5:6] != "-":
        raise ValidationFailed(f"code: an IMO port facility number like NLRTM-0001 (got {code!r})")
    clean = _measures(measures)
    facility = session.scalar(select(PortFacility).where(PortFacility.code == code))
    before = None
    if facility is None:
        facility = PortFacility(code=code)
        session.add(facility)
    else:
        before = {"status": facility.status, "security_level": facility.security_level}
    facility.name, facility.hub, facility.unlocode = name, hub, unlocode
    facility.operator_code, facility.security_level, facility.status = operator_code, security_level, status
    facility.compliance_until, facility.measures = compliance_until, clean
    facility.updated_by, facility.updated_at = actor.username, utcnow()
    session.flush()
    record(
        session=session,
        actor=actor,
        action="barriers.facility_registered" if before is None else "barriers.facility_changed",
        entity_type="barrier_facility",
        entity_id=code,
        detail={"before": before, "status": status, "security_level": security_level, "measures": clean},
    )
    return facility


def list_facilities(
    *, session: Session, actor: Principal, hub: str | None = None, status: str | None = None
) -> list[PortFacility]:
    actor.require("facilities:read")
    q = select(PortFacility).where(_sees(actor))
    if hub is not None:
        q = q.where(PortFacility.hub == hub)
    if status is not None:
        if status not in STATUSES:
            raise ValidationFailed(f"status: one of {', '.join(STATUSES)} (got {status!r})")
        q = q.where(PortFacility.status == status)
    rows = list(session.scalars(q.order_by(PortFacility.code)))
    record(
        session=session,
        actor=actor,
        action="barriers.facilities_read",
        entity_type="barrier_facility",
        entity_id=hub or "all",
        detail={"count": len(rows), "status": status},
    )
    return rows


def get_facility(*, session: Session, actor: Principal, code: str) -> PortFacility:
    actor.require("facilities:read")
    facility = session.scalar(select(PortFacility).where(PortFacility.code == code, _sees(actor)))
    if facility is None:
        raise NotFound(f"port facility {code!r} not found")
    record(
        session=session,
        actor=actor,
        action="barriers.facility_read",
        entity_type="barrier_facility",
        entity_id=code,
    )
    return facility


def _store(
    session: Session,
    actor: Principal,
    model: type[BadgeEvent] | type[CameraDetection],
    columns: tuple[str, ...],
    rows: Sequence[dict[str, Any]],
    source: str,
    run_id: int | None,
) -> tuple[int, int, dict[int, str]]:
    """Bulk write of checked rows (millions a day): the register's facility codes in one query, then plain
    driver SQL (no per-row ORM or bind processing): SQLite one prepared executemany, insert-or-nothing on
    the key; PostgreSQL COPY of the keys not stored yet (a concurrent writer's rows found meanwhile go
    through insert ... on conflict do nothing and count as duplicates)."""
    hubs: dict[str, str] = {
        code: hub for code, hub in session.execute(select(PortFacility.code, PortFacility.hub))
    }
    refused: dict[int, str] = {}
    conn = session.connection()
    sqlite = conn.dialect.name != "postgresql"
    src = source[:200]
    at = columns.index("at")
    out: list[tuple[Any, ...]] = []
    for i, r in enumerate(rows):
        hub = hubs.get(r["facility_code"])
        if hub is None:
            refused[i] = f"facility: {r['facility_code']} is not in the ISPS facility register"
            continue
        values = [r[c] for c in columns]
        if sqlite:
            values[at] = sqlite_time(values[at])
        out.append((*values, hub, src, run_id))
    stored = _write(session, cast(Table, model.__table__).name, (*columns, "hub", "source", "run_id"), out)
    record(
        session=session,
        actor=actor,
        action=f"barriers.{model.__tablename__}.stored",
        entity_type=model.__tablename__,
        entity_id=src,
        detail={"stored": stored, "refused": len(refused), "run_id": run_id},
    )
    return stored, len(rows) - stored - len(refused), refused


def _write(session: Session, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> int:
    """Rows whose first column is the unique key; -> how many were stored (the others were already)."""
    if not rows:
        return 0
    conn = session.connection()
    names = ", ".join(columns)
    if conn.dialect.name != "postgresql":
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT (key) DO NOTHING"
        return int(conn.exec_driver_sql(sql, rows).rowcount)
    keys = [r[0] for r in rows]
    known = {k for (k,) in conn.exec_driver_sql(f"SELECT key FROM {table} WHERE key = ANY(%s)", (keys,))}
    fresh = [r for r in rows if r[0] not in known]
    if not fresh:
        return 0
    try:
        with session.begin_nested():
            dbapi = session.connection().connection.driver_connection
            with dbapi.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]
                for r in fresh:
                    copy.write_row(r)
        return len(fresh)
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT (key) DO NOTHING"
    stored = 0
    for r in fresh:  # rare: only when another writer stored some of these keys since the look-up
        stored += int(conn.exec_driver_sql(sql, r).rowcount)
    return stored


def store_badge_events(
    *,
    session: Session,
    actor: Principal,
    rows: Sequence[dict[str, Any]],
    source: str,
    run_id: int | None = None,
) -> tuple[int, int, dict[int, str]]:
    """Store checked badge events (barriers.feeds); -> (stored, duplicates, refused row -> reason)."""
    actor.require("insider:write")
    return _store(session, actor, BadgeEvent, BADGE_COLUMNS, rows, source, run_id)


def store_detections(
    *,
    session: Session,
    actor: Principal,
    rows: Sequence[dict[str, Any]],
    source: str,
    run_id: int | None = None,
) -> tuple[int, int, dict[int, str]]:
    """Store checked camera detections (barriers.feeds); -> (stored, duplicates, refused row -> reason)."""
    actor.require("events:write")
    return _store(session, actor, CameraDetection, CAMERA_COLUMNS, rows, source, run_id)


def badge_events(
    *,
    session: Session,
    actor: Principal,
    facility: str | None = None,
    badge: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[BadgeEvent]:
    """Badge events, newest first (insider intelligence: government analysts; the read is audited)."""
    actor.require("insider:read")
    q = select(BadgeEvent)
    if facility:
        q = q.where(BadgeEvent.facility_code == facility)
    if badge:
        q = q.where(BadgeEvent.badge == badge)
    if since is not None:
        q = q.where(BadgeEvent.at >= since)
    if until is not None:
        q = q.where(BadgeEvent.at < until)
    rows = list(session.scalars(q.order_by(BadgeEvent.at.desc()).limit(max(1, min(limit, 5000)))))
    record(
        session=session,
        actor=actor,
        action="barriers.badge_events_read",
        entity_type="barrier_badge_event",
        entity_id=facility or badge or "all",
        detail={"count": len(rows)},
    )
    return rows


def detections(
    *,
    session: Session,
    actor: Principal,
    facility: str | None = None,
    plate: str | None = None,
    container: str | None = None,
    limit: int = 200,
) -> list[CameraDetection]:
    """Camera detections at the facilities the actor may see, newest first; the read is audited."""
    actor.require("custody:read")
    actor.require("facilities:read")
    visible = select(PortFacility.code).where(_sees(actor))
    q = select(CameraDetection).where(CameraDetection.facility_code.in_(visible))
    if facility:
        q = q.where(CameraDetection.facility_code == facility)
    if plate:
        q = q.where(CameraDetection.plate == plate.replace("-", "").replace(" ", "").upper())
    if container:
        q = q.where(CameraDetection.container_number == container.strip().upper())
    rows = list(session.scalars(q.order_by(CameraDetection.at.desc()).limit(max(1, min(limit, 5000)))))
    record(
        session=session,
        actor=actor,
        action="barriers.detections_read",
        entity_type="barrier_camera_detection",
        entity_id=facility or plate or container or "all",
        detail={"count": len(rows)},
    )
    return rows


@dataclass(frozen=True)
class NearBox:
    """Who and what was at the gates where a box was seen, around the time it was seen (custody evidence)."""

    detections: list[CameraDetection]  # the camera reads of the box itself
    badges: list[BadgeEvent]  # badges presented at those facilities in the window


def near_container(
    *, session: Session, actor: Principal, container_number: str, at: datetime, hours: float = 6.0
) -> NearBox:
    """The camera reads of a box within `hours` of `at`, and the badges presented at the same facilities in
    that window: insider intelligence (insider:read), audited."""
    actor.require("insider:read")
    if at.tzinfo is None:
        raise ValidationFailed("at: needs a time zone (e.g. 2026-03-02T08:00:00Z)")
    if not 0 < hours <= 72:
        raise ValidationFailed("hours: more than 0 and at most 72")
    number = container_number.strip().upper()
    start, end = at - timedelta(hours=hours), at + timedelta(hours=hours)
    reads = list(
        session.scalars(
            select(CameraDetection)
            .where(CameraDetection.container_number == number, CameraDetection.at.between(start, end))
            .order_by(CameraDetection.at)
        )
    )
    places = sorted({r.facility_code for r in reads})
    badges: list[BadgeEvent] = []
    if places:
        badges = list(
            session.scalars(
                select(BadgeEvent)
                .where(BadgeEvent.facility_code.in_(places), BadgeEvent.at.between(start, end))
                .order_by(BadgeEvent.at)
                .limit(5000)
            )
        )
    record(
        session=session,
        actor=actor,
        action="barriers.near_container_read",
        entity_type="container",
        entity_id=number,
        detail={"at": at.isoformat(), "hours": hours, "reads": len(reads), "badges": len(badges)},
    )
    return NearBox(reads, badges)
