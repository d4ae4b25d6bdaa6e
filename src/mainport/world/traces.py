"""What the day leaves behind besides declarations and events: staff look-ups (access logs), smart-seal
telemetry, scan requests, and the product-visible declaration table. Insiders leave traces here."""

from __future__ import annotations

import hashlib
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mainport.reference.containers import SIZE_TYPES
from mainport.world.commodities import PKG_TYPE_OF
from mainport.world.network import hub_terminals
from mainport.world.trade import DAY, HOUR

if TYPE_CHECKING:
    from mainport.world.engine import DayState, World

_GROUND_HANDLERS = ("KLMCARGO", "SWISSPORT", "MENZIES", "WFS")
_HAULIERS = ("haulier:van-den-bosch", "haulier:kramer", "haulier:nijhof", "haulier:ewals")


def build_staff(seed: int, scale: float, per_site: int = 0) -> dict[str, list[tuple[str, str]]]:
    """Per hub: (user, employer) for the people who look up container data. Headcount shrinks with scale
    (`per_site` people per terminal or ground handler when given)."""
    per_site = per_site or max(4, round(40 * math.sqrt(scale)))
    staff: dict[str, list[tuple[str, str]]] = {}
    for hub in ("rotterdam", "zeeland_west_brabant", "north_sea_canal"):
        staff[hub] = [
            (f"{fac.lower() or loc.lower()}.{i:03d}", fac or loc)
            for loc, fac in hub_terminals(hub)
            for i in range(per_site)
        ]
    staff["schiphol"] = [(f"{h.lower()}.{i:03d}", h) for h in _GROUND_HANDLERS for i in range(per_site)]
    return staff


def iso(t: np.ndarray) -> np.ndarray:
    """Seconds since epoch -> ISO 8601 UTC strings ('' for -1)."""
    t = np.asarray(t, dtype=np.int64)
    s = np.char.add(np.datetime_as_string(t.astype("datetime64[s]"), unit="s"), "Z").astype(object)
    s[t < 0] = ""
    return s


def iso1(t: int) -> str:
    return str(np.datetime_as_string(np.int64(t).astype("datetime64[s]"), unit="s")) + "Z"


def _mrn(day: int, rows: int, year: int) -> np.ndarray:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = np.empty(rows, dtype=object)
    for i in range(rows):
        body = f"{year % 100:02d}NL{day:05d}{i:08d}"
        out[i] = body + letters[sum(map(ord, body)) % 26]
    return out


def routing(rows: Any, r: int) -> list[str]:
    seq = [str(rows["shipper_country"][r]), str(rows["origin_port"][r])[:2]]
    if rows["tranship"][r]:
        seq.append(str(rows["tranship"][r])[:2])
    if rows["mode"][r] == "road":
        seq = ["NL", str(rows["place_of_delivery"][r])[:2]]
    else:
        seq.append("NL")
    out: list[str] = []
    for c in seq:
        if c and c not in out:
            out.append(c)
    return out


def declaration_frame(world: World, st: DayState) -> pd.DataFrame:
    rows = st.rows
    n = rows.n
    eori, name, country = world.book.arrays()
    rng = np.random.default_rng([world.config.seed, st.day, 7])
    mode = rows["mode"]
    bl_no = rng.integers(1_000_000_000, 9_999_999_999, size=n)
    awb = rng.integers(1_000_000, 9_999_999, size=n)
    bol = np.where(
        mode == "sea",
        np.char.add(rows["carrier"].astype(str), bl_no.astype(str)).astype(object),
        np.where(
            mode == "air",
            np.array([f"074-{x}{x % 7}" for x in awb], dtype=object),
            np.array([f"CMR{x}" for x in awb], dtype=object),
        ),
    )
    pkg_type = PKG_TYPE_OF[rows["commodity"]].copy()
    for r, a in st.dirty.items():
        if a.method == "bulk":
            pkg_type[r] = "VR"
    discharge = np.where(mode == "road", rows["place_of_delivery"], rows["unlocode"])
    frame = pd.DataFrame(
        {
            "shipment_id": st.ids,
            "hub": rows["hub"],
            "reference": _mrn(st.day, n, world.config.start.year),
            "filed_at": iso(rows["t_filed"]),
            "amended_at": iso(rows["t_amended"]),
            "amendments": rows["amendments"],
            "bill_of_lading": bol,
            "consignor_eori": eori[rows["consignor"]],
            "consignor_name": name[rows["consignor"]],
            "consignor_country": country[rows["consignor"]],
            "consignee_eori": eori[rows["consignee"]],
            "consignee_name": name[rows["consignee"]],
            "consignee_country": country[rows["consignee"]],
            "notify_eori": eori[rows["notify"]],
            "notify_name": name[rows["notify"]],
            "notify_country": country[rows["notify"]],
            "declarant_eori": eori[rows["declarant"]],
            "declarant_name": name[rows["declarant"]],
            "declarant_country": country[rows["declarant"]],
            "carrier": rows["carrier"],
            "vessel_imo": rows["vessel_imo"],
            "voyage_number": rows["voyage"],
            "mode": mode,
            "place_of_loading": rows["origin_port"],
            "place_of_discharge": discharge,
            "place_of_delivery": rows["place_of_delivery"],
            "countries_of_routing": [routing(rows, r) for r in range(n)],
            "hs_code": rows["hs_code"],
            "goods_description": rows["goods_description"],
            "packages": rows["packages"],
            "package_type": pkg_type,
            "gross_mass_kg": rows["gross_mass_kg"],
            "container_number": rows["container_number"],
            "size_type": rows["size_type"],
            "seal_numbers": [[s] if s else [] for s in rows["seal"]],
        }
    )
    return frame


def scan_request(world: World, st: DayState, r: int, phase: str, t: int) -> dict[str, Any]:
    """The renderer's input: the unit's true contents (the imaging module renders it into an image)."""
    rows = st.rows
    a = st.dirty.get(r)
    concealments = []
    if a is not None and not (phase == "origin" and "after_origin_scan" in a.traces):
        concealments.append({"kind": a.method, "position": a.position, "mass_kg": a.kg})
    size = SIZE_TYPES[str(rows["size_type"][r])]
    loc = str(rows["unlocode"][r]) if phase == "arrival" else str(rows["origin_port"][r])
    scanner = f"{loc}-{rows['facility'][r] or 'X'}-X1" if phase == "arrival" else f"{loc}-CCP-X1"
    return {
        "request_id": f"R{st.day:04d}-{phase[0]}{r:06d}",
        "phase": phase,
        "container_number": str(rows["container_number"][r]),
        "unlocode": loc,
        "scanner_id": scanner,
        "scan_time": iso1(t),
        "contents": {
            "commodity": str(rows["commodity_code"][r]),
            "hs_code": str(rows["hs_code"][r]),
            "size_ft": 20 if size.length_ft == 20 else 40,
            "size_type": size.code,
            "reefer": bool(rows["reefer"][r]),
            "fill_fraction": round(float(rows["fill"][r]), 3),
            "packages": int(rows["packages"][r]),
            "gross_mass_kg": float(rows["gross_mass_kg"][r]),
            "concealments": concealments,
        },
    }


def _log(
    at: int, user: str, org: str, hub: str, loc: str, fac: str, container: str, kind: str, obj: str = ""
) -> dict[str, Any]:
    return {
        "at": iso1(at),
        "user": user,
        "org": org,
        "hub": hub,
        "unlocode": loc,
        "facility": fac,
        "container_number": container,
        "kind": kind,
        "object": obj,
    }


def day_traces(world: World, st: DayState, rng: np.random.Generator) -> None:
    """Access logs, telemetry and origin scans for the day; insiders' actions go to truth."""
    rows = st.rows
    sea = np.flatnonzero(rows["mode"] == "sea")
    for a in st.dirty.values():
        if a.method == "rip_on" and rng.random() < 0.6:
            a.traces.append("after_origin_scan")
    # Origin scan programme: every box leaving a participating port is scanned before loading.
    for r in sea[np.isin(rows["origin_port"][sea], world.config.origin_scan_ports)]:
        st.scan_requests.append(scan_request(world, st, int(r), "origin", int(rows["t_gtin"][r] + 3 * HOUR)))
    _access_logs(world, st, rng, sea)
    _telemetry(st, rng, sea)


def _work_time(rng: np.random.Generator, lo: int, hi: int) -> int:
    t = int(rng.integers(lo, max(lo + 1, hi)))
    hour = (t % DAY) // HOUR
    return t if 6 <= hour < 22 else t - (t % DAY) + int(rng.integers(7, 21)) * HOUR


SHIFT_START = {"day": 6, "late": 14, "night": 22}


def shift_of(user: str) -> str:
    """A member of staff's shift, fixed per person: 45% day, 40% late, 15% night."""
    h = int(hashlib.sha1(user.encode(), usedforsecurity=False).hexdigest()[:6], 16) % 100
    return "day" if h < 45 else ("late" if h < 85 else "night")


def _in_shift(t: int, user: str) -> int:
    """Move a day-time moment (06-22) to the same relative moment of the person's own 8-hour shift."""
    day0, into = t - t % DAY, t % DAY - 6 * HOUR
    return day0 + SHIFT_START[shift_of(user)] * HOUR + int(min(max(into, 0), 16 * HOUR - 1) / 2)


def _next_shift(t: int, user: str, rng: np.random.Generator) -> int:
    """A moment in the person's next shift at or after t (a careful insider waits for their own hours)."""
    start = SHIFT_START[shift_of(user)]
    day0 = t - t % DAY
    for k in (-1, 0, 1):
        lo = day0 + k * DAY + start * HOUR
        if lo + 8 * HOUR > t:
            return max(t, lo) + int(rng.integers(0, max(1, lo + 8 * HOUR - max(t, lo))))
    return t  # pragma: no cover


def _origin(
    entry: dict[str, Any], rng: np.random.Generator, *, odd_device: float, odd_place: float
) -> dict[str, Any]:
    """Where a look-up came from: the person's own workstation at their site, now and then somewhere else."""
    user, org = entry["user"], entry["org"]
    if org.startswith("haulier:"):
        return {**entry, "device": f"app-{user}", "place": "internet"}
    device = f"mob-{int(rng.integers(10_000, 99_999))}" if rng.random() < odd_device else f"ws-{user}"
    place = f"ext:{int(rng.integers(1, 250))}" if rng.random() < odd_place else f"site:{org}"
    return {**entry, "device": device, "place": place}


def _access_logs(world: World, st: DayState, rng: np.random.Generator, sea: np.ndarray) -> None:
    _staff_logs(world, st, rng, sea)
    # Device and place come from a stream of their own: the look-ups themselves stay as they were.
    where = world._rng(st.day, 61)
    st.access_logs[:] = [
        e if "device" in e else _origin(e, where, odd_device=0.01, odd_place=0.004) for e in st.access_logs
    ]
    st.access_logs.sort(key=lambda e: e["at"])


def _staff_logs(world: World, st: DayState, rng: np.random.Generator, sea: np.ndarray) -> None:
    rows = st.rows
    logs = st.access_logs
    shifts = world.config.shift_work
    careful_rng = world._rng(st.day, 62)
    by_fac: dict[str, list[tuple[str, str]]] = {}
    for people in world.staff.values():
        for user, employer in people:
            by_fac.setdefault(employer, []).append((user, employer))
    looked = sea[rng.random(len(sea)) < 0.35]
    kinds = rng.choice(["status", "position", "release_code"], size=len(looked), p=[0.45, 0.35, 0.2])
    for r, kind in zip(looked, kinds, strict=True):
        fac = str(rows["facility"][r])
        people = by_fac.get(fac) or by_fac[str(rows["unlocode"][r])]
        t = _work_time(rng, int(rows["t_disc"][r]) - 12 * HOUR, int(rows["t_gtot"][r]))
        if kind == "release_code":  # the haulier collecting the box looks up its PIN
            user, org = f"{_HAULIERS[r % 4].split(':')[1]}.{r % 23:02d}", _HAULIERS[r % 4]
        else:
            user, org = people[int(rng.integers(len(people)))]
            if shifts:
                t = _in_shift(t, user)
        logs.append(
            _log(
                t,
                user,
                org,
                str(rows["hub"][r]),
                str(rows["unlocode"][r]),
                fac,
                str(rows["container_number"][r]),
                str(kind),
            )
        )
    insiders = {i.user: i for o in world.orgs for i in o.insiders}
    for a in st.attempts:
        if not a.insider:
            continue
        ins = insiders[a.insider]
        if a.method == "baggage":
            t = world.day_start(st.day) + int(rng.integers(0, DAY))
            flight = f"KL{int(rng.integers(700, 799))}"
            entry = _log(
                t, ins.user, ins.employer, "schiphol", "NLAMS", "SPLCARGO", "", "baggage_lookup", flight
            )
            logs.append(entry)
            st.insider_actions.append(
                {"load": a.id, "insider": ins.user, "action": "baggage_lookup", **entry}
            )
            continue
        r = a.row
        disc = int(rows["t_disc"][r])
        # Insiders look up where the box stands, often out of hours, and pass on the release code.
        when = disc + int(rng.integers(HOUR // 2, 10 * HOUR))
        acts = [("position", when)]
        if rng.random() < 0.7:
            acts.append(("release_code", when + int(rng.integers(HOUR // 4, 3 * HOUR))))
        if ins.careful:  # in their own hours, position only, from their own workstation
            acts = [("position", _next_shift(when, ins.user, careful_rng) if shifts else _day_time(when))]
        for kind, t in acts:
            entry = _log(
                t,
                ins.user,
                ins.employer,
                a.hub,
                str(rows["unlocode"][r]),
                str(rows["facility"][r]),
                a.container_number,
                kind,
            )
            if ins.careful:
                entry = {**entry, "device": f"ws-{ins.user}", "place": f"site:{ins.employer}"}
            else:  # a phone of their own, from outside the site, now and then
                entry = _origin(entry, careful_rng, odd_device=0.5, odd_place=0.4)
            logs.append(entry)
            st.insider_actions.append({"load": a.id, "insider": ins.user, "action": kind, **entry})
        if a.outcome == "extracted":
            t = disc + int(rng.integers(2 * HOUR, 20 * HOUR))
            t = t - (t % DAY) + int(rng.integers(0, 5)) * HOUR + DAY  # extraction crews come at night
            crew = f"pass.{int(rng.integers(10_000, 99_999))}"
            entry = _log(
                t,
                crew,
                _HAULIERS[int(rng.integers(4))],
                a.hub,
                str(rows["unlocode"][r]),
                str(rows["facility"][r]),
                "",
                "gate_entry",
            )
            logs.append(entry)
            st.insider_actions.append({"load": a.id, "insider": crew, "action": "extraction_entry", **entry})


def _day_time(t: int) -> int:
    """t if it falls in 06-22, else the same day's 14:00 (day-shift hours of a careful insider)."""
    return t if 6 <= (t % DAY) // HOUR < 22 else t - t % DAY + 14 * HOUR


def _iot(eid: str, t: int, container: str, size_type: str, code: str, loc: str, name: str) -> dict[str, Any]:
    return {
        "eventID": eid,
        "eventDateTime": iso1(t),
        "eventUpdatedDateTime": iso1(t + 60),
        "eventLocation": {"locationName": name, "UNLocationCode": loc},
        "eventClassification": {
            "eventTypeCode": "IOT",
            "eventClassifierCode": "ACT",
            "iotEventTypeCode": "DETC",
        },
        "equipmentDetails": {"equipmentReference": container, "ISOEquipmentCode": size_type},
        "iotDetails": {"iotEventCode": code},
    }


def _telemetry(st: DayState, rng: np.random.Generator, sea: np.ndarray) -> None:
    rows = st.rows
    out = st.telemetry
    sealed = sea[rows["smart_seal"][sea]]
    for r in sealed:
        c, st_code = str(rows["container_number"][r]), str(rows["size_type"][r])
        origin, hub_loc = str(rows["origin_port"][r]), str(rows["unlocode"][r])
        stuffed = int(rows["t_gtin"][r]) - int(rng.integers(2 * HOUR, 8 * HOUR))
        out.append(_iot(f"iot-{c}-{stuffed}-DRC", stuffed, c, st_code, "DRC", origin, "shipper premises"))
        a = st.dirty.get(int(r))
        breached = False
        if a is not None and a.method == "rip_on":
            # Doors opened on the origin terminal after sealing: the rip-on crew at work.
            t = int(rows["t_gtin"][r]) + int(rng.integers(HOUR, 12 * HOUR))
            out.append(_iot(f"iot-{c}-{t}-DRO", t, c, st_code, "DRO", origin, "terminal"))
            out.append(_iot(f"iot-{c}-{t + 900}-DRC", t + 900, c, st_code, "DRC", origin, "terminal"))
            breached = True
            if a.outcome == "extracted":
                t = int(rows["t_disc"][r]) + int(rng.integers(3 * HOUR, 20 * HOUR))
                out.append(_iot(f"iot-{c}-{t}-DRO", t, c, st_code, "DRO", hub_loc, "terminal"))
                out.append(_iot(f"iot-{c}-{t + 600}-DRC", t + 600, c, st_code, "DRC", hub_loc, "terminal"))
        opened = int(rows["t_gtot"][r]) + int(rng.integers(3 * HOUR, 20 * HOUR))
        out.append(_iot(f"iot-{c}-{opened}-DRO", opened, c, st_code, "DRO", hub_loc, "consignee premises"))
        out.append(
            {
                "kind": "eseal_status",
                "equipmentReference": c,
                "sealNumber": str(rows["seal"][r]),
                "reportedAt": iso1(int(rows["t_disc"][r])),
                "UNLocationCode": hub_loc,
                "status": "BREACHED" if breached else "INTACT",
            }
        )
