"""DCSA event -> container_event row: schema check, then the business checks (see docs/ingest.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from mainport.ingest import checks
from mainport.ingest.checks import Invalid
from mainport.ingest.dcsa.codegen import fast_event_check
from mainport.ingest.dcsa.schema import event_check
from mainport.reference.nodes import hub_for_place

EQUIPMENT_CODES = frozenset(
    {"LOAD", "DISC", "GTIN", "GTOT", "STUF", "STRP", "PICK", "DROP", "INSP", "RSEA", "RMVD"}
)
TRANSPORT_CODES = frozenset({"ARRI", "DEPA"})
IOT_DOOR_CODES = frozenset({"DRO", "DRC"})
CLASSIFIERS = frozenset({"ACT", "PLN", "EST", "REQ"})
# An actual event reported as created more than this before it happened is not believable.
CREATED_BEFORE_TOLERANCE = timedelta(hours=1)
# Clock skew allowed for "now" checks (ACT events and creation times in the future).
FUTURE_TOLERANCE = timedelta(minutes=15)


def _get(d: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def to_row(ev: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """The container_event columns for a valid event; raises Invalid with a precise reason otherwise."""
    version = "3.0.0" if "eventClassification" in ev else "2.2.0"
    if not fast_event_check(version)(ev):
        # The generated check only says no; the closure validator says exactly where and why.
        err = event_check(version)(ev)
        if err is not None:
            raise Invalid(f"DCSA {version} schema: {err}")
    row = _from_v3(ev) if version == "3.0.0" else _from_v2(ev)
    event_id = ev.get("eventID")
    if not isinstance(event_id, str) or not event_id.strip():
        raise Invalid(f"eventID: required (value {event_id!r})")
    if len(event_id) > 100:
        raise Invalid(f"eventID: longer than 100 characters ({len(event_id)})")
    if row["event_classifier"] not in CLASSIFIERS:
        raise Invalid(
            f"eventClassifierCode: must be one of ACT, PLN, EST, REQ (value {row['event_classifier']!r})"
        )
    row["event_id"] = event_id
    at = checks.timestamp("eventDateTime", ev.get("eventDateTime"))
    created_field = "eventCreatedDateTime" if version == "2.2.0" else "eventUpdatedDateTime"
    created = (
        checks.timestamp(created_field, ev.get(created_field))
        if version == "2.2.0" or ev.get(created_field) is not None
        else at
    )
    if created > now + FUTURE_TOLERANCE:
        raise Invalid(f"{created_field}: in the future ({created.isoformat()})")
    if row["event_classifier"] == "ACT":
        if at > now + FUTURE_TOLERANCE:
            raise Invalid(f"eventDateTime: an actual (ACT) event in the future ({at.isoformat()})")
        if created < at - CREATED_BEFORE_TOLERANCE:
            raise Invalid(
                f"{created_field}: an actual (ACT) event created {_hours(at - created)} before it "
                f"happened ({created.isoformat()} < {at.isoformat()})"
            )
    row["event_datetime"], row["event_created_datetime"] = at, created
    # The texts as received: SQLite stores times as text, and slicing a UTC text is cheaper than formatting.
    row["_texts"] = (ev.get("eventDateTime"), ev.get(created_field) if created is not at else None)
    if row["event_type"] in ("EQUIPMENT", "IOT") or row["equipment_reference"] is not None:
        row["equipment_reference"] = checks.container_number("equipmentReference", row["equipment_reference"])
    if row["vessel_imo"] is not None:
        row["vessel_imo"] = checks.imo("vesselIMONumber", row["vessel_imo"])
    for field, code in row.pop("_locations"):
        checks.unlocode(field, code)
    if row["unlocode"] is not None:
        row["unlocode"] = checks.unlocode("UNLocationCode", row["unlocode"])
    voyage = row["voyage_number"]
    if voyage is not None and (not isinstance(voyage, str) or len(voyage) > 50):
        raise Invalid(f"voyage number: must be text of at most 50 characters (value {str(voyage)[:60]!r})")
    if row["facility_code"] is not None and len(row["facility_code"]) > 16:
        raise Invalid(f"facilityCode: longer than 16 characters (value {row['facility_code'][:40]!r})")
    row["hub"] = _hub(row["unlocode"], row["facility_code"])
    return row


@lru_cache(maxsize=10_000)
def _hub(unlocode: str | None, facility_code: str | None) -> str | None:
    return hub_for_place(unlocode, facility_code)  # a loop over the sites: once per place, not per event


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f} h"


def _from_v2(ev: dict[str, Any]) -> dict[str, Any]:
    kind = ev["eventType"]
    tc = ev.get("transportCall") or {}
    loc = ev.get("eventLocation") or {}
    if kind == "EQUIPMENT":
        code = ev["equipmentEventTypeCode"]
    elif kind == "TRANSPORT":
        code = ev["transportEventTypeCode"]
    else:
        code = ev["shipmentEventTypeCode"]
    inbound = code in ("DISC", "ARRI")
    voyage = (
        (tc.get("importVoyageNumber") if inbound else tc.get("exportVoyageNumber"))
        or tc.get("exportVoyageNumber")
        or tc.get("importVoyageNumber")
        or tc.get("carrierVoyageNumber")
    )
    locations = [
        (f, c)
        for f, c in (
            ("eventLocation.UNLocationCode", loc.get("UNLocationCode")),
            ("transportCall.UNLocationCode", tc.get("UNLocationCode")),
        )
        if c
    ]
    return {
        "event_type": kind,
        "event_classifier": ev["eventClassifierCode"],
        "type_code": code,
        "equipment_reference": ev.get("equipmentReference"),
        "empty_indicator": ev.get("emptyIndicatorCode"),
        "unlocode": loc.get("UNLocationCode") or tc.get("UNLocationCode"),
        "facility_code": loc.get("facilityCode") or tc.get("facilityCode"),
        "vessel_imo": _get(tc, "vessel", "vesselIMONumber"),
        "voyage_number": voyage,
        "seals": [s["sealNumber"] for s in ev.get("seals") or ()],
        "_locations": locations,
    }


def _from_v3(ev: dict[str, Any]) -> dict[str, Any]:
    ec = ev["eventClassification"]
    kind = ec.get("eventTypeCode")
    if kind == "EQUIPMENT":
        code = ec.get("equipmentEventTypeCode")
        if code not in EQUIPMENT_CODES:
            raise Invalid(f"eventClassification.equipmentEventTypeCode: not accepted (value {code!r})")
    elif kind == "TRANSPORT":
        code = ec.get("transportEventTypeCode")
        if code not in TRANSPORT_CODES:
            raise Invalid(f"eventClassification.transportEventTypeCode: not accepted (value {code!r})")
    elif kind == "SHIPMENT":
        code = ec.get("shipmentEventTypeCode")
        if not isinstance(code, str) or not 3 <= len(code) <= 4:
            raise Invalid(
                f"eventClassification.shipmentEventTypeCode: must be a 3-4 letter code (value {code!r})"
            )
    elif kind == "IOT":
        code = _get(ev, "iotDetails", "iotEventCode")
        if code not in IOT_DOOR_CODES:
            raise Invalid(f"iotDetails.iotEventCode: only door events DRO/DRC are accepted (value {code!r})")
    else:
        raise Invalid(
            f"eventClassification.eventTypeCode: not accepted (value {kind!r}); "
            "EQUIPMENT, TRANSPORT, SHIPMENT and IOT door events are"
        )
    eq = ev.get("equipmentDetails") or {}
    loc = ev.get("eventLocation") or {}
    tc = _get(ev, "transportDetails", "transportCall") or {}
    inbound = code in ("DISC", "ARRI")
    first, second = ("importVoyageNumberOrReference", "exportVoyageNumberOrReference")[
        :: 1 if inbound else -1
    ]
    voyage = _get(tc, first, "carrierVoyageNumber") or _get(tc, second, "carrierVoyageNumber")
    locations = [("eventLocation.UNLocationCode", loc["UNLocationCode"])] if loc.get("UNLocationCode") else []
    return {
        "event_type": kind,
        "event_classifier": ec.get("eventClassifierCode"),
        "type_code": code,
        "equipment_reference": eq.get("equipmentReference"),
        "empty_indicator": eq.get("emptyIndicatorCode"),
        "unlocode": loc.get("UNLocationCode"),
        "facility_code": _get(loc, "facility", "facilityCode"),
        "vessel_imo": _get(tc, "vesselTransport", "vesselIMONumber"),
        "voyage_number": voyage,
        "seals": [s.get("number") for s in eq.get("seals") or () if isinstance(s, dict) and s.get("number")],
        "_locations": locations,
    }
