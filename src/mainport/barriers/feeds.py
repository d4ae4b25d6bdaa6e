"""The barrier feeds: badge events of access-control systems and ANPR/camera detections at the gates of the
port facilities in the ISPS register.

`mainport ingest badge_events FILE` and `mainport ingest anpr FILE` (JSON Lines). Checked here (pure, lean:
these run to millions a day); stored by `barriers.service` in bulk, each event once by its key (its own
eventId, else a digest of facility, badge/camera, time and direction); an event at a facility the register
does not know is quarantined with that reason."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mainport.barriers import service
from mainport.identity.principal import Principal
from mainport.ingest import checks
from mainport.ingest.checks import Invalid
from mainport.ingest.registry import Feed, Stored, register

_DIRECTIONS = {"IN": "in", "OUT": "out", "in": "in", "out": "out"}
_PLATE = re.compile(r"^[A-Z0-9]{1,12}$")
_FACILITY = re.compile(r"^[A-Z]{5}-[0-9]{4}$")


def _facility(d: dict[str, Any]) -> str:
    value = d.get("facility")
    if not isinstance(value, str) or _FACILITY.match(value) is None:
        raise Invalid(f"facility: an ISPS port facility number like NLRTM-0001 (value {value!r:.40})")
    return value


def _direction(d: dict[str, Any], *, required: bool) -> str | None:
    value = d.get("direction")
    if value is None and not required:
        return None
    found = _DIRECTIONS.get(value) if isinstance(value, str) else None
    if found is None:
        raise Invalid(f"direction: IN or OUT (value {value!r:.40})")
    return found


def _key(d: dict[str, Any], *parts: str | None) -> str:
    own = d.get("eventId")
    if own is not None:
        if not isinstance(own, str) or not 0 < len(own) <= 40:
            raise Invalid(f"eventId: text of 1-40 characters (value {own!r:.60})")
        return own
    joined = "\x1f".join("" if p is None else p for p in parts)
    return hashlib.sha1(joined.encode(), usedforsecurity=False).hexdigest()


def _text(d: dict[str, Any], name: str, max_len: int, *, required: bool = False) -> str | None:
    """checks.text with a fast path for the common clean value (these feeds run to millions a day)."""
    value = d.get(name)
    if (
        type(value) is str
        and 0 < len(value) <= max_len
        and not value[0].isspace()
        and not value[-1].isspace()
    ):
        return value
    return checks.text(d, name, max_len, required=required)


def badge_event(d: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """facility, badge, direction (IN/OUT), at; gate, granted (default true), eventId optional."""
    facility = _facility(d)
    badge = _text(d, "badge", 64, required=True)
    assert badge is not None
    direction = _direction(d, required=True)
    at = checks.moment(d, "at", now)
    granted = d.get("granted", True)
    if not isinstance(granted, bool):
        raise Invalid(f"granted: true or false (value {granted!r:.40})")
    gate = _text(d, "gate", 64)
    return {
        "key": _key(d, facility, badge, direction, gate, str(d["at"])),
        "facility_code": facility,
        "badge": badge,
        "direction": direction,
        "gate": gate,
        "granted": granted,
        "at": at,
    }


def anpr(d: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """facility, camera, at, plate and/or containerNumber; direction, confidence (0-1), eventId optional."""
    facility = _facility(d)
    camera = _text(d, "camera", 64, required=True)
    assert camera is not None
    at = checks.moment(d, "at", now)
    raw = d.get("plate")
    plate = None
    if raw is not None:
        plate = raw.replace("-", "").replace(" ", "").upper() if isinstance(raw, str) else None
        if plate is None or _PLATE.match(plate) is None:
            raise Invalid(f"plate: letters and digits, at most 12 (value {raw!r:.40})")
    box = checks.container(d, "containerNumber")
    if plate is None and box is None:
        raise Invalid("plate: a detection needs a plate or a containerNumber")
    confidence = d.get("confidence", 1.0)
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        raise Invalid(f"confidence: a number from 0 to 1 (value {confidence!r:.40})")
    return {
        "key": _key(d, facility, camera, plate, box, str(d["at"])),
        "facility_code": facility,
        "camera": camera,
        "plate": plate,
        "container_number": box,
        "direction": _direction(d, required=False),
        "confidence": float(confidence),
        "at": at,
    }


def _store_badges(
    *, session: Session, actor: Principal, rows: Sequence[dict[str, Any]], source: str, run_id: int | None
) -> Stored:
    stored, duplicates, refused = service.store_badge_events(
        session=session, actor=actor, rows=rows, source=source, run_id=run_id
    )
    return Stored(stored, duplicates, refused)


def _store_detections(
    *, session: Session, actor: Principal, rows: Sequence[dict[str, Any]], source: str, run_id: int | None
) -> Stored:
    stored, duplicates, refused = service.store_detections(
        session=session, actor=actor, rows=rows, source=source, run_id=run_id
    )
    return Stored(stored, duplicates, refused)


BADGES = register(
    Feed(
        kind="badge_events",
        record="badge_event",
        permissions=("insider:write",),
        validate=badge_event,
        identity=lambda row: row["key"],
        store=_store_badges,
        help="Ingest access-control badge events (in/out, granted/refused) at ISPS facilities (JSON Lines).",
        containers=lambda row: None,
    )
)
DETECTIONS = register(
    Feed(
        kind="anpr",
        record="camera_detection",
        permissions=("events:write",),
        validate=anpr,
        identity=lambda row: row["key"],
        store=_store_detections,
        help="Ingest ANPR / camera detections (plates, container numbers) at ISPS facilities (JSON Lines).",
        containers=lambda row: None,  # an OCR read does not make a box known
    )
)
