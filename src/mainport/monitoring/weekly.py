"""The displacement indicators (mainport.monitoring.indicators) counted from the database, per hub and day.

The waterbed detector was validated on the sum of four product-visible counts per hub and week
(docs/waterbed.md); this module reads the records those counts come from and hands them to the pure counting
in `indicators` (queries here, counting there). Each function returns long rows
``{"hub", "day", "metric", "value"}`` over ``[lo, hi)``, ready for `figures.per_period` like `daily_counts`.
Seizures are counted by `queries.daily_counts` already.

No permission checks here: the caller (`displacement.run_waterbed`, monitoring:write) checks. Staff look-ups
are insider intelligence (`insider:read`); this module only ever returns *counts per hub and day*: no user,
organisation, container or time of a single look-up leaves `night_lookup_rows`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mainport.custody.seals import normalise
from mainport.database import chunks
from mainport.insider.models import StaffLookup
from mainport.monitoring import indicators
from mainport.shipments.models import ContainerEvent, Declaration, Party

# A box's declaration is filed before it is loaded; the one matched to a discharge is the newest filed at most
# this long before it (voyages from South America take 2-5 weeks).
DECLARATION_LOOKBACK = timedelta(days=120)

Row = dict[str, Any]


def _rows(metric: str, per_day: Iterable[tuple[date, dict[str, int]]], hubs: list[str]) -> list[Row]:
    return [
        {"hub": hub, "day": day.isoformat(), "metric": metric, "value": float(n)}
        for day, counts in per_day
        for hub, n in sorted(counts.items())
        if hub in hubs and n
    ]


def _utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def night_lookup_rows(session: Session, lo: datetime, hi: datetime, hubs: list[str]) -> list[Row]:
    """Per hub and UTC day: position / release-code / gate-entry / baggage look-ups outside 06-22 h UTC.

    Only hub, time and kind are read; `indicators.night_lookups` decides what counts (the hour in UTC, as the
    world writes `at` and as the detector was validated).
    """
    stmt = select(StaffLookup.hub, StaffLookup.at, StaffLookup.kind).where(
        StaffLookup.at >= lo,
        StaffLookup.at < hi,
        StaffLookup.hub.in_(hubs),
        StaffLookup.kind.in_(indicators.LOOKUP_KINDS),
    )
    by_day: dict[date, list[Row]] = defaultdict(list)
    for hub, at, kind in session.execute(stmt):
        utc = at.astimezone(UTC)
        by_day[utc.date()].append({"hub": hub, "kind": kind, "at": utc.isoformat()})
    return _rows(
        "night_lookups", ((d, indicators.night_lookups(logs)) for d, logs in sorted(by_day.items())), hubs
    )


def _seal_key(seals: Iterable[str] | None) -> str:
    return "/".join(sorted(normalise(seals or ())))


def seal_change_rows(session: Session, lo: datetime, hi: datetime, hubs: list[str]) -> list[Row]:
    """Per hub and UTC day of discharge: declared boxes whose seals on the DCSA DISC event (actual) are not
    the declared seals (`indicators.seal_changes`).

    Each DISC event is matched to the container's newest declaration filed at or before it (within
    DECLARATION_LOOKBACK); a declared box is counted once, at its first DISC in the window. Events without
    seals, and boxes declared without seals, say nothing.
    """
    events = session.execute(
        select(
            ContainerEvent.hub,
            ContainerEvent.equipment_reference,
            ContainerEvent.event_datetime,
            ContainerEvent.seals,
        )
        .where(
            ContainerEvent.type_code == "DISC",
            ContainerEvent.event_classifier == "ACT",
            ContainerEvent.equipment_reference.is_not(None),
            ContainerEvent.event_datetime >= lo,
            ContainerEvent.event_datetime < hi,
            ContainerEvent.hub.in_(hubs),
        )
        .order_by(ContainerEvent.event_datetime, ContainerEvent.id)
    ).all()
    containers = sorted({str(e.equipment_reference) for e in events})
    declared: dict[str, list[tuple[datetime, int, list[str]]]] = defaultdict(list)
    for chunk in chunks(containers):
        for number, filed, decl_id, seals in session.execute(
            select(
                Declaration.container_number, Declaration.filed_at, Declaration.id, Declaration.seal_numbers
            ).where(
                Declaration.container_number.in_(chunk),
                Declaration.filed_at >= lo - DECLARATION_LOOKBACK,
                Declaration.filed_at < hi,
            )
        ):
            declared[str(number)].append((filed, decl_id, list(seals or [])))
    for versions in declared.values():
        versions.sort()
    seen: set[int] = set()
    by_day: dict[date, list[Row]] = defaultdict(list)
    for hub, number, at, seals in events:
        match = [v for v in declared.get(str(number), []) if v[0] <= at and at - v[0] <= DECLARATION_LOOKBACK]
        if not match:
            continue
        _filed, decl_id, declared_seals = match[-1]
        if decl_id in seen:
            continue
        seen.add(decl_id)
        by_day[_utc_day(at)].append(
            {
                "hub": hub,
                "container_number": number,
                "declared_seal": _seal_key(declared_seals),
                "seal_at_discharge": _seal_key(seals),
            }
        )
    return _rows(
        "seal_changes",
        ((d, indicators.seal_changes(pd.DataFrame(rows))) for d, rows in sorted(by_day.items())),
        hubs,
    )


def new_consignee_rows(session: Session, lo: datetime, hi: datetime, hubs: list[str]) -> list[Row]:
    """Per hub and UTC day of filing: declarations loaded in / routed via source or transit countries to a
    consignee first seen (first declaration, at any hub) fewer than 7 days before (`NewConsigneeWatch`).

    First-seen covers every declaration in the database, not only the window: the watch starts from each
    window consignee's earliest earlier filing, then observes the window day by day in filed order.
    """
    in_window = (Declaration.filed_at >= lo, Declaration.filed_at < hi)
    consignees = select(Declaration.consignee_id).where(*in_window)
    watch = indicators.NewConsigneeWatch()
    for eori, first in session.execute(
        select(Party.eori, func.min(Declaration.filed_at))
        .join(Party, Party.id == Declaration.consignee_id)
        .where(Declaration.filed_at < lo, Declaration.consignee_id.in_(consignees))
        .group_by(Party.eori)
    ):
        watch.first_seen[str(eori)] = _utc_day(first).toordinal()
    columns = ["consignee_eori", "place_of_loading", "countries_of_routing", "hub"]
    by_day: dict[date, list[tuple[Any, ...]]] = defaultdict(list)
    for filed, eori, loading, routing, hub in session.execute(
        select(
            Declaration.filed_at,
            Party.eori,
            Declaration.place_of_loading,
            Declaration.countries_of_routing,
            Declaration.hub,
        )
        .join(Party, Party.id == Declaration.consignee_id)
        .where(*in_window)  # every hub: a consignee first seen at another hub is not new at this one
        .order_by(Declaration.filed_at, Declaration.id)
    ):
        by_day[_utc_day(filed)].append((eori, loading, list(routing or []), hub or ""))
    return _rows(
        "new_consignee_source",
        (
            (d, watch.observe(d.toordinal(), pd.DataFrame(rows, columns=columns)))
            for d, rows in sorted(by_day.items())
        ),
        hubs,
    )


def indicator_rows(session: Session, lo: datetime, hi: datetime, hubs: list[str]) -> list[Row]:
    """The three non-seizure indicators, long rows per hub and day (seizures: `queries.daily_counts`)."""
    return [
        *night_lookup_rows(session, lo, hi, hubs),
        *seal_change_rows(session, lo, hi, hubs),
        *new_consignee_rows(session, lo, hi, hubs),
    ]
