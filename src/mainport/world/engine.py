"""`World`: the simulation, one day at a time, with enforcement in the loop.

world = World(WorldConfig(scale=0.05, seed=1))
for day in range(84):
    view = world.day_declarations(day)           # what the product could know, one row per unit
    for hub in DUTCH_HUBS:
        ids = my_policy(view[view.hub == hub], world.capacity(day, hub))
        world.inspect(day, ids)                  # -> [InspectionOutcome(found, kg, ...)]
    outcome = world.end_day(day)                 # loads resolve, organisations adapt
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from mainport.world import traces
from mainport.world.commodities import COMMODITIES, DESC_OF, KG_OF, commodity_index
from mainport.world.config import CAPACITY_SHARE, DUTCH_HUBS, DUTCH_SEA_HUBS, NEIGHBOUR_HUBS, WorldConfig
from mainport.world.enforcement import (
    DECLARATION_COLUMNS,
    DayOutcome,
    InspectionOutcome,
    Policy,
)
from mainport.world.network import LATAM_LANES, build_network
from mainport.world.parties import build_party_book
from mainport.world.smuggling import (
    ALT_LANE,
    ALT_ORIGIN,
    CONSIGNEE_REPORTS,
    DETECT,
    HIJACKED_EXTRACTION,
    INSIDER_TERMINAL,
    LATAM_AIRPORTS,
    METHODS_NEEDING_INSIDER,
    NEIGHBOUR_PRESSURE,
    Attempt,
    Organisation,
    SeizureNews,
    adapt,
    build_organisations,
    burn,
    draw_kg,
    front_company,
    is_neighbour,
    pick_weighted,
    tip_probability,
)
from mainport.world.trade import (
    DAY,
    HOUR,
    Columns,
    ContainerNumbers,
    air_rows,
    lane_countries,
    sea_rows,
    truck_rows,
)

_POSITIONS = {
    "rip_on": ("doors",),
    "reefer_unit": ("reefer_unit",),
    "structure": ("floor", "roof", "front_wall"),
    "cargo": ("in_cargo",),
    "bulk": ("in_bulk",),
}


@dataclass
class DayState:
    day: int
    rows: Columns
    ids: np.ndarray
    attempts: list[Attempt]
    dirty: dict[int, Attempt]
    view: pd.DataFrame | None = None
    inspected: dict[int, tuple[str, int]] = field(default_factory=dict)  # row -> (kind, time)
    outcome: DayOutcome | None = None
    scan_requests: list[dict[str, Any]] = field(default_factory=list)
    access_logs: list[dict[str, Any]] = field(default_factory=list)
    telemetry: list[dict[str, Any]] = field(default_factory=list)
    insider_actions: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False


class World:
    def __init__(self, config: WorldConfig) -> None:
        self.config = config
        self.net = build_network(config.seed)
        self.book = build_party_book(config.seed, lane_countries())
        self.boxes = ContainerNumbers()
        self.staff = traces.build_staff(config.seed, config.scale, config.staff_per_site)
        self.orgs: list[Organisation] = build_organisations(
            config.seed,
            config.organisations,
            self.staff,
            config.risk_aversion,
            config.scale,
            config.smuggling_boost,
            trait_sensitivity=config.trait_sensitivity,
        )
        if config.careful_insiders:
            careful = np.random.default_rng([config.seed, 7011])
            for o in self.orgs:
                for i in o.insiders:
                    i.careful = bool(careful.random() < config.careful_insiders)
        self._epoch0 = int(
            datetime(config.start.year, config.start.month, config.start.day, tzinfo=UTC).timestamp()
        )
        # What the organisations have heard (the waterbed's memory), starting from what they already knew.
        self.news = SeizureNews.experienced(config.neighbour_interdiction)
        self.news.pressure.update({h: config.capacity_share_on(h, 0) for h in DUTCH_HUBS})
        self.news.inform(self.orgs)
        self._state: DayState | None = None
        self._last_closed = -1

    # -- time -------------------------------------------------------------------------------------------
    def day_start(self, day: int) -> int:
        return self._epoch0 + day * DAY

    def date_of(self, day: int) -> str:
        return (self.config.start + timedelta(days=day)).isoformat()

    def _rng(self, day: int, stream: int) -> np.random.Generator:
        # One independent stream per (day, purpose): legitimate trade is identical across policy variants.
        return np.random.default_rng([self.config.seed, day, stream])

    # -- the day ----------------------------------------------------------------------------------------
    def state(self, day: int) -> DayState:
        if self._state is not None and self._state.day == day:
            return self._state
        if day != self._last_closed + 1:
            raise ValueError(f"day {day} out of order: the world is at day {self._last_closed + 1}")
        if self._state is not None and not self._state.closed:
            raise ValueError(f"day {self._state.day} not ended; call end_day({self._state.day}) first")
        # Let go of the ended day before building the next: otherwise two full days are alive at the peak
        # (the cause of the peak memory rising from 1 to 2+ days at full volume).
        self._state = None
        self._state = self._generate(day)
        return self._state

    def _generate(self, day: int) -> DayState:
        rng = self._rng(day, 1)
        start = self.day_start(day)
        parts = []
        for hub in DUTCH_SEA_HUBS:
            n = int(rng.poisson(self.config.units_per_day(hub)))
            if n:
                parts.append(
                    sea_rows(
                        rng,
                        hub=hub,
                        day=day,
                        day_start=start,
                        n=n,
                        net=self.net,
                        book=self.book,
                        boxes=self.boxes,
                    )
                )
        n_air = int(rng.poisson(self.config.units_per_day("schiphol")))
        if n_air:
            parts.append(air_rows(rng, day=day, day_start=start, n=n_air, book=self.book))
        n_truck = int(rng.poisson(self.config.units_per_day("flower_auctions")))
        if n_truck:
            parts.append(truck_rows(rng, day=day, day_start=start, n=n_truck, book=self.book))
        rows = Columns.concat(parts)
        rows["smart_seal"] = rng.random(rows.n) < self.config.smart_seal_share
        rows["smart_seal"] &= rows["mode"] == "sea"
        ids = np.array([f"S{day:04d}-{i:06d}" for i in range(rows.n)], dtype=object)
        state = DayState(day, rows, ids, [], {})
        self._smuggle(state, self._rng(day, 2))
        return state

    def _smuggle(self, st: DayState, rng: np.random.Generator) -> None:
        k = 0
        # Its own stream: a world without a scripted displacement draws exactly what it drew before.
        moved = self._rng(st.day, 8) if self.config.displacement else None
        for org in self.orgs:
            for _ in range(int(rng.poisson(org.rate_per_day))):
                hub = pick_weighted(rng, org.hub_weights())
                if moved is not None:
                    hub = self._displaced(st.day, hub, moved)
                method = pick_weighted(rng, org.method_weights(hub))
                a = Attempt(
                    f"L{st.day:04d}-{k:03d}",
                    st.day,
                    org.code,
                    hub,
                    method,
                    draw_kg(rng, method),
                    str(rng.choice(org.origins)),
                )
                k += 1
                if not is_neighbour(hub):
                    self._place(st, rng, org, a)
                st.attempts.append(a)
            # Export through the flower auctions (to the UK and Scandinavia).
            if rng.random() < org.rate_per_day * 0.02:
                a = Attempt(
                    f"L{st.day:04d}-{k:03d}",
                    st.day,
                    org.code,
                    "flower_auctions",
                    "flower_truck",
                    draw_kg(rng, "flower_truck"),
                    "NL",
                )
                k += 1
                self._place(st, rng, org, a)
                st.attempts.append(a)

    def _displaced(self, day: int, hub: str, rng: np.random.Generator) -> str:
        for from_day, src, dst, share in self.config.displacement:
            if day >= from_day and hub == src and rng.random() < share:
                return dst
        return hub

    def _place(self, st: DayState, rng: np.random.Generator, org: Organisation, a: Attempt) -> None:
        """Hide the load in one of the day's declared units, leaving the traces its method leaves."""
        rows = st.rows
        if a.method == "baggage":
            handlers = [i for i in org.insiders if i.hub == "schiphol"]
            a.insider = handlers[_spread(a.id, len(handlers))].user if handlers else ""
            return
        hub_rows = rows["hub"] == a.hub
        if a.method == "air_cargo":
            pool = hub_rows & np.isin(rows["origin_port"], LATAM_AIRPORTS)
        elif a.method == "flower_truck":
            pool = hub_rows.copy()
        else:
            # Source lanes, and West Africa (bulk cocoa, and boxes re-shipped via the Gulf of Guinea).
            pool = hub_rows & np.isin(rows["lane"], (*LATAM_LANES, "west_africa"))
            if a.method == "reefer_unit":
                pool &= rows["reefer"]
        pool[list(st.dirty)] = False
        free = np.flatnonzero(pool)
        if not len(free):
            a.outcome = "delivered"  # nothing to hide it in today: it goes by a route we do not model
            a.traces.append("no_cover_available")
            return
        r = int(free[rng.choice(len(free), p=self._box_weights(rows, org, a, free))])
        insiders = [i for i in org.insiders if i.hub == a.hub]
        a.row = r
        a.origin = str(rows["origin_port"][r])
        a.container_number = str(rows["container_number"][r])
        a.vessel_imo = str(rows["vessel_imo"][r])
        st.dirty[r] = a
        if a.method == "hull":
            a.position = "sea_chest"
            del st.dirty[r]  # the box itself is clean; the load is on the vessel's hull
            return
        a.position = str(rng.choice(_POSITIONS.get(a.method, ("in_cargo",))))
        if insiders and a.method in METHODS_NEEDING_INSIDER:
            match = [i for i in insiders if i.employer == rows["facility"][r]] or insiders
            # The organisation spreads its loads over the insiders it has there (no extra draw: by the load).
            a.insider = match[_spread(a.id, len(match))].user
        if a.method == "rip_on" and rng.random() < 0.25:
            # The crew could not clone the seal: a different number shows up on discharge.
            rows["seal_at_disc"][r] = f"{str(rows['seal'][r])[:2]}{int(rng.integers(1_000_000, 9_999_999))}"
            a.traces.append("seal_number_changed")
        style = "legitimate"  # door, reefer and structure loads ride in a legitimate importer's box
        if a.method in ("cargo", "bulk", "air_cargo", "flower_truck"):
            style = self._front_shipment(st, rng, org, a, r)
        self._record_traits(st, a, style)

    def _box_weights(self, rows: Columns, org: Organisation, a: Attempt, free: np.ndarray) -> np.ndarray:
        """How attractive each free box is for this load: the organisation's own ports (its contacts), an
        insider's terminal, and away from the declaration traits whose boxes customs has been pulling."""
        origin = rows["origin_port"][free]
        own = np.isin(origin, self._own_origins(org))
        if a.method in ("bulk", "air_cargo", "flower_truck"):
            w = np.where(own, 1.0, ALT_ORIGIN)
        else:
            w = np.where(own, 1.0, np.where(rows["lane"][free] == "west_africa", ALT_LANE, ALT_ORIGIN))
        insiders = [i.employer for i in org.insiders if i.hub == a.hub]
        if insiders and a.method in METHODS_NEEDING_INSIDER:
            w = w * np.where(np.isin(rows["facility"][free], insiders), INSIDER_TERMINAL, 1.0)
        if a.method != "flower_truck":
            w = w * org.trait_factor("origin", origin) * org.trait_factor("lane", rows["lane"][free])
            w = w * org.trait_factor("routing", _routing(rows["tranship"][free]))
        if a.method not in ("cargo", "bulk", "air_cargo", "flower_truck"):  # those bring their own cover
            w = w * org.trait_factor("commodity", rows["commodity_code"][free])
        return np.asarray(w / w.sum(), dtype=float)

    @staticmethod
    def _own_origins(org: Organisation) -> tuple[str, ...]:
        return (*org.origins, *LATAM_AIRPORTS)

    def _record_traits(self, st: DayState, a: Attempt, style: str) -> None:
        """What the declaration shows of the load: the organisations' news is keyed on these."""
        rows, r = st.rows, a.row
        a.traits = {
            "origin": str(rows["origin_port"][r]),
            "lane": str(rows["lane"][r]) if rows["mode"][r] == "sea" else str(rows["mode"][r]),
            "routing": str(_routing(rows["tranship"][r : r + 1])[0]),
            "commodity": str(rows["commodity_code"][r]),
            "consignee": style,
        }

    def _front_shipment(
        self, st: DayState, rng: np.random.Generator, org: Organisation, a: Attempt, r: int
    ) -> str:
        """The organisation's own shipment: a cover load, (sometimes) sloppy paperwork, and either a front
        company or a hijacked legitimate importer (stolen identity: no new party). Returns the style."""
        rows = st.rows
        if a.method == "flower_truck":
            rows["consignor"][r] = front_company(rng, org, self.book, st.day, "NL")
            a.front_party = int(rows["consignor"][r])
            a.traces.append("new_consignor")
            return "front"
        style = org.pick_style(rng)
        if style == "front":
            consignee_country = "NL" if a.hub != "north_sea_canal" or rng.random() < 0.8 else "BE"
            rows["consignee"][r] = front_company(rng, org, self.book, st.day, consignee_country)
            rows["notify"][r] = rows["consignee"][r]
            a.front_party = int(rows["consignee"][r])
            a.traces.append("front_consignee")
            if rng.random() < 0.5:
                cc = str(rows["shipper_country"][r])
                rows["consignor"][r] = front_company(rng, org, self.book, st.day, cc)
                a.traces.append("front_consignor")
            if rng.random() < 0.5:  # a small declarant from the tail instead of the big forwarders
                rows["declarant"][r] = self.book.declarants[-1 - int(rng.integers(10))]
        else:
            a.traces.append("hijacked_consignee")  # the importer's name and EORI on the declaration
        if rows["mode"][r] == "sea":
            cover = "cocoa_beans" if a.method == "bulk" else org.pick_cover(rng, bool(rows["reefer"][r]))
            if cover is not None:
                ci = commodity_index(cover)
                rows["commodity"][r] = ci
                rows["commodity_code"][r] = cover
                rows["hs_code"][r] = COMMODITIES[cover].hs
                rows["goods_description"][r] = DESC_OF[ci]
                rows["packages"][r] = max(1, round(float(rows["gross_mass_kg"][r]) / KG_OF[ci]))
            if a.method == "bulk":
                rows["goods_description"][r] = "Cocoa beans in bulk (liner bag)"
                rows["packages"][r] = 1
            if rng.random() < 0.35:  # filed just inside the 24 h rule
                rows["t_filed"][r] = rows["t_load"][r] - int(rng.integers(24 * HOUR + 600, 30 * HOUR))
                a.traces.append("late_filing")
                if 0 <= rows["t_amended"][r] <= rows["t_filed"][r]:
                    # The amendment drawn with the trade comes after the (now later) filing. No draw here: the
                    # random streams stay as they were, so runs made before this fix are the same world.
                    rows["t_amended"][r] = rows["t_filed"][r] + 3 * HOUR
            if rng.random() < 0.3:
                rows["amendments"][r] = int(rng.integers(1, 4))
                rows["t_amended"][r] = rows["t_load"][r] + int(rng.integers(HOUR, 3 * DAY))
                a.traces.append("amended_after_loading")
            if rng.random() < 0.3:
                rows["goods_description"][r] = "FRESH PRODUCE" if rows["reefer"][r] else "FOODSTUFFS"
                a.traces.append("vague_description")
            if rng.random() < 0.25:  # the declared mass does not fit packages x typical weight
                rows["gross_mass_kg"][r] = round(float(rows["gross_mass_kg"][r]) * rng.uniform(0.75, 0.9), 1)
                a.traces.append("mass_mismatch")
        return style

    # -- the product's view -----------------------------------------------------------------------------
    def day_declarations(self, day: int) -> pd.DataFrame:
        """The day's declarations at the Dutch hubs as the product would receive them (+ shipment_id, hub)."""
        st = self.state(day)
        if st.view is None:
            st.view = traces.declaration_frame(self, st)
        return st.view

    def capacity(self, day: int, hub: str) -> int:
        st = self.state(day)
        n = int(np.count_nonzero(st.rows["hub"] == hub))
        want = self.config.capacity_share_on(hub, day) * n
        # Stochastic rounding keeps small-scale worlds at the right rate on average.
        frac = want - int(want)
        u = np.random.default_rng([self.config.seed, day, 4, sum(map(ord, hub))]).random()
        return int(want) + int(u < frac)

    def inspect(self, day: int, ids: Iterable[str], kind: str = "scan") -> list[InspectionOutcome]:
        st = self.state(day)
        if st.closed:
            raise ValueError(f"day {day} is closed")
        rows = st.rows
        rng = np.random.default_rng([self.config.seed, day, 3, len(st.inspected)])
        out = []
        for sid in ids:
            r = _row_of(sid, day)
            if r < 0 or r >= rows.n:
                raise ValueError(f"unknown shipment id {sid!r} on day {day}")
            if r in st.inspected:
                continue
            t = int(max(rows["t_disc"][r], rows["t_arri"][r]) + rng.integers(HOUR, 12 * HOUR))
            st.inspected[r] = (kind, t)
            if rows["t_gtot"][r] >= 0 and rows["t_gtot"][r] < t + 2 * HOUR:
                rows["t_gtot"][r] = t + int(rng.integers(2 * HOUR, 20 * HOUR))  # held until inspected
            a = st.dirty.get(r)
            found = False
            kg = 0.0
            if a is not None:
                a.inspected = True  # pulled: the organisation learns of it even if the load is missed
                p = DETECT.get(a.method, 0.5) + (0.05 if kind == "physical" else 0.0)
                if rng.random() < min(p, 0.99):
                    found, kg = True, a.kg
                    a.outcome, a.kg_found = "seized_inspection", a.kg
            out.append(
                InspectionOutcome(
                    str(sid), str(rows["hub"][r]), str(rows["container_number"][r]), kind, found, kg
                )
            )
            if rows["mode"][r] == "sea":
                st.scan_requests.append(traces.scan_request(self, st, r, "arrival", t))
        if st.outcome is None:
            st.outcome = DayOutcome(day)
        st.outcome.inspections.extend(out)
        return out

    def end_day(self, day: int) -> DayOutcome:
        st = self.state(day)
        if st.closed:
            assert st.outcome is not None
            return st.outcome
        rng = self._rng(day, 5)
        outcome = st.outcome or DayOutcome(day)
        st.outcome = outcome
        for hub in DUTCH_HUBS:
            outcome.units[hub] = int(np.count_nonzero(st.rows["hub"] == hub))
            outcome.capacity[hub] = self.capacity(day, hub)
        orgs = {o.code: o for o in self.orgs}
        for a in st.attempts:
            if a.outcome == "pending":
                self._resolve(a, rng, day)
            if a.seized:
                outcome.seizures.append({"hub": a.hub, "kg": a.kg, "channel": a.outcome, "method": a.method})
                if a.front_party >= 0:
                    burn(orgs[a.org], a.front_party)
        outcome.attempts = len(st.attempts)
        traces.day_traces(self, st, self._rng(day, 6))
        # Scanning intensity per inbound Dutch hub as insiders see it: the share of the day's boxes pulled.
        pulled = Counter(str(st.rows["hub"][r]) for r in st.inspected)
        scanning = {h: pulled[h] / max(outcome.units[h], 1) for h in DUTCH_HUBS if h != "flower_auctions"}
        # Abroad, scanning is taken to move with the port's interdiction (a crackdown is in the news).
        for hub in NEIGHBOUR_HUBS:
            base = self.config.neighbour_interdiction.get(hub, 0.1)
            scanning[hub] = NEIGHBOUR_PRESSURE * self.config.interdiction_on(hub, day) / base
        adapt(
            self.orgs,
            [a for a in st.attempts if a.method != "flower_truck"],
            self.config.adaptation_rate,
            news=self.news,
            unit=self.config.scale * self.config.smuggling_boost,
            scanning=scanning,
        )
        st.closed = True
        self._last_closed = day
        return outcome

    def _resolve(self, a: Attempt, rng: np.random.Generator, day: int) -> None:
        if is_neighbour(a.hub):
            p = self.config.interdiction_on(a.hub, day)
            a.outcome = "seized_border" if rng.random() < p else "delivered"
        elif rng.random() < tip_probability(a.kg):
            a.outcome = "seized_tip"  # intelligence-led: whatever the declaration looked like
        elif a.method == "hull":
            a.outcome = "seized_diver" if rng.random() < 0.06 else "extracted"
        elif a.method == "baggage":
            pressure = self.config.capacity_share_on("schiphol", day) / CAPACITY_SHARE["schiphol"]
            a.outcome = "seized_inspection" if rng.random() < min(0.9, 0.2 * pressure) else "delivered"
        elif a.method in METHODS_NEEDING_INSIDER:
            p_extract = 0.85 if a.insider else 0.45
            if rng.random() < p_extract:
                a.outcome = "extracted"
            else:  # left in the box: the consignee finds it when stripping and calls customs
                a.outcome = "seized_consignee" if rng.random() < CONSIGNEE_REPORTS else "delivered"
        elif a.traits.get("consignee") == "hijacked":  # in a bona fide importer's cargo: must come out first
            if rng.random() < HIJACKED_EXTRACTION:
                a.outcome = "extracted"
            else:
                a.outcome = "seized_consignee" if rng.random() < CONSIGNEE_REPORTS else "delivered"
        else:
            a.outcome = "delivered"
        if a.outcome.startswith("seized"):
            a.kg_found = a.kg

    def step(self, day: int, policy: Policy, kind: str = "scan") -> DayOutcome:
        view = self.day_declarations(day)
        for hub in DUTCH_HUBS:
            cap = self.capacity(day, hub)
            cands = view[view["hub"] == hub]
            chosen = list(policy.select(day, hub, cands, cap))[:cap]
            self.inspect(day, chosen, kind)
        return self.end_day(day)

    def attempts(self, day: int) -> list[Attempt]:
        """Truth, for evaluation code only."""
        return self.state(day).attempts


def _routing(tranship: np.ndarray) -> np.ndarray:
    """Routing as the declaration shows it: the transhipment port, or direct."""
    return np.where(tranship == "", "direct", tranship).astype(object)


def _row_of(sid: str, day: int) -> int:
    try:
        d, r = sid[1:].split("-")
        return int(r) if int(d) == day else -1
    except (ValueError, IndexError):
        return -1


def visible_columns() -> tuple[str, ...]:
    return DECLARATION_COLUMNS


def _spread(load_id: str, n: int) -> int:
    """Which of n insiders handles a load: fixed by the load's id (the random streams stay as they were)."""
    return int(hashlib.sha1(load_id.encode(), usedforsecurity=False).hexdigest()[:8], 16) % n
