"""The people the first-start demo acts as: real users of real partner organisations, created once.

Every step of the demo runs as one of them, so that the permissions and the audit trail are the ones a real
deployment has (the customs analyst selects, the officer records outcomes, the terminal moves boxes, the
line issues release rights). Their passwords are random and not shown: the administrator sees their work,
and can give them passwords with `mainport user create` semantics if a demo needs to log in as them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.identity import service as identity
from mainport.identity.models import Organisation, OrgKind, Role, User
from mainport.identity.principal import Principal, system_principal

# (organisation code, name, kind, hub) -> users (username, role, full name)
PEOPLE: tuple[tuple[str, str, OrgKind, str | None, tuple[tuple[str, Role, str], ...]], ...] = (
    (
        "DOUANE-RTM",
        "Douane Rotterdam Rijnmond",
        OrgKind.customs,
        "rotterdam",
        (
            ("demo.analyst", Role.analyst, "Risk analyst (demo)"),
            ("demo.officer", Role.officer, "Scan and search officer (demo)"),
        ),
    ),
    (
        "NP-ZEEHAVEN",
        "Zeehavenpolitie",
        OrgKind.police,
        "rotterdam",
        (("demo.police", Role.analyst, "Investigator (demo)"),),
    ),
    (
        "FWD-DEMO",
        "Demo Forwarding B.V.",
        OrgKind.forwarder,
        None,
        (("demo.forwarder", Role.officer, "Forwarder (demo)"),),
    ),
    (
        "HAUL-DEMO",
        "Demo Transport B.V.",
        OrgKind.haulier,
        None,
        (("demo.haulier", Role.officer, "Planner (demo)"),),
    ),
)


@dataclass
class Cast:
    analyst: Principal
    officer: Principal
    police: Principal
    forwarder: Principal
    haulier: Principal
    terminals: dict[str, Principal] = field(default_factory=dict)  # facility code -> terminal officer
    lines: dict[str, Principal] = field(default_factory=dict)  # carrier SCAC -> shipping line officer


def _user(session: Session, org: Organisation, username: str, role: Role, full_name: str) -> Principal:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = identity.create_user(
            session=session,
            actor=system_principal(),
            username=username,
            password=secrets.token_urlsafe(18),
            role=role,
            organisation=org,
            full_name=full_name,
        )
    return identity.principal_for(user)


def build_cast(session: Session) -> Cast:
    people: dict[str, Principal] = {}
    for code, name, kind, hub, users in PEOPLE:
        org = identity.get_or_create_organisation(
            session=session, code=code, name=name, kind=kind, node_code=hub
        )
        for username, role, full_name in users:
            people[username] = _user(session, org, username, role, full_name)
    return Cast(
        analyst=people["demo.analyst"],
        officer=people["demo.officer"],
        police=people["demo.police"],
        forwarder=people["demo.forwarder"],
        haulier=people["demo.haulier"],
    )


def terminal(session: Session, cast: Cast, facility: str, hub: str | None) -> Principal:
    """The terminal operating `facility` (an SMDG code from the events) and an officer of it."""
    if facility not in cast.terminals:
        org = identity.get_or_create_organisation(
            session=session,
            code=f"TERM-{facility}"[:32],
            name=f"Terminal {facility}",
            kind=OrgKind.terminal,
            node_code=hub,
            facility_code=facility,
        )
        cast.terminals[facility] = _user(
            session, org, f"demo.{facility.lower()}", Role.officer, f"Terminal officer {facility} (demo)"
        )
    return cast.terminals[facility]


def shipping_line(session: Session, cast: Cast, scac: str) -> Principal:
    """The shipping line with carrier code `scac` (from the declarations) and its release desk."""
    if scac not in cast.lines:
        org = identity.get_or_create_organisation(
            session=session,
            code=f"LINE-{scac}"[:32],
            name=f"Shipping line {scac}",
            kind=OrgKind.shipping_line,
        )
        org.carrier_code = scac  # ties the line to the boxes it carries
        cast.lines[scac] = _user(
            session, org, f"demo.line.{scac.lower()}", Role.officer, f"Release desk {scac} (demo)"
        )
    return cast.lines[scac]
