"""DCSA Track & Trace 2.2.0 events for a day's containers: each box's journey and each vessel call."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import numpy as np

from mainport.world.network import foreign_facility
from mainport.world.traces import iso, iso1
from mainport.world.trade import DAY

if TYPE_CHECKING:
    import pandas as pd

    from mainport.world.engine import DayState, World

_NS = uuid.UUID("6f1d7a52-3c1e-4a8e-9a55-0d0c8f6e2b11")


class _Calls:
    """transportCall objects, built once per (vessel, voyage, port) and shared by its events."""

    def __init__(self) -> None:
        self.calls: dict[tuple[str, str, str], dict[str, Any]] = {}

    def get(
        self,
        imo: str,
        name: str,
        flag: str,
        carrier: str,
        voyage: str,
        service: str,
        port: str,
        facility: str,
        seq: int,
    ) -> dict[str, Any]:
        key = (imo, voyage, port)
        call = self.calls.get(key)
        if call is None:
            call = {
                "transportCallID": str(uuid.uuid5(_NS, f"{imo}/{voyage}/{port}")),
                "exportVoyageNumber": voyage,
                "importVoyageNumber": voyage,
                "transportCallSequenceNumber": seq,
                "UNLocationCode": port,
                "facilityTypeCode": "POTE",
                "modeOfTransport": "VESSEL",
                "vessel": {
                    "vesselIMONumber": imo,
                    "vesselOperatorCarrierCode": carrier,
                    "vesselOperatorCarrierCodeListProvider": "NMFTA",
                },
            }
            if service:
                call["carrierServiceCode"] = service
            if name:
                call["vessel"]["vesselName"] = name
            if flag:
                call["vessel"]["vesselFlag"] = flag
            if facility:
                call["facilityCode"] = facility
                call["facilityCodeListProvider"] = "SMDG"
            self.calls[key] = call
        return call


def _loc(port: str, facility: str) -> dict[str, str]:
    if facility:
        return {"UNLocationCode": port, "facilityCode": facility, "facilityCodeListProvider": "SMDG"}
    return {"UNLocationCode": port}


def day_events(
    world: World, st: DayState, frame: pd.DataFrame, now: int | None = None
) -> list[dict[str, Any]]:
    """Equipment events (GTOT empty, GTIN, LOAD, [DISC, LOAD at transhipment], DISC, [INSP], GTOT) per box
    and transport events (DEPA at origin, ARRI and DEPA at the hub) per vessel call.

    `now` (seconds since epoch) is the generation time: what happens after it is not yet actual and is
    written as an estimate (EST, created at `now`); None = nothing lies in the future.
    """
    now = np.iinfo(np.int64).max if now is None else now
    rows = st.rows
    sea = np.flatnonzero(rows["mode"] == "sea")
    rng = np.random.default_rng([world.config.seed, st.day, 8])
    ids = rng.bytes(16 * (len(sea) * 9 + 64))
    k = 0

    def next_id() -> str:
        nonlocal k
        k += 1
        return (
            str(uuid.UUID(bytes=ids[(k - 1) * 16 : k * 16], version=4))
            if k * 16 <= len(ids)
            else str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | k, version=4))
        )

    empty_back = np.where(rows["t_gtot"] >= 0, rows["t_gtot"] + rng.integers(DAY, 6 * DAY, size=rows.n), -1)
    times = {
        c: iso(rows[c])
        for c in ("t_empty", "t_gtin", "t_load", "t_tdisc", "t_tload", "t_disc", "t_gtot", "t_arri")
    }
    times["t_empty_back"] = iso(empty_back)
    raw = {c: rows[c] for c in times if c in rows}
    raw["t_empty_back"] = empty_back
    now_iso = iso1(now) if now < np.iinfo(np.int64).max else ""
    created_lag = rng.integers(60, 1800, size=rows.n)
    # Reported a little after it happened, but never after the generation time.
    created = {
        c: iso(np.where(rows[c] >= 0, np.minimum(rows[c] + created_lag, now), -1)) for c in times if c in rows
    }
    created["t_empty_back"] = iso(np.where(empty_back >= 0, np.minimum(empty_back + created_lag, now), -1))
    calls = _Calls()
    bol = frame["bill_of_lading"].to_numpy()
    out: list[dict[str, Any]] = []
    when_ts = 0
    for r in sea:
        c = str(rows["container_number"][r])
        size = str(rows["size_type"][r])
        origin, tr = str(rows["origin_port"][r]), str(rows["tranship"][r])
        hub_port, hub_fac = str(rows["unlocode"][r]), str(rows["facility"][r])
        seal = [{"sealNumber": str(rows["seal"][r]), "sealSource": "CAR", "sealType": "BLT"}]
        docs = [{"documentReferenceType": "TRD", "documentReferenceValue": str(bol[r])}]
        main = (
            str(rows["vessel_imo"][r]),
            str(rows["vessel_name"][r]),
            str(rows["vessel_flag"][r]),
            str(rows["carrier"][r]),
            str(rows["voyage"][r]),
            str(rows["service"][r]),
        )
        feeder = (
            str(rows["feeder_imo"][r]),
            "",
            "",
            str(rows["feeder_carrier"][r]),
            str(rows["feeder_voyage"][r]),
            "",
        )
        first = feeder if tr else main

        # Called only within this iteration, so the loop variables it reads are the current ones.
        def ev(
            code: str,
            col: str,
            port: str,
            fac: str,
            empty: bool = False,
            call: dict[str, Any] | None = None,
            seals: list[dict[str, str]] | None = None,
            when: str | None = None,
        ) -> None:
            at = int(raw[col][r]) if when is None else when_ts  # noqa: B023
            future = at > now
            e: dict[str, Any] = {
                "eventID": next_id(),
                "eventCreatedDateTime": (
                    now_iso if future else created[col][r] if when is None else when  # noqa: B023
                ),
                "eventType": "EQUIPMENT",
                "eventClassifierCode": "EST" if future else "ACT",
                "eventDateTime": times[col][r] if when is None else when,  # noqa: B023
                "equipmentEventTypeCode": code,
                "equipmentReference": c,  # noqa: B023
                "ISOEquipmentCode": size,  # noqa: B023
                "emptyIndicatorCode": "EMPTY" if empty else "LADEN",
                "eventLocation": _loc(port, fac),
                "documentReferences": docs,  # noqa: B023
            }
            if call is not None:
                e["transportCall"] = call
            if seals:
                e["seals"] = seals
            out.append(e)

        ofac = foreign_facility(origin)
        ev("GTOT", "t_empty", origin, "", empty=True)
        ev("GTIN", "t_gtin", origin, ofac, seals=seal)
        ev("LOAD", "t_load", origin, ofac, call=calls.get(*first, origin, ofac, 1), seals=seal)
        if tr:
            tfac = foreign_facility(tr)
            ev("DISC", "t_tdisc", tr, tfac, call=calls.get(*feeder, tr, tfac, 2), seals=seal)
            ev("LOAD", "t_tload", tr, tfac, call=calls.get(*main, tr, tfac, 2), seals=seal)
        hub_call = calls.get(*main, hub_port, hub_fac, 3)
        disc_seal = [{"sealNumber": str(rows["seal_at_disc"][r]), "sealSource": "CAR", "sealType": "BLT"}]
        ev("DISC", "t_disc", hub_port, hub_fac, call=hub_call, seals=disc_seal)
        if int(r) in st.inspected:
            when_ts = st.inspected[int(r)][1]
            t = iso1(when_ts)
            ev("INSP", "t_disc", hub_port, hub_fac, call=None, seals=disc_seal, when=t)
        ev("GTOT", "t_gtot", hub_port, hub_fac, seals=disc_seal)
        # The empty comes back to a depot after the consignee has stripped it.
        ev("GTIN", "t_empty_back", hub_port, "", empty=True)
    out.extend(_transport_events(rows, sea, calls, now))
    return out


def _transport_events(rows: Any, sea: np.ndarray, calls: _Calls, now: int) -> list[dict[str, Any]]:
    """ARRI/DEPA at the hub and DEPA at each loading port, one per vessel call.

    A call's departure is part of the vessel's schedule (trade.sea_rows), not of one day's boxes: every day's
    file that mentions the call repeats the same DEPA, with an event id derived from the call, so ingest
    stores it once and no box of a later day is loaded after it.
    """
    departs: dict[tuple[str, str, str], int] = {}
    hub_arri: dict[tuple[str, str, str], int] = {}
    for r in sea:
        imo, voy = str(rows["vessel_imo"][r]), str(rows["voyage"][r])
        hub_arri.setdefault((imo, voy, str(rows["unlocode"][r])), int(rows["t_arri"][r]))
        if rows["tranship"][r]:
            key = (str(rows["feeder_imo"][r]), str(rows["feeder_voyage"][r]), str(rows["origin_port"][r]))
            departs[key] = max(departs.get(key, 0), int(rows["t_dep_load"][r]))
            key = (imo, voy, str(rows["tranship"][r]))
            t = int(rows["t_dep_tranship"][r])
        else:
            key = (imo, voy, str(rows["origin_port"][r]))
            t = int(rows["t_dep_load"][r])
        departs[key] = max(departs.get(key, 0), t)
    out = []
    for key, t in departs.items():
        call = calls.calls.get(key)
        if call is not None:
            out.append(_transport("DEPA", t, call, now))
    for key, t in hub_arri.items():
        call = calls.calls.get(key)
        if call is not None:
            out.append(_transport("ARRI", t, call, now))
            out.append(_transport("DEPA", t + 36 * 3600, call, now))
    return out


def _transport(code: str, t: int, call: dict[str, Any], now: int) -> dict[str, Any]:
    when = iso1(t)
    future = t > now
    return {
        "eventID": str(uuid.uuid5(_NS, f"{call['transportCallID']}/{code}")),
        # A departure still ahead at generation time is an estimate, published now (docs/world.md).
        "eventCreatedDateTime": iso1(now) if future else when,
        "eventType": "TRANSPORT",
        "eventClassifierCode": "EST" if future else "ACT",
        "eventDateTime": when,
        "transportEventTypeCode": code,
        "transportCall": call,
    }
