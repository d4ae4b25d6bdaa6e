"""Intelligence-led selection, the database edge: watch-list entries and tips (who, why, from where, how
long), read and changed only by government users, every read and change audited.

Adding, revoking and closing need ``intel:write`` (customs, police, KMar, FIOD, prosecution; not terminals or
shipping lines); reading needs ``intel:read``. Selection (service.run_selection) reads what is in force
through ``in_force`` and records what it did in the selection's own audit entry.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from mainport.audit.service import record
from mainport.errors import NotFound, ValidationFailed
from mainport.identity.principal import Principal
from mainport.reference.nodes import NODES
from mainport.shipments.models import Declaration, Party
from mainport.targeting.models import Tip, WatchEntry
from mainport.targeting.watchlist import normalise

MAX_TIP_DAYS = 31  # a tip forces selection; one that runs for months is a watch-list entry, not a tip


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _hub(hub: str | None) -> str | None:
    if hub in (None, ""):
        return None
    code = str(hub).strip().lower()
    if code not in NODES:
        raise ValidationFailed(f"hub: unknown hub {hub!r}; known: {', '.join(NODES)}")
    return code


def _text(value: str | None, name: str, limit: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(f"{name}: required")
    if len(text) > limit:
        raise ValidationFailed(f"{name}: at most {limit} characters")
    return text


def add_watch_entry(
    *,
    session: Session,
    actor: Principal,
    kind: str,
    value: str,
    owner: str,
    reason: str,
    source: str,
    weight: float = 0.5,
    hub: str | None = None,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
) -> WatchEntry:
    actor.require("intel:write")
    if not 0.0 < float(weight) <= 1.0:
        raise ValidationFailed("weight: must be in (0, 1]")
    start = _utc(valid_from) or datetime.now(UTC)
    end = _utc(valid_to)
    if end is not None and end <= start:
        raise ValidationFailed("valid_to: must be after valid_from")
    entry = WatchEntry(
        kind=kind,
        value=normalise(kind, value),
        owner=_text(owner, "owner", 100),
        reason=_text(reason, "reason", 2000),
        source=_text(source, "source", 100),
        weight=float(weight),
        hub=_hub(hub),
        valid_from=start,
        valid_to=end,
        org_code=actor.org_code,
        created_by=actor.username,
    )
    session.add(entry)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="targeting.watch.add",
        entity_type="watch_entry",
        entity_id=str(entry.id),
        detail={"kind": entry.kind, "value": entry.value, "source": entry.source, "hub": entry.hub},
    )
    return entry


def revoke_watch_entry(*, session: Session, actor: Principal, entry_id: int, reason: str) -> WatchEntry:
    actor.require("intel:write")
    entry = session.get(WatchEntry, entry_id)
    if entry is None:
        raise NotFound(f"watch-list entry {entry_id} not found")
    if entry.revoked_at is not None:
        raise ValidationFailed(f"watch-list entry {entry_id} was revoked already")
    entry.revoked_at = datetime.now(UTC)
    entry.revoked_by = actor.username
    entry.revoke_reason = _text(reason, "reason", 2000)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="targeting.watch.revoke",
        entity_type="watch_entry",
        entity_id=str(entry.id),
        detail={"reason": entry.revoke_reason},
    )
    return entry


def list_watch_entries(
    *, session: Session, actor: Principal, include_ended: bool = False, hub: str | None = None
) -> list[WatchEntry]:
    actor.require("intel:read")
    q = select(WatchEntry).order_by(WatchEntry.id.desc())
    if not include_ended:
        now = datetime.now(UTC)
        q = q.where(
            WatchEntry.revoked_at.is_(None), or_(WatchEntry.valid_to.is_(None), WatchEntry.valid_to >= now)
        )
    if hub:
        q = q.where(or_(WatchEntry.hub.is_(None), WatchEntry.hub == _hub(hub)))
    entries = list(session.scalars(q))
    record(
        session=session,
        actor=actor,
        action="targeting.watch.view",
        entity_type="watch_list",
        entity_id=hub or "all",
        detail={"entries": len(entries), "include_ended": include_ended},
    )
    return entries


def add_tip(
    *,
    session: Session,
    actor: Principal,
    reference: str,
    source: str,
    summary: str,
    window_from: datetime,
    window_to: datetime,
    hub: str | None = None,
    container_number: str | None = None,
    vessel_imo: str | None = None,
    party_eori: str | None = None,
    place_of_loading: str | None = None,
    hs_prefix: str | None = None,
) -> Tip:
    actor.require("intel:write")
    start, end = _utc(window_from), _utc(window_to)
    if start is None or end is None or end <= start:
        raise ValidationFailed("window: window_to must be after window_from")
    if end - start > timedelta(days=MAX_TIP_DAYS):
        raise ValidationFailed(
            f"window: a tip forces selection for at most {MAX_TIP_DAYS} days; use a watch-list entry "
            "for longer"
        )
    container = normalise("container", container_number) if container_number else None
    imo = normalise("vessel", vessel_imo) if vessel_imo else None
    party = normalise("party", party_eori) if party_eori else None
    loading = None
    if place_of_loading:
        loading = place_of_loading.strip().upper()
        normalise("route", f"{loading}>*")  # a UN/LOCODE or a country
    prefix = (hs_prefix or "").strip().replace(".", "") or None
    if prefix is not None and not (prefix.isdigit() and 2 <= len(prefix) <= 10):
        raise ValidationFailed("hs_prefix: 2 to 10 digits")
    if not any((container, imo, party, loading, prefix)):
        raise ValidationFailed(
            "a tip needs at least one of container_number, vessel_imo, party_eori, place_of_loading, "
            "hs_prefix"
        )
    tip = Tip(
        reference=_text(reference, "reference", 64),
        source=_text(source, "source", 100),
        summary=_text(summary, "summary", 2000),
        hub=_hub(hub),
        container_number=container,
        vessel_imo=imo,
        party_eori=party,
        place_of_loading=loading,
        hs_prefix=prefix,
        window_from=start,
        window_to=end,
        org_code=actor.org_code,
        created_by=actor.username,
    )
    session.add(tip)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="targeting.tip.add",
        entity_type="tip",
        entity_id=str(tip.id),
        detail={"reference": tip.reference, "source": tip.source, "hub": tip.hub},
    )
    return tip


def close_tip(*, session: Session, actor: Principal, tip_id: int, note: str = "") -> Tip:
    actor.require("intel:write")
    tip = session.get(Tip, tip_id)
    if tip is None:
        raise NotFound(f"tip {tip_id} not found")
    if tip.status == "closed":
        raise ValidationFailed(f"tip {tip_id} was closed already")
    tip.status = "closed"
    tip.closed_at = datetime.now(UTC)
    tip.closed_by = actor.username
    tip.close_note = _text(note, "note", 2000, required=False)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="targeting.tip.close",
        entity_type="tip",
        entity_id=str(tip.id),
        detail={"note": tip.close_note},
    )
    return tip


def list_tips(
    *, session: Session, actor: Principal, status: str | None = "open", hub: str | None = None
) -> list[Tip]:
    actor.require("intel:read")
    q = select(Tip).order_by(Tip.id.desc())
    if status:
        q = q.where(Tip.status == status)
    if hub:
        q = q.where(or_(Tip.hub.is_(None), Tip.hub == _hub(hub)))
    tips = list(session.scalars(q))
    record(
        session=session,
        actor=actor,
        action="targeting.tip.view",
        entity_type="tips",
        entity_id=hub or "all",
        detail={"tips": len(tips), "status": status},
    )
    return tips


def in_force(
    session: Session, *, start: datetime, end: datetime, hub: str
) -> tuple[list[WatchEntry], list[Tip]]:
    """Watch-list entries and open tips that apply to ``hub`` at some moment in [start, end) (selection)."""
    entries = session.scalars(
        select(WatchEntry).where(
            WatchEntry.revoked_at.is_(None),
            WatchEntry.valid_from < end,
            or_(WatchEntry.valid_to.is_(None), WatchEntry.valid_to >= start),
            or_(WatchEntry.hub.is_(None), WatchEntry.hub == hub),
        )
    ).all()
    tips = session.scalars(
        select(Tip).where(
            Tip.status == "open",
            Tip.window_from < end,
            Tip.window_to >= start,
            or_(Tip.hub.is_(None), Tip.hub == hub),
        )
    ).all()
    return list(entries), list(tips)


def declaration_keys(session: Session, ids: list[int]) -> pd.DataFrame:
    """What watch-list entries and tips are matched on, per declaration: the parties' EORIs, container,
    vessel, places, routing, HS code, hub and filing time."""
    roles = {r: aliased(Party) for r in ("consignor", "consignee", "notify", "declarant")}
    q = (
        select(
            Declaration.id,
            Declaration.filed_at,
            Declaration.hub,
            Declaration.container_number,
            Declaration.vessel_imo,
            Declaration.place_of_loading,
            Declaration.place_of_discharge,
            Declaration.place_of_delivery,
            Declaration.countries_of_routing,
            Declaration.hs_code,
            *(roles[r].eori for r in roles),
        )
        .outerjoin(roles["consignor"], roles["consignor"].id == Declaration.consignor_id)
        .outerjoin(roles["consignee"], roles["consignee"].id == Declaration.consignee_id)
        .outerjoin(roles["notify"], roles["notify"].id == Declaration.notify_id)
        .outerjoin(roles["declarant"], roles["declarant"].id == Declaration.declarant_id)
        .where(Declaration.id.in_(ids))
    )
    cols = [
        "declaration_id",
        "filed_at",
        "hub",
        "container_number",
        "vessel_imo",
        "place_of_loading",
        "place_of_discharge",
        "place_of_delivery",
        "countries_of_routing",
        "hs_code",
        *(f"{r}_eori" for r in roles),
    ]
    frame = pd.DataFrame(session.execute(q).all(), columns=cols)
    order = pd.Index(frame["declaration_id"]).get_indexer(ids)
    return frame.iloc[order[order >= 0]].reset_index(drop=True)


def summary(session: Session, *, actor: Principal, hub: str, day: date) -> dict[str, Any]:
    """What is in force for a hub on a day, for the targeting page (audited as a read)."""
    actor.require("intel:read")
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    entries, tips = in_force(session, start=start, end=start + timedelta(days=1), hub=hub)
    record(
        session=session,
        actor=actor,
        action="targeting.intel.view",
        entity_type="hub_day",
        entity_id=f"{hub}/{day}",
        detail={"entries": len(entries), "tips": len(tips)},
    )
    return {"entries": entries, "tips": tips}
