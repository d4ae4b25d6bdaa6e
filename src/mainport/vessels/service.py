"""Vessels: calls stored from the feed, the explained risk score of each call, the diver plan within capacity
and the outcomes of dives, which the next scores learn from.

Risk scores and dives are intelligence: read with intel:read (government), planned with targeting:admin
(customs), outcomes recorded with intel:write. Every read of scores or dives and every change is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mainport.audit.service import record
from mainport.database import utcnow
from mainport.errors import Conflict, NotFound, ValidationFailed
from mainport.identity.principal import Principal
from mainport.reference.nodes import NODES
from mainport.shipments.models import Declaration
from mainport.vessels.models import VesselCall, VesselDive
from mainport.vessels.score import RISK_COUNTRIES, CallInput, History, PortCall, Scored, score_calls
from mainport.vessels.selection import EXPLORATION_SHARE, choose

RESULTS = ("found", "not_found")
MAX_WINDOW_DAYS = 31


@dataclass(frozen=True)
class ScoredCall:
    call: VesselCall
    scored: Scored
    risk_boxes: int
    dive: VesselDive | None


def store_calls(
    *, session: Session, actor: Principal, rows: Sequence[dict[str, Any]], source: str
) -> tuple[int, int]:
    """Store checked vessel-call rows (vessels.feeds); one stored before is a duplicate. -> (stored, dups)."""
    actor.require("events:write")
    keys = {(r["vessel_imo"], r["voyage_number"], r["hub"]) for r in rows}
    imos = {k[0] for k in keys}
    known = set()
    if imos:
        found = session.execute(
            select(VesselCall.vessel_imo, VesselCall.voyage_number, VesselCall.hub).where(
                VesselCall.vessel_imo.in_(imos)
            )
        )
        known = {tuple(r) for r in found}
    fresh = [r for r in rows if (r["vessel_imo"], r["voyage_number"], r["hub"]) not in known]
    session.add_all(VesselCall(**r, source=source[:200]) for r in fresh)
    session.flush()
    if fresh:
        record(
            session=session,
            actor=actor,
            action="vessels.calls_stored",
            entity_type="vessel_call",
            entity_id=source[:100],
            detail={"stored": len(fresh), "duplicates": len(rows) - len(fresh)},
        )
    return len(fresh), len(rows) - len(fresh)


def _window(start: datetime, end: datetime) -> None:
    if end <= start:
        raise ValidationFailed("end: must be after start")
    if (end - start).days > MAX_WINDOW_DAYS:
        raise ValidationFailed(f"end: the window may span at most {MAX_WINDOW_DAYS} days")


def _hub(hub: str | None) -> str | None:
    if hub is not None and hub not in NODES:
        raise ValidationFailed(f"hub: unknown hub {hub!r}; known: {', '.join(NODES)}")
    return hub


def _history(session: Session) -> History:
    """Every dive outcome so far, per vessel and per port called (what the score learns from)."""
    history = History()
    rows = session.execute(
        select(VesselCall.vessel_imo, VesselCall.port_calls, VesselDive.result)
        .join(VesselDive, VesselDive.call_id == VesselCall.id)
        .where(VesselDive.result.in_(RESULTS))
        .order_by(VesselDive.id)
    )
    for imo, ports, result in rows:
        history.add(imo, [p["unlocode"] for p in ports or []], result == "found")
    return history


def _risk_boxes(session: Session, calls: Sequence[VesselCall]) -> dict[tuple[str, str], int]:
    """Declarations per vessel and voyage loaded in a source or transit country."""
    imos = {c.vessel_imo for c in calls}
    if not imos:
        return {}
    rows = session.execute(
        select(Declaration.vessel_imo, Declaration.voyage_number, func.count())
        .where(
            Declaration.vessel_imo.in_(imos),
            func.substr(Declaration.place_of_loading, 1, 2).in_(sorted(RISK_COUNTRIES)),
        )
        .group_by(Declaration.vessel_imo, Declaration.voyage_number)
    )
    return {(imo, voy): int(n) for imo, voy, n in rows if imo and voy}


def _input(call: VesselCall, boxes: int) -> CallInput:
    return CallInput(
        call_id=call.id,
        vessel_imo=call.vessel_imo,
        port_calls=[PortCall(p["unlocode"], float(p.get("anchorage_hours") or 0.0)) for p in call.port_calls],
        crew_change_ports=[c["unlocode"] for c in call.crew_changes],
        risk_boxes=boxes,
    )


def _scored(session: Session, start: datetime, end: datetime, hub: str | None) -> list[ScoredCall]:
    q = select(VesselCall).where(VesselCall.arrived_at >= start, VesselCall.arrived_at < end)
    if hub is not None:
        q = q.where(VesselCall.hub == hub)
    calls = list(session.scalars(q.order_by(VesselCall.arrived_at, VesselCall.id)))
    boxes = _risk_boxes(session, calls)
    inputs = [_input(c, boxes.get((c.vessel_imo, c.voyage_number), 0)) for c in calls]
    scored = score_calls(inputs, _history(session))
    dives = {}
    if calls:
        dives = {
            d.call_id: d
            for d in session.scalars(select(VesselDive).where(VesselDive.call_id.in_([c.id for c in calls])))
        }
    return [
        ScoredCall(c, s, i.risk_boxes, dives.get(c.id))
        for c, s, i in zip(calls, scored, inputs, strict=True)
        if i.from_source
    ]


def score_window(
    *, session: Session, actor: Principal, start: datetime, end: datetime, hub: str | None = None
) -> list[ScoredCall]:
    """The calls from source/transit countries arriving in [start, end), highest score first, with reasons."""
    actor.require("intel:read")
    _window(start, end)
    out = sorted(_scored(session, start, end, _hub(hub)), key=lambda s: -s.scored.score)
    record(
        session=session,
        actor=actor,
        action="vessels.scores_read",
        entity_type="vessel_call",
        entity_id=f"{hub or 'all'}:{start.isoformat()}",
        detail={"end": end.isoformat(), "calls": len(out)},
    )
    return out


def select_dives(
    *,
    session: Session,
    actor: Principal,
    start: datetime,
    end: datetime,
    capacity: int,
    hub: str | None = None,
    exploration_share: float = EXPLORATION_SHARE,
    seed: int | None = None,
) -> list[VesselDive]:
    """Plan up to `capacity` dives among the window's calls from source/transit countries not yet chosen."""
    actor.require("targeting:admin")
    _window(start, end)
    if not 1 <= capacity <= 1000:
        raise ValidationFailed("capacity: a number of dives from 1 to 1000")
    if not 0.0 <= exploration_share <= 1.0:
        raise ValidationFailed("exploration_share: between 0 and 1")
    open_calls = [s for s in _scored(session, start, end, _hub(hub)) if s.dive is None]
    by_id = {s.call.id: s for s in open_calls}
    picks = choose(
        [s.scored for s in open_calls],
        capacity,
        exploration_share=exploration_share,
        seed=np.random.default_rng(seed),
    )
    dives = []
    for pick in picks:
        sc = by_id[pick.call_id]
        dives.append(
            VesselDive(
                call_id=sc.call.id,
                hub=sc.call.hub,
                score=pick.p,
                reasons=[
                    {"code": r.code, "text": r.text, "weight": round(r.weight, 3)} for r in sc.scored.reasons
                ],
                strategy=pick.strategy,
                propensity=pick.propensity,
                selected_by=actor.username,
            )
        )
    session.add_all(dives)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="vessels.dives_selected",
        entity_type="vessel_dive",
        entity_id=f"{hub or 'all'}:{start.isoformat()}",
        detail={
            "end": end.isoformat(),
            "capacity": capacity,
            "candidates": len(open_calls),
            "dives": [d.id for d in dives],
        },
    )
    return dives


def record_dive(
    *,
    session: Session,
    actor: Principal,
    dive_id: int,
    result: str,
    kg_found: float = 0.0,
    notes: str = "",
    dived_at: datetime | None = None,
) -> VesselDive:
    """The outcome of a planned dive; the next scores learn from it. Recorded once."""
    actor.require("intel:write")
    if result not in RESULTS:
        raise ValidationFailed(f"result: one of {', '.join(RESULTS)} (got {result!r})")
    if kg_found < 0 or (result == "not_found" and kg_found > 0):
        raise ValidationFailed("kg_found: 0 or more, and 0 when nothing was found")
    dive = session.get(VesselDive, dive_id)
    if dive is None:
        raise NotFound(f"vessel dive {dive_id} not found")
    if dive.result != "pending":
        raise Conflict(f"vessel dive {dive_id} already has its outcome ({dive.result})")
    dive.result = result
    dive.kg_found = kg_found
    dive.notes = notes
    dive.dived_at = dived_at or utcnow()
    dive.recorded_by = actor.username
    session.flush()
    record(
        session=session,
        actor=actor,
        action="vessels.dive_recorded",
        entity_type="vessel_dive",
        entity_id=str(dive.id),
        detail={"result": result, "kg_found": kg_found, "call_id": dive.call_id},
    )
    return dive


def list_dives(
    *,
    session: Session,
    actor: Principal,
    hub: str | None = None,
    result: str | None = None,
    limit: int = 200,
) -> list[VesselDive]:
    actor.require("intel:read")
    if result is not None and result not in ("pending", *RESULTS):
        raise ValidationFailed(f"result: one of pending, {', '.join(RESULTS)} (got {result!r})")
    q = select(VesselDive)
    if _hub(hub) is not None:
        q = q.where(VesselDive.hub == hub)
    if result is not None:
        q = q.where(VesselDive.result == result)
    dives = list(session.scalars(q.order_by(VesselDive.id.desc()).limit(max(1, min(limit, 1000)))))
    record(
        session=session,
        actor=actor,
        action="vessels.dives_read",
        entity_type="vessel_dive",
        entity_id=hub or "all",
        detail={"result": result, "count": len(dives)},
    )
    return dives
