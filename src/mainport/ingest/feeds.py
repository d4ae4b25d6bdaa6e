"""Records of the smaller feeds -> rows: staff look-ups (access logs), e-seal status, inspections, seizures.

Pure (no database): every field is checked here (see docs/ingest.md); what needs the database (references
to stored declarations, records already stored) is checked by the service. Each validator returns the row
to store and raises `Invalid` with "field: problem (value ...)" otherwise.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Any

from mainport.ingest import checks
from mainport.ingest.checks import Invalid
from mainport.reference.nodes import NODES

FUTURE_TOLERANCE = timedelta(days=1)
ACCESS_KINDS = ("status", "position", "release_code", "gate_entry", "baggage_lookup")
CONTAINER_LOOKUPS = ("status", "position", "release_code")  # look-ups of one container's data
ESEAL_STATUS = {"INTACT": "closed", "BREACHED": "tampered"}  # -> custody's SealTelemetry.status
INSPECTION_KINDS = ("scan", "physical")
INSPECTION_RESULTS = ("found", "not_found", "pending")
FOUND_BY = ("inspection", "consignee", "diver", "border", "tip", "police", "intelligence", "other")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")  # drug, modus operandi


def _required(d: dict[str, Any], name: str, max_len: int) -> str:
    text = checks.text(d, name, max_len, required=True)
    assert text is not None
    return text


def _time(d: dict[str, Any], name: str, now: datetime) -> datetime:
    at = checks.timestamp(name, d.get(name))
    if at > now + FUTURE_TOLERANCE:
        raise Invalid(f"{name}: more than 1 day in the future (value {d.get(name)!r})")
    return at


def _hub(d: dict[str, Any]) -> str:
    hub = _required(d, "hub", 40).lower()
    if hub not in NODES:
        raise Invalid(f"hub: unknown hub (value {d.get('hub')!r}; known: {', '.join(NODES)})")
    return hub


def _container(d: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = d.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(f"{name}: required field missing or empty")
        return None
    return checks.container_number(name, value)


def _unlocode(d: dict[str, Any], name: str) -> str | None:
    value = d.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return checks.unlocode(name, value)


def _enum(d: dict[str, Any], name: str, allowed: tuple[str, ...], *, upper: bool = False) -> str:
    raw = _required(d, name, 40)
    value = raw.upper() if upper else raw.lower()
    if value not in allowed:
        raise Invalid(f"{name}: not one of {', '.join(allowed)} (value {raw!r})")
    return value


def _code(d: dict[str, Any], name: str, *, default: str | None = None) -> str | None:
    value = checks.text(d, name, 32)
    if value is None:
        return default
    code = value.lower()
    if not _CODE.match(code):
        raise Invalid(f"{name}: must be a lower-case code of letters, digits and _ (value {value!r})")
    return code


def _kg(d: dict[str, Any], name: str, *, required: bool) -> float:
    value = d.get(name)
    if value is None or value == "":
        if required:
            raise Invalid(f"{name}: required field missing or empty")
        return 0.0
    try:
        kg = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        raise Invalid(f"{name}: not a number (value {value!r:.60})") from None
    if kg != kg or kg in (float("inf"), float("-inf")):
        raise Invalid(f"{name}: not a finite number (value {value!r:.60})")
    if kg < 0:
        raise Invalid(f"{name}: negative mass (value {value!r:.60})")
    return kg


def _digest(*parts: object) -> str:
    return hashlib.sha1("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()


# --- the four kinds -----------------------------------------------------------------------------------------


def access(d: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """A staff look-up: at, user, org, hub, unlocode, facility, container_number, kind, object."""
    at = _time(d, "at", now)
    user = _required(d, "user", 64)
    org = _required(d, "org", 32)
    hub = _hub(d)
    kind = _enum(d, "kind", ACCESS_KINDS)
    unlocode = _unlocode(d, "unlocode")
    facility = checks.text(d, "facility", 16)
    container = _container(d, "container_number", required=kind in CONTAINER_LOOKUPS)
    obj = checks.text(d, "object", 100)
    return {
        "key": _digest(at.isoformat(), user, org, hub, kind, container, obj, unlocode, facility),
        "at": at,
        "username": user,
        "org_code": org,
        "hub": hub,
        "unlocode": unlocode,
        "facility_code": facility.upper() if facility else None,
        "container_number": container,
        "kind": kind,
        "object": obj,
    }


def eseal(d: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """An e-seal status report: equipmentReference, sealNumber, reportedAt, UNLocationCode, status.

    Returns a custody telemetry reading (`custody.seals.ingest_readings`); its reading_id is derived from the
    container, seal and time, so the same report received twice is stored once.
    """
    kind = d.get("kind")
    if kind is not None and kind != "eseal_status":
        raise Invalid(f"kind: not an e-seal status record (value {kind!r:.60})")
    container = _container(d, "equipmentReference", required=True)
    seal = checks.text(d, "sealNumber", 32)
    at = _time(d, "reportedAt", now)
    place = _unlocode(d, "UNLocationCode")
    reported = _enum(d, "status", tuple(ESEAL_STATUS), upper=True)
    return {
        "reading_id": f"eseal:{container}:{seal or '-'}:{at.strftime('%Y%m%dT%H%M%SZ')}",
        "container_number": container,
        "kind": "eseal",
        "status": ESEAL_STATUS[reported],
        "seal_number": seal,
        "at": at,
        "location": place,
        "reported_status": reported,
    }


def inspection(d: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """A customs inspection: reference and/or container_number, hub, kind, inspected_at, result, kg_found."""
    reference = checks.text(d, "reference", 40)
    container = _container(d, "container_number")
    if reference is None and container is None:
        raise Invalid("reference: a reference or a container_number is required")
    hub = _hub(d)
    kind = _enum(d, "kind", INSPECTION_KINDS)
    at = _time(d, "inspected_at", now)
    result = _enum(d, "result", INSPECTION_RESULTS)
    kg = _kg(d, "kg_found", required=False)
    if result == "found" and kg <= 0:
        raise Invalid(f"kg_found: a 'found' result needs kg_found > 0 (value {d.get('kg_found')!r})")
    if result != "found" and kg > 0:
        raise Invalid(f"kg_found: must be 0 when the result is {result!r} (value {d.get('kg_found')!r})")
    return {
        "reference": reference,
        "container_number": container,
        "hub": hub,
        "kind": kind,
        "inspected_at": at,
        "result": result,
        "kg_found": kg,
    }


def seizure(d: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """A seizure: hub, seized_at, drug, kg, modus_operandi, container_number, reference, found_by."""
    hub = _hub(d)
    at = _time(d, "seized_at", now)
    kg = _kg(d, "kg", required=True)
    if kg <= 0:
        raise Invalid(f"kg: a seizure needs kg > 0 (value {d.get('kg')!r})")
    drug = _code(d, "drug", default="cocaine")
    modus = _code(d, "modus_operandi")
    container = _container(d, "container_number")
    reference = checks.text(d, "reference", 40)
    found_by = _enum(d, "found_by", FOUND_BY)
    return {
        "hub": hub,
        "seized_at": at,
        "drug": drug,
        "kg": kg,
        "modus_operandi": modus,
        "container_number": container,
        "reference": reference,
        "found_by": found_by,
    }


VALIDATORS = {"access": access, "eseal": eseal, "inspections": inspection, "seizures": seizure}


def identity(kind: str, row: dict[str, Any]) -> object:
    """What makes two records of a kind the same record (duplicates within a file)."""
    if kind == "access":
        return row["key"]
    if kind == "eseal":
        return row["reading_id"]
    if kind == "inspections":
        return (row["hub"], row["kind"], row["inspected_at"], row["container_number"], row["reference"])
    return (
        row["hub"],
        row["seized_at"],
        row["drug"],
        round(row["kg"], 3),
        row["modus_operandi"],
        row["container_number"],
    )
