"""The first start's calendar (pure) and what the officer makes of a selected box (pure)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from mainport.demo.follow import AIR_ROAD_LEAD, RECENT, standing
from mainport.demo.plan import DemoPlan, timeline, world_config

NOW = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)  # a Friday


@pytest.mark.parametrize("days_later", range(7))
def test_the_world_ends_today_and_weeks_start_on_monday(days_later: int) -> None:
    now = NOW + timedelta(days=days_later)
    plan = DemoPlan()
    tl = timeline(plan, now)
    assert tl.today == now.date()
    assert tl.start.weekday() == 0 and tl.change.weekday() == 0
    assert (tl.change - tl.start).days == 7 * plan.weeks_before
    this_monday = tl.today - timedelta(days=tl.today.weekday())
    assert (this_monday - tl.change).days == 7 * plan.weeks_after
    assert tl.days == (tl.today - tl.start).days + 1 + plan.horizon_days
    config = world_config(plan, tl)
    assert config.now == now and config.start == tl.start and config.days == tl.days
    day, src, dst, _share = config.displacement[0]
    assert (src, dst) == (plan.change_hub, plan.displaced_to) and day > tl.change_day
    assert config.capacity_share_on(plan.change_hub, tl.change_day) > config.capacity_share_on(
        plan.change_hub, tl.change_day - 1
    )


def test_a_plan_needs_weeks_on_both_sides_and_an_aware_now() -> None:
    with pytest.raises(ValueError, match="two weeks"):
        DemoPlan(weeks_before=1)
    with pytest.raises(ValueError, match="live_days"):
        replace(DemoPlan(), live_days={"rotterdam": 0})
    with pytest.raises(ValueError, match="timezone"):
        timeline(DemoPlan(), datetime(2026, 12, 4))


@dataclass
class Decl:
    mode: str
    hub: str
    filed_at: datetime


@dataclass
class Event:
    type_code: str
    hub: str | None
    event_datetime: datetime
    event_classifier: str
    facility_code: str | None = "ECTDE"


def test_where_a_selected_box_stands() -> None:
    filed = NOW - timedelta(days=20)
    sea = Decl("sea", "rotterdam", filed)
    long_ago = Event("DISC", "rotterdam", NOW - timedelta(days=3), "ACT")
    just_now = Event("DISC", "rotterdam", NOW - RECENT / 2, "ACT")
    coming = Event("DISC", "rotterdam", NOW + timedelta(days=2), "EST")
    abroad = Event("DISC", None, NOW - timedelta(days=9), "ACT")  # transhipment: not the hub's discharge
    inspect = standing(sea, [abroad, long_ago], [], NOW)
    assert inspect.status == "inspect" and inspect.arrival == long_ago.event_datetime
    assert inspect.inspect_at is not None and long_ago.event_datetime < inspect.inspect_at <= NOW
    assert standing(sea, [just_now], [], NOW).status == "recent"
    on_way = standing(sea, [abroad, coming], [], NOW)
    assert on_way.status == "on_its_way" and on_way.facility == "ECTDE"
    assert standing(sea, [long_ago], ["an inspection"], NOW).status == "inspected_before"
    air = Decl("air", "schiphol", NOW - AIR_ROAD_LEAD - timedelta(hours=1))
    assert standing(air, [], [], NOW).status == "inspect"
    assert standing(replace(air, filed_at=NOW - timedelta(hours=3)), [], [], NOW).status == "on_its_way"
