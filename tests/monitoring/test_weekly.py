"""The displacement indicators counted from the database, and the waterbed run on them (docs/waterbed.md)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any, get_args
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from mainport.audit.models import AuditEntry
from mainport.errors import PermissionDenied, ValidationFailed
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal, system_principal
from mainport.insider.models import StaffLookup
from mainport.monitoring import displacement, indicators, queries, service
from mainport.monitoring.models import WaterbedSignal
from mainport.monitoring.schemas import WaterbedMetric
from mainport.shipments.models import ContainerEvent, Declaration, Inspection, Party, Seizure

Headers = Callable[[Principal], dict[str, str]]
UNLOCODE = {
    "rotterdam": "NLRTM",
    "zeeland_west_brabant": "NLVLI",
    "north_sea_canal": "NLAMS",
    "schiphol": "NLSPL",
    "flower_auctions": "NLAAL",
}
W1, W2 = pd.Timestamp("2026-07-06"), pd.Timestamp("2026-07-13")  # Mondays
_ids = count(1)


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """2026-07-(day) hh:mm UTC."""
    return datetime(2026, 7, day, hour, minute, tzinfo=UTC)


def party(session: Session, eori: str) -> Party:
    p = Party(eori=eori, name=eori, country="NL", first_seen=at(1))
    session.add(p)
    session.flush()
    return p


def declare(
    session: Session,
    *,
    hub: str,
    filed: datetime,
    consignee: Party,
    container: str,
    loading: str = "ECGYE",
    routing: list[str] | None = None,
    seals: list[str] | None = None,
) -> None:
    n = next(_ids)
    session.add(
        Declaration(
            reference=f"ENSW{n:08d}",
            filed_at=filed,
            bill_of_lading=f"BLW{n}",
            consignor_id=consignee.id,
            consignee_id=consignee.id,
            place_of_loading=loading,
            place_of_discharge=UNLOCODE[hub],
            countries_of_routing=routing or [],
            hs_code="080390",
            goods_description="bananas",
            packages=1,
            gross_mass_kg=20000.0,
            seal_numbers=seals or [],
            hub=hub,
            source="test",
            container_number=container,
        )
    )


def disc(
    session: Session, *, hub: str, when: datetime, container: str, seals: list[str], classifier: str = "ACT"
) -> None:
    n = next(_ids)
    session.add(
        ContainerEvent(
            event_id=f"evw{n}",
            event_type="EQUIPMENT",
            event_classifier=classifier,
            type_code="DISC",
            event_datetime=when,
            event_created_datetime=when,
            equipment_reference=container,
            unlocode=UNLOCODE[hub],
            seals=seals,
            hub=hub,
            source="test",
            payload={},
        )
    )


def lookup_row(hub: str, when: datetime, kind: str, user: str = "u1") -> dict[str, Any]:
    n = next(_ids)
    return {
        "key": hashlib.sha1(f"{n}".encode()).hexdigest(),
        "at": when,
        "username": user,
        "org_code": "TERM-1",
        "hub": hub,
        "unlocode": UNLOCODE[hub],
        "container_number": "MSCU1234565",
        "kind": kind,
        "source": "test",
    }


def seed_indicators(session: Session) -> None:
    """Two weeks (2026-07-06 .. 07-19) with known counts per indicator; comments say what counts."""
    old, fresh, fresh2, fresh3 = (party(session, e) for e in ("NLOLD", "NLFRESH", "NLFRESH2", "DEFRESH3"))
    # Declarations before the window set first-seen: `old` in May, `fresh2` on 07-01.
    declare(session, hub="rotterdam", filed=datetime(2026, 5, 1, tzinfo=UTC), consignee=old, container="C0")
    declare(session, hub="rotterdam", filed=at(1), consignee=fresh2, container="C7")
    # new_consignee_source: rotterdam W1 = 1, zeeland W1 = 1, north_sea_canal W2 = 1.
    declare(session, hub="rotterdam", filed=at(6), consignee=old, container="C1", seals=["SL1"])  # old party
    declare(session, hub="rotterdam", filed=at(7), consignee=fresh, container="C2", seals=["SL2"])  # counted
    declare(
        session,
        hub="zeeland_west_brabant",
        filed=at(8),
        consignee=fresh,
        container="C3",
        loading="BRSSZ",
        seals=["SL3"],
    )  # counted: Brazil, fresh first seen 1 day before
    declare(
        session,
        hub="zeeland_west_brabant",
        filed=at(14, 9),
        consignee=fresh,
        container="C4",
        loading="CNSHA",
        routing=["CN"],
    )  # not counted: 7 days after first seen
    declare(
        session,
        hub="north_sea_canal",
        filed=at(13),
        consignee=fresh,
        container="C5",
        loading="CNSHA",
        routing=["CN", "PA"],
        seals=["SL5"],
    )  # counted: routed via Panama, 6 days
    declare(session, hub="rotterdam", filed=at(15), consignee=fresh2, container="C6")  # 14 days: no
    declare(
        session,
        hub="rotterdam",
        filed=at(7),
        consignee=fresh3,
        container="C8",
        loading="DEHAM",
        routing=["DE"],
    )  # new but not from a source/transit country: no
    declare(
        session, hub="zeeland_west_brabant", filed=at(10), consignee=old, container="C0", seals=["NEW1"]
    )  # C0 again: its newest declaration is the one a discharge is compared with
    # seal_changes: rotterdam W1 = 1, north_sea_canal W2 = 1.
    disc(session, hub="rotterdam", when=at(8), container="C1", seals=["SL9"])  # changed
    disc(session, hub="rotterdam", when=at(9), container="C1", seals=["SL9"])  # the same box again: once
    disc(session, hub="rotterdam", when=at(9), container="C2", seals=["sl 2"])  # the same seal, normalised
    disc(session, hub="zeeland_west_brabant", when=at(15), container="C3", seals=[])  # no seal seen: nothing
    disc(session, hub="north_sea_canal", when=at(14), container="C5", seals=["SLX"])  # changed
    disc(session, hub="north_sea_canal", when=at(14), container="C5", seals=["SLY"], classifier="EST")  # plan
    disc(session, hub="zeeland_west_brabant", when=at(10), container="C9", seals=["S"])  # not declared
    disc(session, hub="zeeland_west_brabant", when=at(16), container="C0", seals=["NEW1"])  # newest: same
    # night_lookups (hour in UTC outside 06-22): rotterdam W1 = 4, schiphol W2 = 1, zeeland W2 = 1.
    amsterdam = ZoneInfo("Europe/Amsterdam")
    rows = [
        lookup_row("rotterdam", at(6, 23, 30), "position"),
        lookup_row("rotterdam", at(7, 3), "release_code"),
        lookup_row("rotterdam", at(7, 5, 59), "gate_entry"),
        lookup_row("rotterdam", at(8, 22), "baggage_lookup"),
        lookup_row("rotterdam", at(7, 12), "position"),  # daytime
        lookup_row("rotterdam", at(7, 6), "gate_entry"),  # 06:00 is working hours
        lookup_row("rotterdam", at(7, 23), "status"),  # not a look-up kind that counts
        lookup_row("rotterdam", datetime(2026, 7, 7, 23, 30, tzinfo=amsterdam), "position"),  # 21:30 UTC
        lookup_row("schiphol", at(14, 1), "baggage_lookup"),
        lookup_row("zeeland_west_brabant", at(19, 23, 59), "position"),  # Sunday of W2
        lookup_row("zeeland_west_brabant", at(20, 0, 30), "position"),  # after the window
    ]
    session.execute(insert(StaffLookup), rows)
    # seizures: rotterdam W1 = 2, north_sea_canal W2 = 1.
    for hub, when in (("rotterdam", at(8)), ("rotterdam", at(8, 14)), ("north_sea_canal", at(15))):
        session.add(Seizure(hub=hub, seized_at=when, kg=100.0, modus_operandi="rip_on"))
    session.flush()


def two_weeks() -> queries.Filters:
    return queries.make_filters(date(2026, 7, 6), date(2026, 7, 20), None)


def expected(cells: dict[tuple[pd.Timestamp, str], float]) -> pd.DataFrame:
    frame = pd.DataFrame(0.0, index=pd.DatetimeIndex([W1, W2]), columns=queries.HUBS)
    for (week, hub), n in cells.items():
        frame.loc[week, hub] = n
    return frame


def test_each_weekly_indicator_per_hub_from_the_database(session: Session) -> None:
    seed_indicators(session)
    frames = queries.indicator_frames(session, two_weeks())
    assert set(frames) == set(indicators.SIGNALS)
    want = {
        "seizures": {(W1, "rotterdam"): 2, (W2, "north_sea_canal"): 1},
        "night_lookups": {(W1, "rotterdam"): 4, (W2, "schiphol"): 1, (W2, "zeeland_west_brabant"): 1},
        "seal_changes": {(W1, "rotterdam"): 1, (W2, "north_sea_canal"): 1},
        "new_consignee_source": {
            (W1, "rotterdam"): 1,
            (W1, "zeeland_west_brabant"): 1,
            (W2, "north_sea_canal"): 1,
        },
    }
    for signal, cells in want.items():
        pd.testing.assert_frame_equal(
            frames[signal], expected(cells), check_freq=False, check_names=False, obj=signal
        )
    combined = indicators.combine(frames)
    pd.testing.assert_frame_equal(
        combined,
        expected(
            {
                (W1, "rotterdam"): 8,
                (W1, "zeeland_west_brabant"): 1,
                (W2, "north_sea_canal"): 3,
                (W2, "schiphol"): 1,
                (W2, "zeeland_west_brabant"): 1,
            }
        ),
        check_freq=False,
        check_names=False,
    )
    # Only the filtered hubs are counted; first-seen still covers declarations at every hub.
    only = queries.make_filters(date(2026, 7, 6), date(2026, 7, 20), ["zeeland_west_brabant"])
    part = queries.indicator_frames(session, only)
    assert list(part["new_consignee_source"].columns) == ["zeeland_west_brabant"]
    assert part["new_consignee_source"]["zeeland_west_brabant"].tolist() == [1.0, 0.0]
    assert part["night_lookups"]["zeeland_west_brabant"].tolist() == [0.0, 1.0]


def test_first_seen_covers_the_whole_database_not_just_the_window(session: Session) -> None:
    seed_indicators(session)
    # A window that starts at 07-15: fresh2 (first declared 07-01) is not new there, nor is fresh (07-07).
    late = queries.make_filters(date(2026, 7, 13), date(2026, 7, 20), None)
    counts = queries.indicator_frames(session, late)["new_consignee_source"]
    assert counts.to_numpy().sum() == 1  # only north_sea_canal on 07-13 (6 days after fresh's first)
    assert counts.loc[W2, "north_sea_canal"] == 1


def test_empty_database_gives_zero_frames(session: Session) -> None:
    frames = queries.indicator_frames(session, two_weeks())
    for frame in frames.values():
        assert frame.shape == (2, len(queries.HUBS)) and frame.to_numpy().sum() == 0


# --- the waterbed run on the indicators --------------------------------------------------------------------

FIRST = date(2025, 9, 1)  # a Monday
WEEKS, CHANGE = 40, 30


def seed_pattern(session: Session, *, jump: bool, seed: int = 7) -> None:
    """40 weeks of night look-ups (Poisson, ~10 a week per hub) and a few seizures; inspections at Rotterdam
    double from week 30 (a recorded measure); with `jump`, North Sea Canal's look-ups triple from week 31."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    inspections: list[dict[str, Any]] = []
    for w in range(WEEKS):
        monday = datetime.combine(FIRST + timedelta(weeks=w), datetime.min.time(), UTC)
        for hub in queries.HUBS:
            rate = 10.0 * (3.0 if jump and hub == "north_sea_canal" and w > CHANGE else 1.0)
            for i in range(rng.poisson(rate)):
                rows.append(lookup_row(hub, monday + timedelta(days=i % 7, hours=1 + i % 4), "position"))
            for i in range(rng.poisson(1.0)):
                session.add(Seizure(hub=hub, seized_at=monday + timedelta(days=i, hours=12), kg=50.0))
        for i in range(20 if w >= CHANGE else 10):
            inspections.append(
                {
                    "container_number": "MSCU1234565",
                    "hub": "rotterdam",
                    "kind": "physical",
                    "inspected_at": monday + timedelta(hours=8 + i % 8),
                    "result": "not_found",
                    "kg_found": 0.0,
                    "recorded_by": "test",
                }
            )
    session.execute(insert(StaffLookup), rows)
    session.execute(insert(Inspection), inspections)
    service.record_measure(
        session=session,
        actor=system_principal(),
        hub="rotterdam",
        year=2026,
        name="more scans",
        budget_eur_m=1.0,
        spent_eur_m=1.0,
        started_on=FIRST + timedelta(weeks=CHANGE),
    )
    session.flush()


def pattern_filters() -> queries.Filters:
    return queries.make_filters(FIRST, FIRST + timedelta(weeks=WEEKS), None)


def test_indicators_jump_after_the_change_is_flagged_and_stored(
    session: Session, principal_factory: Callable[..., Principal]
) -> None:
    seed_pattern(session, jump=True)
    analyst = principal_factory(Role.analyst, OrgKind.customs)
    findings = displacement.run_waterbed(session=session, actor=analyst, filters=pattern_filters())
    flagged = [f for f in findings if f.flagged]
    assert [(f.source_hub, f.target_hub) for f in flagged] == [("rotterdam", "north_sea_canal")]
    top = flagged[0]
    assert str(top.change_start)[:10] == str(FIRST + timedelta(weeks=CHANGE))
    assert top.ratio > 1.5 and top.delay_periods is not None and top.delay_periods <= 4
    assert "displacement indicators" in top.explanation and "look-ups" in top.explanation
    signal = session.scalars(select(WaterbedSignal)).one()
    assert signal.metric == "indicators" and signal.target_hub == "north_sea_canal"
    assert signal.detail["signal"] == "indicators" and signal.detail["signals"] == list(indicators.SIGNALS)
    night = signal.detail["components"]["night_lookups"]
    assert night["post_mean"] > 2 * night["pre_mean"]  # which indicator moved
    assert signal.explanation == top.explanation and "displacement indicators" in signal.explanation
    assert "MSCU" not in str(signal.detail) and "u1" not in str(signal.detail)  # aggregates only
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "monitoring.waterbed_run")).one()
    assert audit.detail["metric"] == "indicators" and audit.detail["flagged"] >= 1
    assert audit.detail["signals"] == list(indicators.SIGNALS)
    # Seizures alone did not move: the same data run on seizures flags nothing, stored apart from the above.
    by_seizures = displacement.run_waterbed(
        session=session, actor=analyst, filters=pattern_filters(), metric="seizures"
    )
    assert by_seizures and not any(f.flagged for f in by_seizures)
    assert "seizures at" in by_seizures[0].explanation
    assert session.scalars(select(WaterbedSignal)).one().metric == "indicators"
    # Re-running is idempotent.
    displacement.run_waterbed(session=session, actor=analyst, filters=pattern_filters())
    assert len(session.scalars(select(WaterbedSignal)).all()) == 1


def test_flat_indicators_are_not_flagged(session: Session) -> None:
    seed_pattern(session, jump=False)
    findings = displacement.run_waterbed(session=session, actor=system_principal(), filters=pattern_filters())
    assert findings and all(f.source_hub == "rotterdam" for f in findings)  # the change was tested
    assert not any(f.flagged for f in findings)
    assert session.scalars(select(WaterbedSignal)).all() == []


def test_metric_choice_and_permission(session: Session, principal_factory: Callable[..., Principal]) -> None:
    assert set(get_args(WaterbedMetric)) == set(displacement.WATERBED_METRICS)  # API and service agree
    assert displacement.WATERBED_METRICS[0] == "indicators"
    with pytest.raises(ValidationFailed):
        displacement.run_waterbed(
            session=session, actor=system_principal(), filters=two_weeks(), metric="night_lookups"
        )
    officer = principal_factory(Role.officer, OrgKind.customs)
    with pytest.raises(PermissionDenied):
        displacement.run_waterbed(session=session, actor=officer, filters=two_weeks())


def test_api_runs_on_indicators_and_guards_the_run(
    app_client: TestClient,
    session: Session,
    principal_factory: Callable[..., Principal],
    token_for: Headers,
) -> None:
    seed_pattern(session, jump=True)
    body = {"start": str(FIRST), "end": str(FIRST + timedelta(weeks=WEEKS))}
    url = "/api/v1/monitoring/waterbed/run"
    assert app_client.post(url, json=body).status_code == 401
    terminal = token_for(principal_factory(Role.analyst, OrgKind.terminal, node_code="rotterdam"))
    assert app_client.post(url, json=body, headers=terminal).status_code == 403
    officer = token_for(principal_factory(Role.officer, OrgKind.customs))
    assert app_client.post(url, json=body, headers=officer).status_code == 403
    customs = token_for(principal_factory(Role.analyst, OrgKind.customs))
    assert app_client.post(url, json={**body, "metric": "bogus"}, headers=customs).status_code == 422
    r = app_client.post(url, json=body, headers=customs)
    assert r.status_code == 200, r.text
    flagged = [f for f in r.json() if f["flagged"]]
    assert [(f["source_hub"], f["target_hub"]) for f in flagged] == [("rotterdam", "north_sea_canal")]
    assert "displacement indicators" in flagged[0]["explanation"]
    signals = app_client.get("/api/v1/monitoring/signals", headers=customs).json()
    assert [s["metric"] for s in signals] == ["indicators"]
    r = app_client.post(url, json={**body, "metric": "seizures"}, headers=customs)
    assert r.status_code == 200 and not any(f["flagged"] for f in r.json())
