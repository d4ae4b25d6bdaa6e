"""Where a selected shipment stands today, as the officer reads it from the product (events, inspections).

Pure decisions on what the declaration page shows: arrived (and when), still on its way, or already
inspected. Sea boxes arrive with their discharge event; air waybills and export trucks have no events in
the feeds, so they count as arrived a day after filing (the flight lands, the truck leaves the auction):
the demo's stated assumption.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

AIR_ROAD_LEAD = timedelta(days=1)
RECENT = timedelta(hours=36)  # discharged this recently: under custody, not inspected yet
INSPECTED_AFTER = timedelta(hours=2)  # an inspection starts this long after discharge

Status = Literal["inspected_before", "inspect", "recent", "on_its_way"]


@dataclass(frozen=True)
class Standing:
    status: Status
    arrival: datetime | None  # discharge (actual or estimated), or the assumed arrival of air and road
    facility: str | None  # terminal of discharge (sea), from the discharge event
    inspect_at: datetime | None = None


def standing(declaration: Any, events: list[Any], inspections: list[Any], now: datetime) -> Standing:
    """`declaration_detail`'s declaration, events and inspections -> what to do with the selected box."""
    if inspections:
        return Standing("inspected_before", None, None)
    if declaration.mode != "sea":
        arrival = declaration.filed_at + AIR_ROAD_LEAD
        if arrival <= now:
            return Standing("inspect", arrival, None, min(arrival + INSPECTED_AFTER, now))
        return Standing("on_its_way", arrival, None)
    discharges = [
        e
        for e in events
        if e.type_code == "DISC" and e.hub == declaration.hub and e.event_datetime >= declaration.filed_at
    ]
    actual = [e for e in discharges if e.event_classifier == "ACT" and e.event_datetime <= now]
    if actual:
        disc = min(actual, key=lambda e: e.event_datetime)
        if now - disc.event_datetime < RECENT:
            return Standing("recent", disc.event_datetime, disc.facility_code)
        return Standing(
            "inspect",
            disc.event_datetime,
            disc.facility_code,
            min(disc.event_datetime + INSPECTED_AFTER, now),
        )
    planned = [e for e in discharges if e.event_classifier in ("EST", "PLN")]
    if planned:
        disc = min(planned, key=lambda e: e.event_datetime)
        return Standing("on_its_way", disc.event_datetime, disc.facility_code)
    return Standing("on_its_way", None, None)
