"""Seals and smart seals: declared seal numbers against those seen at every step, and door/e-seal telemetry
judged against where and when the container may be opened, corroborated before it is believed."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.cases import service as cases
from mainport.cases.models import Alert
from mainport.custody.models import SealTelemetry
from mainport.custody.service import active_plan, check_facility, record_step
from mainport.errors import ValidationFailed
from mainport.identity.principal import Principal
from mainport.shipments.models import ContainerEvent, Declaration

CORROBORATION_WINDOW = timedelta(minutes=30)
STRIP_WINDOW = timedelta(hours=2)
POSITION_CODES = ("LOAD", "DISC", "GTIN", "GTOT", "PICK")


def normalise(seals: Iterable[str]) -> frozenset[str]:
    return frozenset(s.strip().upper().replace(" ", "") for s in seals if s and s.strip())


@dataclass(frozen=True)
class SealFinding:
    kind: str  # seal.changed | seal.extra
    at: datetime
    where: str | None
    event_id: str
    missing: tuple[str, ...]
    extra: tuple[str, ...]


def compare_seals(
    declared: Iterable[str], observed: Iterable[tuple[datetime, str | None, str, list[str]]]
) -> list[SealFinding]:
    """Compare declared seals with each observation (at, where, event id, seals) in time order. An
    observation without seals says nothing; a missing declared seal is 'changed', an added one 'extra'."""
    expected = normalise(declared)
    findings = []
    for at, where, event_id, seals in sorted(observed, key=lambda o: o[0]):
        seen = normalise(seals)
        if not seen or not expected:
            continue
        missing, extra = tuple(sorted(expected - seen)), tuple(sorted(seen - expected))
        if missing:
            findings.append(SealFinding("seal.changed", at, where, event_id, missing, extra))
        elif extra:
            findings.append(SealFinding("seal.extra", at, where, event_id, missing, extra))
    return findings


def check_seals(*, session: Session, actor: Principal, container_number: str) -> list[Alert]:
    """Compare the newest declaration's seals with every event of the container; alert on each change."""
    actor.require("intel:write")
    declaration = session.scalar(
        select(Declaration)
        .where(Declaration.container_number == container_number)
        .order_by(Declaration.filed_at.desc())
        .limit(1)
    )
    if declaration is None:
        return []
    events = session.scalars(
        select(ContainerEvent).where(
            ContainerEvent.equipment_reference == container_number,
            ContainerEvent.event_datetime >= declaration.filed_at - timedelta(days=1),
        )
    ).all()
    findings = compare_seals(
        declaration.seal_numbers,
        [(e.event_datetime, e.unlocode or e.facility_code, e.event_id, list(e.seals or [])) for e in events],
    )
    alerts = []
    for f in findings:
        alerts.append(
            cases.raise_alert(
                session=session,
                actor=actor,
                source="seal",
                kind=f.kind,
                container_number=container_number,
                declaration_id=declaration.id,
                hub=declaration.hub,
                severity=3 if f.kind == "seal.changed" else 2,
                title=f"{container_number}: seal {'/'.join(f.missing) or '-'} -> {'/'.join(f.extra) or '-'} "
                f"at {f.where or '?'} (rip-on sign)",
                detail={
                    "event_id": f.event_id,
                    "at": f.at.isoformat(),
                    "missing": list(f.missing),
                    "extra": list(f.extra),
                    "declared": sorted(normalise(declaration.seal_numbers)),
                },
                dedup_key=",".join(f.missing + f.extra),
            )
        )
    return alerts


# -- telemetry ----------------------------------------------------------------------------------------------


def _parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        at = value
    else:
        try:
            at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationFailed(f"bad time {value!r}") from exc
    if at.tzinfo is None:
        raise ValidationFailed(f"time {value!r} has no timezone")
    return at


def reading_from_dcsa_iot(event: dict[str, Any]) -> dict[str, Any]:
    """Map one DCSA 3.0.0 IOT event (DRO/DRC) to a telemetry reading."""
    code = ((event.get("iotDetails") or {}).get("iotEventCode") or "").upper()
    if code not in ("DRO", "DRC"):
        raise ValidationFailed(f"IOT event code {code!r} is not a door event (DRO/DRC)")
    place = event.get("eventLocation") or {}
    geo = place.get("geoCoordinate") or {}
    return {
        "reading_id": event["eventID"],
        "container_number": (event.get("equipmentDetails") or {}).get("equipmentReference"),
        "kind": "door",
        "status": "open" if code == "DRO" else "closed",
        "at": event["eventDateTime"],
        "latitude": geo.get("latitude"),
        "longitude": geo.get("longitude"),
        "location": place.get("locationName"),
        "device_id": ((event.get("eventRouting") or {}).get("originatingParty") or {}).get("partyCode"),
    }


def ingest_readings(
    *, session: Session, actor: Principal, readings: Iterable[dict[str, Any]], source: str
) -> tuple[int, int, list[Alert]]:
    """Store readings (e-seal status, door, location), each once by reading_id; judge every opening.
    Returns (stored, duplicates, alerts)."""
    actor.require("custody:write")
    actor.require("intel:write")  # door alarms are intelligence; terminals report via DCSA events instead
    stored = duplicates = 0
    alerts: list[Alert] = []
    for raw in readings:
        try:
            reading = SealTelemetry(
                reading_id=str(raw["reading_id"])[:100],
                container_number=str(raw["container_number"]).strip().upper(),
                device_id=raw.get("device_id"),
                kind=str(raw.get("kind", "eseal")),
                status=raw.get("status"),
                seal_number=raw.get("seal_number"),
                at=_parse_time(raw["at"]),
                latitude=float(raw["latitude"]) if raw.get("latitude") is not None else None,
                longitude=float(raw["longitude"]) if raw.get("longitude") is not None else None,
                location=raw.get("location"),
                source=source[:200],
                payload=json.loads(
                    json.dumps({k: v for k, v in raw.items() if k != "reading_id"}, default=str)
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationFailed(f"bad telemetry reading {raw!r:.200}: {exc}") from exc
        if reading.kind not in ("door", "eseal", "location"):
            raise ValidationFailed(f"unknown telemetry kind {reading.kind!r}")
        if session.scalar(select(SealTelemetry.id).where(SealTelemetry.reading_id == reading.reading_id)):
            duplicates += 1
            continue
        session.add(reading)
        session.flush()
        stored += 1
        if reading.kind in ("door", "eseal") and reading.status in ("open", "tampered"):
            alert = judge_opening(
                session=session,
                actor=actor,
                container_number=reading.container_number,
                at=reading.at,
                location=reading.location,
                ref=reading.reading_id,
                channel=reading.kind,
            )
            if alert is not None:
                alerts.append(alert)
    audit.record(
        session=session,
        actor=actor,
        action="custody.telemetry_ingest",
        entity_type="telemetry",
        entity_id=source[:128],
        detail={"stored": stored, "duplicates": duplicates},
    )
    return stored, duplicates, alerts


def ingest_door_events(
    *, session: Session, actor: Principal, since: datetime | None = None
) -> tuple[int, int, list[Alert]]:
    """Judge the DCSA DRO/DRC events that ingest stored as container events, each once (the event id is the
    reading id, so re-running is safe)."""
    query = (
        select(ContainerEvent)
        .where(
            ContainerEvent.type_code.in_(("DRO", "DRC")),
            ContainerEvent.equipment_reference.is_not(None),
            ~select(SealTelemetry.id).where(SealTelemetry.reading_id == ContainerEvent.event_id).exists(),
        )
        .order_by(ContainerEvent.event_datetime)
    )
    if since is not None:
        query = query.where(ContainerEvent.event_datetime >= since)
    readings = []
    for ev in session.scalars(query):
        place = (ev.payload or {}).get("eventLocation") or {}
        readings.append(
            {
                "reading_id": ev.event_id,
                "container_number": ev.equipment_reference,
                "kind": "door",
                "status": "open" if ev.type_code == "DRO" else "closed",
                "at": ev.event_datetime,
                "location": (place.get("locationName") if isinstance(place, dict) else None)
                or ev.facility_code,
            }
        )
    return ingest_readings(session=session, actor=actor, readings=readings, source="dcsa-events")


@dataclass(frozen=True)
class Verdict:
    authorised: bool
    why: str
    position: str  # at_sea | terminal | outside | unknown


def _position(session: Session, container_number: str, at: datetime) -> str:
    last = session.scalar(
        select(ContainerEvent.type_code)
        .where(
            ContainerEvent.equipment_reference == container_number,
            ContainerEvent.type_code.in_(POSITION_CODES),
            ContainerEvent.event_classifier == "ACT",
            ContainerEvent.event_datetime <= at,
        )
        .order_by(ContainerEvent.event_datetime.desc())
        .limit(1)
    )
    return {
        "LOAD": "at_sea",
        "DISC": "terminal",
        "GTIN": "terminal",
        "GTOT": "outside",
        "PICK": "outside",
    }.get(last or "", "unknown")


def assess_opening(session: Session, container_number: str, at: datetime, location: str | None) -> Verdict:
    """May the doors open here and now? During inspection in the guarded area, or after delivery (gate out)
    or around a recorded stripping; not at sea, not in the stack, not under control outside inspection."""
    plan = active_plan(session, container_number)
    position = _position(session, container_number, at)
    if plan is not None:
        if plan.state == "inspecting" and (location is None or location == plan.guarded_area):
            return Verdict(True, "inspection in the guarded area", position)
        return Verdict(False, f"under customs control ({plan.state}), not being inspected here", position)
    stripping = session.scalar(
        select(ContainerEvent.id)
        .where(
            ContainerEvent.equipment_reference == container_number,
            ContainerEvent.type_code == "STRP",
            ContainerEvent.event_datetime.between(at - STRIP_WINDOW, at + STRIP_WINDOW),
        )
        .limit(1)
    )
    if stripping is not None:
        return Verdict(True, "stripping recorded", position)
    if position == "outside":
        return Verdict(True, "delivered (gated out)", position)
    return Verdict(
        False,
        {"at_sea": "at sea", "terminal": "in the terminal stack"}.get(position, "unknown place"),
        position,
    )


def _channels(
    session: Session, container_number: str, at: datetime, ref: str, channel: str
) -> tuple[set[str], datetime]:
    """Independent signals of an opening near ``at`` (door sensor, e-seal, DCSA DRO event; other ids) and the
    earliest of them, which anchors the alert: signals minutes apart on either side of a clock hour are one
    opening, not two."""
    found = {channel}
    first = at
    window = (at - CORROBORATION_WINDOW, at + CORROBORATION_WINDOW)
    for kind, seen_at in session.execute(
        select(SealTelemetry.kind, SealTelemetry.at).where(
            SealTelemetry.container_number == container_number,
            SealTelemetry.reading_id != ref,
            SealTelemetry.status.in_(("open", "tampered")),
            SealTelemetry.at.between(*window),
        )
    ):
        found.add(kind)
        first = min(first, seen_at)
    event_at = session.scalar(
        select(func.min(ContainerEvent.event_datetime)).where(
            ContainerEvent.equipment_reference == container_number,
            ContainerEvent.type_code == "DRO",
            ContainerEvent.event_id != ref,
            ContainerEvent.event_datetime.between(*window),
        )
    )
    if event_at is not None:
        found.add("event")
        first = min(first, event_at)
    return found, first


def judge_opening(
    *,
    session: Session,
    actor: Principal,
    container_number: str,
    at: datetime,
    location: str | None,
    ref: str,
    channel: str,
) -> Alert | None:
    """Raise a seal alarm for an opening outside an authorised place/time. One uncorroborated signal is
    a lower severity (sensors misfire); two independent channels are believed."""
    verdict = assess_opening(session, container_number, at, location)
    plan = active_plan(session, container_number)
    if plan is not None and check_facility_ok(actor, plan.facility_code):
        record_step(
            session=session,
            actor=actor,
            plan_id=plan.id,
            step="door_opened",
            at=at,
            location=location,
            event_ref=ref,
            detail={"channel": channel, "authorised": verdict.authorised},
        )
    if verdict.authorised:
        return None
    channels, first = _channels(session, container_number, at, ref, channel)
    corroborated = len(channels) >= 2
    # An e-seal reports that it was broken, not that a door moved: say what the sensor said.
    what = "e-seal found breached" if channel == "eseal" else "door opened"
    base = 3 if (plan is not None or verdict.position == "at_sea") else 2
    severity = 4 if corroborated else max(1, base - 1)
    return cases.raise_alert(
        session=session,
        actor=actor,
        source="seal",
        kind="seal.door_opened",
        container_number=container_number,
        hub=plan.hub if plan else None,
        severity=severity,
        title=f"{container_number}: {what} {verdict.why}" + ("" if corroborated else " (single signal)"),
        detail={
            "at": at.isoformat(),
            "location": location,
            "ref": ref,
            "channels": sorted(channels),
            "position": verdict.position,
        },
        dedup_key=first.strftime("%Y%m%d%H%M"),
    )


def check_facility_ok(actor: Principal, facility_code: str) -> bool:
    try:
        check_facility(actor, facility_code, write=True)
    except Exception:
        return False
    return True
