"""Legitimate trade, vectorised per day: sea containers into the sea hubs, air cargo into Schiphol and
outbound flower trucks. Every row is one declaration (one goods item, one container or consignment)."""

from __future__ import annotations

import zlib

import numpy as np

from mainport.reference.containers import SIZE_TYPES, make_container_number
from mainport.world.commodities import (
    COMMODITIES,
    COMMODITY_CODES,
    DESC_OF,
    FULL_OF,
    HS_OF,
    KG_OF,
    REEFER_OF,
    commodity_index,
)
from mainport.world.network import (
    AIR_CARRIERS,
    AIR_COMMODITIES,
    AIR_ORIGINS,
    CARRIERS,
    HUB_LANES,
    LANES,
    LESSOR_PREFIXES,
    TERMINAL_WEIGHTS,
    TRUCK_DESTINATIONS,
    Network,
    hub_terminals,
)
from mainport.world.parties import PartyBook

DAY = 86_400
HOUR = 3_600


# Dwell on the terminal between discharge and gate-out, median hours (reefers leave fast).
DWELL_MEDIAN_H = {True: 30.0, False: 80.0}


class Columns(dict[str, np.ndarray]):
    """A day's rows as named numpy columns of equal length."""

    @property
    def n(self) -> int:
        return len(next(iter(self.values()))) if self else 0

    @staticmethod
    def concat(parts: list[Columns]) -> Columns:
        keys = list(parts[0])
        return Columns({k: np.concatenate([p[k] for p in parts]) for k in keys})


def _choice(rng: np.random.Generator, items: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    names = np.array([i[0] for i in items], dtype=object)
    w = np.array([i[1] for i in items], dtype=float)
    return names[rng.choice(len(items), size=n, p=w / w.sum())]


class ContainerNumbers:
    """Unique box numbers over a long window: a scrambled counter per owner prefix (reuse after ~1M boxes)."""

    def __init__(self) -> None:
        self.counter: dict[str, int] = {}

    def take(self, prefixes: np.ndarray) -> np.ndarray:
        out = np.empty(len(prefixes), dtype=object)
        for i, p in enumerate(prefixes):
            c = self.counter.get(p, 0)
            self.counter[p] = c + 1
            out[i] = make_container_number(p, (c * 7919 + 12345) % 1_000_000)
        return out


def _stable(text: str) -> int:
    """A hash that does not change between processes (str hash is salted)."""
    return zlib.crc32(text.encode())


def _port_factor(ports: np.ndarray) -> np.ndarray:
    """Share of the lane's transit time a port lies from the hub (0.9-1.15), fixed per port."""
    return np.array([0.9 + 0.25 * (_stable(str(p)) % 1000) / 1000 if p else 1.0 for p in ports])


def _empty(n: int) -> np.ndarray:
    return np.full(n, "", dtype=object)


def sea_rows(
    rng: np.random.Generator,
    *,
    hub: str,
    day: int,
    day_start: int,
    n: int,
    net: Network,
    book: PartyBook,
    boxes: ContainerNumbers,
) -> Columns:
    """n boxes discharged at `hub` on `day`, with their whole journey's times (seconds since epoch)."""
    lanes = HUB_LANES[hub]
    lane_names = np.array([lane for lane, _ in lanes], dtype=object)
    lane_w = np.array([w for _, w in lanes])
    lane = lane_names[rng.choice(len(lanes), size=n, p=lane_w / lane_w.sum())]
    cols: dict[str, np.ndarray] = {
        k: _empty(n)
        for k in (
            "origin_port",
            "shipper_country",
            "tranship",
            "carrier",
            "service",
            "vessel_imo",
            "vessel_name",
            "vessel_flag",
            "voyage",
            "feeder_imo",
            "feeder_voyage",
            "feeder_carrier",
            "unlocode",
            "facility",
            "size_type",
            "commodity_code",
        )
    }
    cols["lane"] = lane
    commodity = np.zeros(n, dtype=np.int64)
    t_arri = np.zeros(n, dtype=np.int64)
    transit = np.zeros(n)
    terminals = hub_terminals(hub)
    term_w = np.array([TERMINAL_WEIGHTS.get(t, 1.0) for _, t in terminals])
    for lane_code in np.unique(lane):
        rows = np.flatnonzero(lane == lane_code)
        spec = LANES[str(lane_code)]
        calls = (
            net.calls_on(hub, spec.code, day)
            or [s for s in net.services if s.hub == hub and s.lane == spec.code][:1]
        )
        call = rng.integers(len(calls), size=len(rows))
        arrival_of_call = day_start + rng.integers(0, 22 * HOUR, size=len(calls))
        term_of_call = rng.choice(len(terminals), size=len(calls), p=term_w / term_w.sum())
        week = day // 7
        for j, svc in enumerate(calls):
            r = rows[call == j]
            v = svc.vessels[week % len(svc.vessels)]
            cols["carrier"][r] = svc.carrier
            cols["service"][r] = svc.code
            cols["vessel_imo"][r] = v.imo
            cols["vessel_name"][r] = v.name
            cols["vessel_flag"][r] = v.flag
            cols["voyage"][r] = f"{week % 52 + 1:02d}{svc.weekday}{'N' if spec.latam else 'W'}"
            cols["unlocode"][r], cols["facility"][r] = terminals[int(term_of_call[j])]
            t_arri[r] = arrival_of_call[j]
        o_w = np.array([o.weight for o in spec.origins])
        o_idx = rng.choice(len(spec.origins), size=len(rows), p=o_w / o_w.sum())
        cols["origin_port"][rows] = np.array([o.port for o in spec.origins], dtype=object)[o_idx]
        cols["shipper_country"][rows] = np.array([o.shipper_country for o in spec.origins], dtype=object)[
            o_idx
        ]
        feeder = np.array([o.feeder_to for o in spec.origins], dtype=object)[o_idx]
        if spec.tranship:
            via = rng.random(len(rows)) < spec.tranship_share
            hubs_t = np.array(spec.tranship, dtype=object)[rng.integers(len(spec.tranship), size=len(rows))]
            tr = np.where(via, hubs_t, "")
            tr = np.where(tr == cols["origin_port"][rows], "", tr)  # no transhipment at the port of loading
            cols["tranship"][rows] = np.where(feeder != "", feeder, tr)
        else:
            cols["tranship"][rows] = feeder
        comm = _choice(rng, spec.commodities, len(rows))
        commodity[rows] = [commodity_index(c) for c in comm]
        transit[rows] = spec.transit_days  # per lane: every box of a call shares the vessel's schedule
    cols["commodity_code"] = np.array(COMMODITY_CODES, dtype=object)[commodity]
    reefer = REEFER_OF[commodity]
    # Size-type per commodity.
    for ci in np.unique(commodity):
        rows = np.flatnonzero(commodity == ci)
        cols["size_type"][rows] = _choice(rng, COMMODITIES[COMMODITY_CODES[ci]].sizes, len(rows))
    length = np.array([SIZE_TYPES[s].length_ft for s in cols["size_type"]])
    payload = np.array([SIZE_TYPES[s].max_payload_kg for s in cols["size_type"]], dtype=float)
    first_len = np.array(
        [SIZE_TYPES[COMMODITIES[COMMODITY_CODES[c]].sizes[0][0]].length_ft for c in commodity]
    )
    fill = np.clip(rng.beta(9, 1.6, size=n), 0.2, 1.0)
    full = FULL_OF[commodity] * length / first_len
    packages = np.maximum(1, np.round(full * fill)).astype(np.int64)
    kg_pkg = KG_OF[commodity]
    packages = np.minimum(packages, np.floor(payload * 0.98 / kg_pkg)).astype(np.int64)
    gross = np.minimum(np.round(packages * kg_pkg * rng.normal(1.0, 0.02, size=n), 1), payload)

    # Journey times (seconds): hub arrival fixed by the call, the rest backwards from it. Each vessel call
    # (vessel, voyage, port) has ONE departure time and every box loaded on that call is loaded before it,
    # whichever day's file the box lands in (a LOAD after the vessel's DEPA is physically impossible).
    t_disc = t_arri + rng.integers(4 * HOUR, 30 * HOUR, size=n)
    dwell_med = np.where(reefer, DWELL_MEDIAN_H[True], DWELL_MEDIAN_H[False]) * HOUR
    t_gtot = t_disc + np.maximum(2 * HOUR, dwell_med * rng.lognormal(0, 0.5, size=n)).astype(np.int64)
    has_t = cols["tranship"] != ""
    # The main vessel leaves each port of its rotation at a time fixed by its hub arrival and the port.
    dep_main_origin = t_arri - (transit * _port_factor(cols["origin_port"]) * DAY).astype(np.int64)
    dep_tranship = t_arri - (transit * 0.75 * _port_factor(cols["tranship"]) * DAY).astype(np.int64)
    t_tload = dep_tranship - rng.integers(3 * HOUR, 30 * HOUR, size=n)
    t_tdisc_latest = t_tload - rng.integers(36 * HOUR, 7 * DAY, size=n)
    # Feeders sail daily at 20:00 UTC from each port: the box takes the last sailing that reaches the
    # transhipment port in time; a feeder voyage is named by its port and sailing day (one per port and day).
    leg = (transit * 0.3 * DAY).astype(np.int64) + 2 * DAY
    dep_feeder = ((t_tdisc_latest - leg - 20 * HOUR) // DAY) * DAY + 20 * HOUR
    t_tdisc = dep_feeder + leg + rng.integers(2 * HOUR, 10 * HOUR, size=n)
    t_dep_load = np.where(has_t, dep_feeder, dep_main_origin)
    t_load = t_dep_load - rng.integers(3 * HOUR, 30 * HOUR, size=n)
    t_gtin = t_load - rng.integers(20 * HOUR, 5 * DAY, size=n)
    t_empty = t_gtin - rng.integers(10 * HOUR, 4 * DAY, size=n)
    # ICS2: the ENS for a container must be filed at least 24 h before loading at the port of departure.
    t_filed = t_load - rng.integers(26 * HOUR, 9 * DAY, size=n)
    amended = rng.random(n) < 0.08
    t_amended = np.where(amended, t_filed + rng.integers(HOUR, 2 * DAY, size=n), -1)

    fv = net.feeder_vessels
    sail_day = dep_feeder // DAY
    fidx = (sail_day + np.array([_stable(str(p)) for p in cols["origin_port"]], dtype=np.int64)) % len(fv)
    cols["feeder_imo"] = np.where(has_t, np.array([v.imo for v in fv], dtype=object)[fidx], "")
    cols["feeder_carrier"] = np.where(has_t, np.array([v.carrier for v in fv], dtype=object)[fidx], "")
    cols["feeder_voyage"] = np.where(
        has_t,
        np.array([f"F{d % 1000:03d}{p[2:]}" for d, p in zip(sail_day, cols["origin_port"], strict=True)]),
        "",
    ).astype(object)

    # Boxes: carrier-owned (reefer or dry prefix) or leased.
    owner = np.array(
        [CARRIERS[c][1] if r else CARRIERS[c][0] for c, r in zip(cols["carrier"], reefer, strict=True)],
        dtype=object,
    )
    leased = rng.random(n) < 0.3
    owner = np.where(
        leased, np.array(LESSOR_PREFIXES, dtype=object)[rng.integers(len(LESSOR_PREFIXES), size=n)], owner
    )
    seal_prefix = np.array([CARRIERS[c][2] for c in cols["carrier"]], dtype=object)
    seal_no = rng.integers(1_000_000, 9_999_999, size=n)
    seals = np.array([f"{p}{s}" for p, s in zip(seal_prefix, seal_no, strict=True)], dtype=object)

    consignor = np.zeros(n, dtype=np.int64)
    for cc in np.unique(cols["shipper_country"]):
        rows = np.flatnonzero(cols["shipper_country"] == cc)
        consignor[rows] = book.pick(rng, book.by_country[str(cc)], len(rows))
    consignee = book.pick(rng, book.consignees, n)
    declarant = book.pick(rng, book.declarants, n)
    notify = np.where(rng.random(n) < 0.6, consignee, declarant)

    out = Columns(cols)
    out.update(
        hub=np.full(n, hub, dtype=object),
        mode=np.full(n, "sea", dtype=object),
        commodity=commodity,
        reefer=reefer,
        packages=packages,
        gross_mass_kg=gross,
        fill=fill,
        container_number=boxes.take(owner),
        seal=seals,
        seal_at_disc=seals.copy(),
        t_empty=t_empty,
        t_gtin=t_gtin,
        t_load=t_load,
        t_dep_load=t_dep_load,
        t_tdisc=np.where(has_t, t_tdisc, -1),
        t_tload=np.where(has_t, t_tload, -1),
        t_dep_tranship=np.where(has_t, dep_tranship, -1),
        t_arri=t_arri,
        t_disc=t_disc,
        t_gtot=t_gtot,
        t_filed=t_filed,
        t_amended=t_amended,
        amendments=amended.astype(np.int64),
        consignor=consignor,
        consignee=consignee,
        declarant=declarant,
        notify=notify,
        place_of_delivery=np.full(n, "", dtype=object),
        smart_seal=np.zeros(n, dtype=bool),
        goods_description=DESC_OF[commodity].copy(),
        hs_code=HS_OF[commodity].copy(),
    )
    return out


def air_rows(rng: np.random.Generator, *, day: int, day_start: int, n: int, book: PartyBook) -> Columns:
    """Air cargo consignments (house air waybills) landing at Schiphol."""
    base = _blank(n, "schiphol", "air")
    origin = _choice(rng, AIR_ORIGINS, n)
    comm = np.array([commodity_index(c) for c in _choice(rng, AIR_COMMODITIES, n)], dtype=np.int64)
    packages = np.maximum(1, np.round(FULL_OF[comm] * rng.lognormal(0, 0.6, size=n))).astype(np.int64)
    t_arri = day_start + rng.integers(0, DAY, size=n)
    t_load = t_arri - rng.integers(9 * HOUR, 16 * HOUR, size=n)
    carrier = np.array(AIR_CARRIERS, dtype=object)[rng.integers(len(AIR_CARRIERS), size=n)]
    base.update(
        origin_port=origin,
        shipper_country=np.array([o[:2] for o in origin], dtype=object),
        carrier=carrier,
        voyage=np.array(
            [f"{c[:2]}{int(x)}" for c, x in zip(carrier, rng.integers(100, 999, size=n), strict=True)],
            dtype=object,
        ),
        unlocode=np.full(n, "NLAMS", dtype=object),
        facility=np.full(n, "SPLCARGO", dtype=object),
        commodity=comm,
        packages=packages,
        gross_mass_kg=np.round(packages * KG_OF[comm] * rng.normal(1, 0.03, size=n), 1),
        t_load=t_load,
        t_arri=t_arri,
        t_filed=t_load - rng.integers(4 * HOUR, 30 * HOUR, size=n),
    )
    return _finish(rng, base, book, n)


def truck_rows(rng: np.random.Generator, *, day: int, day_start: int, n: int, book: PartyBook) -> Columns:
    """Export trucks leaving the flower auctions (the plan's fast road export)."""
    base = _blank(n, "flower_auctions", "road")
    dest = _choice(rng, TRUCK_DESTINATIONS, n)
    auction = np.array(["NLAAM", "NLNDW", "NLRIJ"], dtype=object)[rng.choice(3, size=n, p=[0.5, 0.35, 0.15])]
    comm = np.where(rng.random(n) < 0.7, commodity_index("cut_flowers"), commodity_index("plants"))
    packages = rng.integers(8, 46, size=n)
    t_load = day_start + rng.integers(2 * HOUR, 14 * HOUR, size=n)
    base.update(
        origin_port=auction,
        shipper_country=np.array([d[:2] for d in dest], dtype=object),
        unlocode=auction,
        place_of_delivery=dest,
        commodity=comm,
        packages=packages,
        gross_mass_kg=np.round(packages * KG_OF[comm] * rng.normal(1, 0.05, size=n), 1),
        t_load=t_load,
        t_arri=t_load,
        t_filed=t_load - rng.integers(HOUR, 6 * HOUR, size=n),
    )
    out = _finish(rng, base, book, n)
    # Export: the Dutch auction trader is the consignor, a foreign wholesaler the consignee.
    out["consignor"], out["consignee"] = out["consignee"].copy(), out["consignor"].copy()
    out["shipper_country"] = np.full(n, "NL", dtype=object)
    return out


def _blank(n: int, hub: str, mode: str) -> Columns:
    text = (
        "origin_port",
        "shipper_country",
        "tranship",
        "carrier",
        "service",
        "vessel_imo",
        "vessel_name",
        "vessel_flag",
        "voyage",
        "feeder_imo",
        "feeder_voyage",
        "feeder_carrier",
        "unlocode",
        "facility",
        "size_type",
        "container_number",
        "seal",
        "seal_at_disc",
        "place_of_delivery",
        "lane",
    )
    cols = Columns({k: _empty(n) for k in text})
    minus = np.full(n, -1, dtype=np.int64)
    cols.update(
        hub=np.full(n, hub, dtype=object),
        mode=np.full(n, mode, dtype=object),
        reefer=np.zeros(n, dtype=bool),
        fill=np.ones(n),
        smart_seal=np.zeros(n, dtype=bool),
        **{
            k: minus.copy()
            for k in (
                "t_empty",
                "t_gtin",
                "t_tdisc",
                "t_tload",
                "t_disc",
                "t_gtot",
                "t_amended",
                "t_dep_load",
                "t_dep_tranship",
            )
        },
        amendments=np.zeros(n, dtype=np.int64),
    )
    cols["lane"] = np.full(n, mode, dtype=object)
    return cols


def _finish(rng: np.random.Generator, cols: Columns, book: PartyBook, n: int) -> Columns:
    comm = cols["commodity"]
    cols["commodity_code"] = np.array(COMMODITY_CODES, dtype=object)[comm]
    cols["hs_code"] = HS_OF[comm].copy()
    cols["goods_description"] = DESC_OF[comm].copy()
    consignor = np.zeros(n, dtype=np.int64)
    for cc in np.unique(cols["shipper_country"]):
        rows = np.flatnonzero(cols["shipper_country"] == cc)
        pool = book.by_country.get(str(cc))
        consignor[rows] = book.pick(rng, pool if pool is not None else book.consignees, len(rows))
    cols["consignor"] = consignor
    cols["consignee"] = book.pick(rng, book.consignees, n)
    cols["declarant"] = book.pick(rng, book.declarants, n)
    cols["notify"] = cols["consignee"].copy()
    return cols


def lane_countries() -> set[str]:
    out = {o.shipper_country for lane in LANES.values() for o in lane.origins}
    out |= {code[:2] for code, _ in AIR_ORIGINS} | {code[:2] for code, _ in TRUCK_DESTINATIONS}
    return out | {"NL"}
