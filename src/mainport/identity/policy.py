"""Need-to-know: the one place per object kind that answers "may this principal see / write this object".

Services ask here instead of testing organisation kinds themselves, so that the rules can later be driven by
sharing agreements (a policy decision point) without touching every service. Reads come as SQL conditions
(lists are filtered in the database, counts stay true) and as yes/no for one object; writes as a refusal
reason or None.

The rules (government = customs, police, prosecution, border police, fiscal investigation):
* government sees every container and event;
* a terminal sees the containers handled at its facility (events there, custody plans there, release rights
  to be collected there) and, of their events, only those at its facility;
* a shipping line sees the containers it carries: on a declaration naming its carrier code (SCAC), or with a
  release right it issued;
* a forwarder or haulier sees the containers of the release rights it takes part in (not revoked);
* a port authority, airport or flower auction sees the containers with events in its hub, and only those
  events;
* nobody else (a municipality) sees single containers;
* private parties never see customs intelligence: inspection and reseal events (and, elsewhere, declarations,
  selections, scans, cases and alerts, which need government permissions);
* writes: a terminal reports events at its own facility only; a shipping line only for its own vessels and
  the containers it carries; a port authority only transport (vessel call) events in its hub; what one
  writes never widens what one may read (a write is refused where it would).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, exists, false, literal, or_, select, true
from sqlalchemy.orm import Session

from mainport.identity.models import OrgKind, User
from mainport.identity.principal import Principal

# DCSA equipment events that reveal a customs control (inspected, resealed after it, seal removed).
INTELLIGENCE_EVENT_CODES = frozenset({"INSP", "RSEA", "RMVD"})
HUB_BOUND = frozenset({OrgKind.port_authority, OrgKind.airport, OrgKind.flower_auction})
RELEASE_PARTIES = frozenset({OrgKind.forwarder, OrgKind.haulier})


def sees_everything(actor: Principal) -> bool:
    return actor.is_government or actor.is_system


# -- containers ---------------------------------------------------------------------------------------------


def _carried(actor: Principal, number: Any) -> ColumnElement[bool]:
    from mainport.custody.models import ReleaseRight
    from mainport.shipments.models import Declaration

    org = actor.org_code
    issued = exists().where(ReleaseRight.container_number == number, ReleaseRight.issuer_org == org)
    if not actor.carrier_code:
        return issued
    declared = exists().where(
        Declaration.container_number == number, Declaration.carrier == actor.carrier_code
    )
    return or_(declared, issued)


def _in_release_chain(actor: Principal, number: Any) -> ColumnElement[bool]:
    from mainport.custody.models import Nomination, ReleaseRight

    named = exists().where(
        Nomination.right_id == ReleaseRight.id,
        or_(Nomination.to_party == actor.org_code, Nomination.from_org == actor.org_code),
    )
    return exists().where(
        ReleaseRight.container_number == number,
        ReleaseRight.status != "revoked",
        or_(ReleaseRight.holder_org == actor.org_code, ReleaseRight.carrier_id == actor.org_code, named),
    )


def containers(actor: Principal, number: Any) -> ColumnElement[bool]:
    """SQL condition: the container whose number is the column (or literal) `number` is visible."""
    from mainport.custody.models import CustodyPlan, ReleaseRight
    from mainport.shipments.models import ContainerEvent

    if sees_everything(actor):
        return true()
    kind = actor.org_kind
    if kind == OrgKind.terminal:
        if not actor.facility_code:
            return false()
        here = actor.facility_code
        return or_(
            exists().where(
                ContainerEvent.equipment_reference == number, ContainerEvent.facility_code == here
            ),
            exists().where(CustodyPlan.container_number == number, CustodyPlan.facility_code == here),
            exists().where(ReleaseRight.container_number == number, ReleaseRight.facility_code == here),
        )
    if kind == OrgKind.shipping_line:
        return _carried(actor, number)
    if kind in RELEASE_PARTIES:
        return _in_release_chain(actor, number)
    if kind in HUB_BOUND and actor.node_code:
        hub = actor.node_code
        return exists().where(ContainerEvent.equipment_reference == number, ContainerEvent.hub == hub)
    return false()


def may_see_container(session: Session, actor: Principal, number: str) -> bool:
    if sees_everything(actor):
        return True
    return session.scalar(select(literal(1)).where(containers(actor, literal(number)))) is not None


def events(actor: Principal) -> ColumnElement[bool]:
    """SQL condition on ContainerEvent: which events of a visible container the actor is shown."""
    from mainport.shipments.models import ContainerEvent

    if sees_everything(actor):
        return true()
    not_intel = ContainerEvent.type_code.not_in(sorted(INTELLIGENCE_EVENT_CODES))
    kind = actor.org_kind
    if kind == OrgKind.terminal:
        if not actor.facility_code:
            return false()
        return and_(not_intel, ContainerEvent.facility_code == actor.facility_code)
    if kind in HUB_BOUND:
        if not actor.node_code:
            return false()
        return and_(not_intel, ContainerEvent.hub == actor.node_code)
    if kind == OrgKind.shipping_line or kind in RELEASE_PARTIES:
        return not_intel
    return false()


def visible_events(actor: Principal) -> ColumnElement[bool]:
    """Events the actor is shown anywhere (lists, counts): a shown event of a visible container."""
    from mainport.shipments.models import ContainerEvent

    if sees_everything(actor):
        return true()
    return and_(events(actor), containers(actor, ContainerEvent.equipment_reference))


# -- event writes -------------------------------------------------------------------------------------------


def _event_carrier(payload: str | None) -> str | None:
    """The vessel operator's carrier code a DCSA event names (v2 and v3 shapes), if any."""
    if not payload:
        return None
    try:
        ev = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(ev, dict):
        return None
    call = ev.get("transportCall") or (ev.get("eventLocation") or {}).get("transportCall") or {}
    vessel = call.get("vessel") if isinstance(call, dict) else None
    code = vessel.get("vesselOperatorCarrierCode") if isinstance(vessel, dict) else None
    return str(code).upper() if code else None


def event_write_refusals(
    session: Session,
    actor: Principal,
    events_in: Sequence[tuple[str, str | None, str | None, str | None, str | None]],
) -> list[str | None]:
    """For each event (event_type, equipment reference, facility code, hub, payload JSON): None if the actor
    may report it, else why not (the quarantine reason)."""
    if sees_everything(actor):
        return [None] * len(events_in)
    kind = actor.org_kind
    if kind == OrgKind.terminal:
        own = actor.facility_code
        if not own:
            return [f"organisation {actor.org_code} has no facility configured"] * len(events_in)
        return [
            None
            if facility == own
            else f"facilityCode: {actor.org_code} reports events at its own facility {own} only "
            f"(value {facility!r})"
            for _t, _eq, facility, _hub, _p in events_in
        ]
    if kind == OrgKind.shipping_line:
        return _line_refusals(session, actor, events_in)
    if kind in HUB_BOUND:
        out: list[str | None] = []
        for event_type, equipment, _f, hub, _p in events_in:
            if event_type != "TRANSPORT" or equipment:
                out.append(f"eventType: {actor.org_code} reports vessel call (TRANSPORT) events only")
            elif not actor.node_code or hub != actor.node_code:
                out.append(
                    f"UNLocationCode: {actor.org_code} reports events in its own hub only (hub {hub!r})"
                )
            else:
                out.append(None)
        return out
    return [f"{actor.org_code} ({kind.value}) may not report events"] * len(events_in)


def _line_refusals(
    session: Session,
    actor: Principal,
    events_in: Sequence[tuple[str, str | None, str | None, str | None, str | None]],
) -> list[str | None]:
    from mainport.shipments.models import Declaration

    scac = actor.carrier_code
    if not scac:
        return [f"organisation {actor.org_code} has no carrier code (SCAC) configured"] * len(events_in)
    boxes = sorted({eq for _t, eq, _f, _h, _p in events_in if eq})
    carried: set[str] = set()
    for i in range(0, len(boxes), 2000):
        carried.update(
            n
            for n in session.scalars(
                select(Declaration.container_number).where(
                    Declaration.container_number.in_(boxes[i : i + 2000]), Declaration.carrier == scac
                )
            )
            if n
        )
    out: list[str | None] = []
    for _t, equipment, _f, _h, payload in events_in:
        named = _event_carrier(payload)
        if named is not None and named != scac:
            out.append(
                f"vesselOperatorCarrierCode: {actor.org_code} reports its own vessels only (value {named!r})"
            )
        elif equipment and equipment not in carried:
            out.append(f"equipmentReference: {equipment} is not on a declaration of carrier {scac}")
        elif not equipment and named is None:
            out.append("transportCall: name your vessel operator carrier code")
        else:
            out.append(None)
    return out


# -- release rights -----------------------------------------------------------------------------------------


def release_right(actor: Principal, right: Any) -> bool:
    """May the actor see this release right: customs, the issuing line, the terminal where it is collected,
    and the parties of its nomination chain."""
    if sees_everything(actor) or actor.org_code == right.issuer_org:
        return True
    if actor.org_kind == OrgKind.terminal:
        return bool(actor.facility_code) and actor.facility_code == right.facility_code
    return actor.org_code in {n.to_party for n in right.nominations} | {n.from_org for n in right.nominations}


def may_issue_release(session: Session, actor: Principal, container_number: str) -> bool:
    """A shipping line issues release rights only for containers it carries (by its declarations): issuing
    must not be a way to open another carrier's container."""
    from mainport.shipments.models import Declaration

    if actor.org_kind != OrgKind.shipping_line or not actor.carrier_code:
        return False
    found = session.scalar(
        select(Declaration.id)
        .where(Declaration.container_number == container_number, Declaration.carrier == actor.carrier_code)
        .limit(1)
    )
    return found is not None


# -- people (screening register, insider ranking) ---------------------------------------------------------


def people(actor: Principal, employer: Any, hub: Any) -> ColumnElement[bool]:
    """SQL condition on people (their employer's organisation code and hub columns): police and the system
    see every person; a port authority, airport or flower auction the staff in its hub; a terminal (or anyone
    else) only its own staff."""
    if actor.is_system or actor.org_kind in (OrgKind.police, OrgKind.border_police):
        return true()
    if actor.org_kind in HUB_BOUND:
        return hub == actor.node_code if actor.node_code else false()
    return employer == actor.org_code


def may_see_person(actor: Principal, employer: str, hub: str | None) -> bool:
    if actor.is_system or actor.org_kind in (OrgKind.police, OrgKind.border_police):
        return True
    if actor.org_kind in HUB_BOUND:
        return bool(actor.node_code) and hub == actor.node_code
    return employer == actor.org_code


# -- quarantine ---------------------------------------------------------------------------------------------


def quarantine(session: Session, actor: Principal) -> ColumnElement[bool]:
    """SQL condition on QuarantinedRecord: government sees every refused record; a private party only what
    users of its own organisation sent (their own data, with the reason it was refused)."""
    from mainport.ingest.models import QuarantinedRecord

    if sees_everything(actor):
        return true()
    names = list(session.scalars(select(User.username).where(User.organisation_id == actor.org_id)))
    if not names:
        return false()
    source = QuarantinedRecord.source
    return or_(*(or_(source == f"api:{n}", source.startswith(f"api:{n}:", autoescape=True)) for n in names))
