"""How big the first-start world is and when things happen in it (pure: dates and the world's settings).

The world's present is the moment `make run` starts: its last simulated past day is today. It runs
`horizon_days` further so that the boxes already on their way exist (declared, loaded abroad, arriving in
the coming days as estimates); the writers leave out everything dated after now (docs/world.md), so the
product receives only what is known today. Weeks start on Monday, as the monitoring periods do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from mainport.targeting.selection import Capacity
from mainport.world.config import CAPACITY_SHARE, WorldConfig


@dataclass(frozen=True)
class DemoPlan:
    weeks_before: int = 6  # full weeks before the enforcement change at `change_hub`
    weeks_after: int = 3  # full weeks after it, then the current week up to today
    horizon_days: int = 7  # boxes on their way: arrivals in the coming days
    scale: float = 0.002
    # The small hubs would have a box a day at this scale: shown larger, so that their pages hold something.
    hub_volume: dict[str, float] = field(
        default_factory=lambda: {"zeeland_west_brabant": 4.0, "north_sea_canal": 12.0}
    )
    boost: float = 600.0  # smuggling attempts x this: enough loads to find in a small world
    adaptation_rate: float = 0.5  # smugglers re-plan fast, so that the waterbed shows within weeks
    seed: int = 1
    change_hub: str = "rotterdam"
    change_factor: float = 3.0  # the world's customs scan this many times more boxes there from the change
    # The waterbed: `displaced_after` days after the change, this share of the loads meant for change_hub
    # go to displaced_to instead.
    displaced_to: str = "zeeland_west_brabant"
    displaced_share: float = 0.8
    displaced_after: int = 3
    # Share of each hub's boxes the world's customs scan on arrival (their existing practice; the world's
    # calibrated shares where not given): the small hubs scan a larger share of their few boxes.
    world_scanning: dict[str, float] = field(default_factory=lambda: {"zeeland_west_brabant": 0.05})
    # mainport's daily selections per hub: the last N filing days, today included. Sea boxes are filed weeks
    # before they arrive, so the ports' selections reach further back for outcomes to have come in.
    live_days: dict[str, int] = field(
        default_factory=lambda: {
            "rotterdam": 7,
            "zeeland_west_brabant": 7,
            "north_sea_canal": 3,
            "schiphol": 4,
            "flower_auctions": 3,
        }
    )
    capacity: dict[str, Capacity] = field(
        default_factory=lambda: {
            "rotterdam": Capacity(scan=3, physical=1),
            "zeeland_west_brabant": Capacity(scan=1, physical=1),
            "north_sea_canal": Capacity(scan=1, physical=0),
            "schiphol": Capacity(scan=2, physical=1),
            "flower_auctions": Capacity(scan=1, physical=1),
        }
    )
    scan_pairs: int = 3  # origin + arrival scan pairs rendered and compared (about a second each)
    custody_days: int = 4  # custody plans for selected boxes arriving within these days (or just arrived)
    seal_check_days: int = 10  # seal checks over the boxes discharged in these last days
    cases_from_alerts: int = 6  # alerts the analyst takes into a case and sends for a physical search
    release_rights: int = 5

    def __post_init__(self) -> None:
        if self.weeks_before < 2 or self.weeks_after < 2:
            raise ValueError("the waterbed needs at least two weeks before and after the change")
        if not all(1 <= n <= 7 * (self.weeks_before + self.weeks_after) for n in self.live_days.values()):
            raise ValueError("live_days must lie within the simulated weeks")


@dataclass(frozen=True)
class Timeline:
    now: datetime
    start: date  # first simulated day
    change: date  # the Monday enforcement rises at the change hub
    today: date
    days: int  # simulated days, horizon included

    @property
    def change_day(self) -> int:
        return (self.change - self.start).days

    def live_days(self, n: int) -> list[date]:
        return [self.today - timedelta(days=k) for k in range(n - 1, -1, -1)]


def timeline(plan: DemoPlan, now: datetime | None = None) -> Timeline:
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = now.astimezone(UTC).date()
    this_monday = today - timedelta(days=today.weekday())
    change = this_monday - timedelta(weeks=plan.weeks_after)
    start = change - timedelta(weeks=plan.weeks_before)
    return Timeline(now, start, change, today, (today - start).days + 1 + plan.horizon_days)


def world_config(plan: DemoPlan, tl: Timeline) -> WorldConfig:
    share = CAPACITY_SHARE[plan.change_hub] * plan.change_factor
    return WorldConfig(
        capacity_share={**CAPACITY_SHARE, **plan.world_scanning},
        days=tl.days,
        seed=plan.seed,
        scale=plan.scale,
        start=tl.start,
        smuggling_boost=plan.boost,
        adaptation_rate=plan.adaptation_rate,
        hub_volume=dict(plan.hub_volume),
        capacity_schedule={plan.change_hub: ((tl.change_day, share),)},
        displacement=(
            (tl.change_day + plan.displaced_after, plan.change_hub, plan.displaced_to, plan.displaced_share),
        ),
        declaration_formats=("jsonl",),  # what ingest reads; the CSV copy would only cost time
        now=tl.now,
    )
