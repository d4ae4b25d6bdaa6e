"""Need-to-know: the one place per object kind that answers "may this principal see / write this object".

Services ask here instead of testing organisation kinds themselves; the rules are driven by sharing
agreements: the principal carries its organisation's grants from the policy decision point
(mainport.sharing.pdp), and the scopes below are the agreements' conditions (own_facility, own_carriage,
own_release_rights, own_hub). The default agreements give exactly the rules listed here. Reads come as SQL
conditions (lists are filtered in the database, counts stay true) and as yes/no for one object; writes as a
refusal reason or None.

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
from typing import Any, TypeVar, cast

import orjson
from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, exists, false, literal, or_, select, true
from sqlalchemy.orm import Session

from mainport.errors import PermissionDenied
from mainport.identity.models import OrgKind, User
from mainport.identity.principal import Principal

_Model = TypeVar("_Model", bound=BaseModel)

# DCSA equipment events that reveal a customs control (inspected, resealed after it, seal removed).
INTELLIGENCE_EVENT_CODES = frozenset({"INSP", "RSEA", "RMVD"})
HUB_BOUND = frozenset({OrgKind.port_authority, OrgKind.airport, OrgKind.flower_auction})
RELEASE_PARTIES = frozenset({OrgKind.forwarder, OrgKind.haulier})


def sees_everything(actor: Principal) -> bool:
    return actor.is_government or actor.is_system


# -- the sharing agreements behind these rules (mainport.sharing.pdp) ---------------------------------------


def grants_for(session: Session, org: Any) -> Any:
    """The policy decision point's answer for an organisation: the agreements (and delegation evidence) in
    force for it, carried by its principals (`Principal.grants`)."""
    from mainport.sharing import pdp

    return pdp.grants_for(session, org.code, OrgKind(org.kind).value)


def grants_of(actor: Principal) -> Any:
    """The actor's grants; a principal made by hand (tests, tools) gets the default agreements of its kind."""
    from mainport.sharing import pdp

    if actor.grants is not None:
        return actor.grants
    return pdp.default_grants(actor.org_code, actor.org_kind.value)


def require_category(actor: Principal, category: str, action: str) -> None:
    """For a service whose permission covers more than one category (intelligence: selections and cases): the
    actor's organisation needs an agreement for this category too (single records, not figures only)."""
    if actor.is_system:
        return
    if grants_of(actor).best(category, action, single=True) is None:
        raise PermissionDenied(f"{actor.org_code} has no agreement to {action} {category}")


def redact(actor: Principal, category: str, out: _Model) -> _Model:
    """`out` (a response model) with its personal fields pseudonymised where the actor's agreement for the
    category says so; unchanged otherwise."""
    if actor.grants is None or not actor.grants.pseudonymised(category):
        return out
    from mainport.sharing.redaction import pseudonymise

    return cast(_Model, pseudonymise(category, out))


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
    """SQL condition: the container whose number is the column (or literal) `number` is visible: the union
    of the scopes of the actor's agreements for events (own facility, own carriage, own release rights, own
    hub) and of the delegation evidence it holds."""
    from mainport.custody.models import CustodyPlan, ReleaseRight
    from mainport.shipments.models import ContainerEvent

    if sees_everything(actor):
        return true()
    grants = grants_of(actor)
    scopes = grants.scopes("events", "read")
    parts: list[ColumnElement[bool]] = []
    if scopes is not None and not scopes:  # an agreement for every container
        return true()
    scopes = scopes or frozenset()
    if "own_facility" in scopes and actor.facility_code:
        here = actor.facility_code
        parts += [
            exists().where(
                ContainerEvent.equipment_reference == number, ContainerEvent.facility_code == here
            ),
            exists().where(CustodyPlan.container_number == number, CustodyPlan.facility_code == here),
            exists().where(ReleaseRight.container_number == number, ReleaseRight.facility_code == here),
        ]
    if "own_carriage" in scopes:
        parts.append(_carried(actor, number))
    if "own_release_rights" in scopes:
        parts.append(_in_release_chain(actor, number))
    if "own_hub" in scopes and actor.node_code:
        hub = actor.node_code
        parts.append(exists().where(ContainerEvent.equipment_reference == number, ContainerEvent.hub == hub))
    if grants.delegated:
        parts.append(_delegated(actor, number))
    return or_(*parts) if parts else false()


def _delegated(actor: Principal, number: Any) -> ColumnElement[bool]:
    """Delegation evidence in force for the container (or for all the delegator's), where the delegator
    itself holds a release right for it: a delegation never gives more than the delegator has."""
    from mainport.custody.models import ReleaseRight
    from mainport.database import utcnow
    from mainport.sharing.models import Delegation

    now = utcnow()
    delegator_holds = exists().where(
        ReleaseRight.container_number == number,
        ReleaseRight.status != "revoked",
        or_(
            ReleaseRight.holder_org == Delegation.delegator_org,
            ReleaseRight.carrier_id == Delegation.delegator_org,
        ),
    )
    return exists().where(
        Delegation.delegate_org == actor.org_code,
        Delegation.category == "events",
        Delegation.revoked_at.is_(None),
        Delegation.not_before <= now,
        Delegation.not_on_or_after > now,
        or_(Delegation.container_number == number, Delegation.container_number.is_(None)),
        delegator_holds,
    )


def may_see_container(session: Session, actor: Principal, number: str) -> bool:
    if sees_everything(actor):
        return True
    return session.scalar(select(literal(1)).where(containers(actor, literal(number)))) is not None


def events(actor: Principal) -> ColumnElement[bool]:
    """SQL condition on ContainerEvent: which events of a visible container the actor is shown (never
    inspection events to a private party): all of them for the containers it carries or takes part in the
    release of, those at its facility or in its hub otherwise."""
    from mainport.shipments.models import ContainerEvent

    if sees_everything(actor):
        return true()
    not_intel = ContainerEvent.type_code.not_in(sorted(INTELLIGENCE_EVENT_CODES))
    grants = grants_of(actor)
    scopes = grants.scopes("events", "read")
    if scopes is not None and (not scopes or scopes & {"own_carriage", "own_release_rights"}):
        return not_intel
    scopes = scopes or frozenset()
    parts: list[ColumnElement[bool]] = []
    if "own_facility" in scopes and actor.facility_code:
        parts.append(and_(not_intel, ContainerEvent.facility_code == actor.facility_code))
    if "own_hub" in scopes and actor.node_code:
        parts.append(and_(not_intel, ContainerEvent.hub == actor.node_code))
    if grants.delegated:
        parts.append(and_(not_intel, _delegated(actor, ContainerEvent.equipment_reference)))
    return or_(*parts) if parts else false()


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
    scopes = grants_of(actor).scopes("events", "write")
    if scopes is None:
        return [f"{actor.org_code} ({kind.value}) may not report events"] * len(events_in)
    if "own_facility" in scopes:
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
    if "own_carriage" in scopes:
        return _line_refusals(session, actor, events_in)
    if "own_hub" in scopes:
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
    if not scopes:  # an agreement for every container's events
        return [None] * len(events_in)
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
    if actor.org_kind == OrgKind.terminal and actor.facility_code:
        # A terminal's own systems log its facility code as the employer of its staff.
        return or_(employer == actor.org_code, employer == actor.facility_code)
    return employer == actor.org_code


def may_see_person(actor: Principal, employer: str, hub: str | None) -> bool:
    if actor.is_system or actor.org_kind in (OrgKind.police, OrgKind.border_police):
        return True
    if actor.org_kind in HUB_BOUND:
        return bool(actor.node_code) and hub == actor.node_code
    return employer in {actor.org_code, actor.facility_code or actor.org_code}


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
