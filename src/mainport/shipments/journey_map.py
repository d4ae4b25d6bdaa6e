"""A container's journey as a map: its stops (origin, transhipments, hub, terminal) from UN/LOCODE
coordinates, the legs between them and the events at each stop, projected into an SVG viewport.

Pure: events in, drawing out (no tiles, no network; the page draws the result as inline SVG). The projection
is equirectangular, scaled by the cosine of the middle latitude so distances look right at the hub's
latitudes, fitted to the stops with a margin; a graticule every 5, 10 or 30 degrees gives the reader a frame.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from mainport.reference.locations import location

WIDTH, HEIGHT, MARGIN = 720, 360, 40


class EventLike(Protocol):
    type_code: str
    event_datetime: datetime
    unlocode: str | None
    facility_code: str | None


@dataclass
class Stop:
    code: str
    name: str
    role: str  # hub | neighbour | source | transit (reference.locations)
    lat: float
    lon: float
    x: float = 0.0
    y: float = 0.0
    events: list[tuple[str, datetime, str | None]] = field(default_factory=list)  # type, time, facility

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"


@dataclass
class JourneyMap:
    width: int
    height: int
    stops: list[Stop]
    legs: list[tuple[float, float, float, float]]
    meridians: list[tuple[float, str]]  # x, label
    parallels: list[tuple[float, str]]  # y, label
    unplaced: list[str]  # codes with no known coordinates: named under the map, never guessed

    @property
    def empty(self) -> bool:
        return not self.stops


def _stops(events: Iterable[EventLike]) -> tuple[list[Stop], list[str]]:
    stops: list[Stop] = []
    unplaced: list[str] = []
    for e in events:
        code = (e.unlocode or "").upper()
        if not code:
            continue
        if stops and stops[-1].code == code:
            stops[-1].events.append((e.type_code, e.event_datetime, e.facility_code))
            continue
        try:
            loc = location(code)
        except (KeyError, ValueError):
            if code not in unplaced:
                unplaced.append(code)
            continue
        stop = Stop(code, loc.name, loc.role, loc.lat, loc.lon)
        stop.events.append((e.type_code, e.event_datetime, e.facility_code))
        stops.append(stop)
    return stops, unplaced


def _step(span: float) -> int:
    return 5 if span <= 25 else 10 if span <= 60 else 30


def draw(events: Sequence[EventLike], width: int = WIDTH, height: int = HEIGHT) -> JourneyMap:
    """Stops in the order the container reached them (a stop visited twice appears twice)."""
    stops, unplaced = _stops(sorted(events, key=lambda e: e.event_datetime))
    if not stops:
        return JourneyMap(width, height, [], [], [], [], unplaced)
    lats = [s.lat for s in stops]
    lons = [s.lon for s in stops]
    mid = math.cos(math.radians((max(lats) + min(lats)) / 2))
    # At least 4 degrees across, so one port alone still shows its surroundings.
    lon_span = max(max(lons) - min(lons), 4.0)
    lat_span = max(max(lats) - min(lats), 4.0)
    lon0 = (max(lons) + min(lons)) / 2 - lon_span / 2
    lat1 = (max(lats) + min(lats)) / 2 + lat_span / 2
    scale = min((width - 2 * MARGIN) / (lon_span * mid), (height - 2 * MARGIN) / lat_span)
    used_w, used_h = lon_span * mid * scale, lat_span * scale
    off_x, off_y = (width - used_w) / 2, (height - used_h) / 2

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return round(off_x + (lon - lon0) * mid * scale, 1), round(off_y + (lat1 - lat) * scale, 1)

    for s in stops:
        s.x, s.y = xy(s.lat, s.lon)
    legs = [(a.x, a.y, b.x, b.y) for a, b in itertools.pairwise(stops)]
    step = _step(max(lon_span, lat_span))
    meridians = []
    for lon in range(math.floor((lon0 - lon_span) / step) * step, math.ceil(lon0 + 2 * lon_span) + 1, step):
        x = xy(lat1, lon)[0]
        if 0 <= x <= width:
            meridians.append((x, f"{abs(lon)}°{'E' if lon >= 0 else 'W'}"))
    parallels = []
    for lat in range(math.floor((lat1 - 2 * lat_span) / step) * step, math.ceil(lat1 + lat_span) + 1, step):
        y = xy(lat, lon0)[1]
        if 0 <= y <= height:
            parallels.append((y, f"{abs(lat)}°{'N' if lat >= 0 else 'S'}"))
    return JourneyMap(width, height, stops, legs, meridians, parallels, unplaced)
