"""Who is acting, and what they may do. Checked in the service layer, not in handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mainport.errors import PermissionDenied
from mainport.identity.models import OrgKind, Role

# Organisations that may see intelligence (declarations, parties, risk scores, alerts, cases).
GOVERNMENT = frozenset(
    {
        OrgKind.customs,
        OrgKind.police,
        OrgKind.prosecution,
        OrgKind.border_police,
        OrgKind.fiscal_investigation,
    }
)

POLICE = frozenset({OrgKind.police, OrgKind.border_police})
# Police and the organisations with a port / facility security officer (ISPS PFSO, the airport's security).
PEOPLE_ORGS = POLICE | frozenset(
    {OrgKind.port_authority, OrgKind.terminal, OrgKind.airport, OrgKind.flower_auction}
)

# permission -> (organisation kinds allowed, roles allowed); None means any.
PERMISSIONS: dict[str, tuple[frozenset[OrgKind] | None, frozenset[Role]]] = {
    "declarations:read": (GOVERNMENT, frozenset(Role)),
    "declarations:write": (frozenset({OrgKind.customs}), frozenset({Role.admin, Role.analyst, Role.officer})),
    "containers:read": (None, frozenset(Role)),
    "events:write": (
        frozenset({OrgKind.customs, OrgKind.terminal, OrgKind.shipping_line, OrgKind.port_authority}),
        frozenset({Role.admin, Role.analyst, Role.officer}),
    ),
    "quarantine:read": (None, frozenset({Role.admin, Role.analyst})),
    "quarantine:write": (None, frozenset({Role.admin, Role.analyst})),
    "overview:read": (None, frozenset(Role)),
    "users:admin": (None, frozenset({Role.admin})),
    "audit:read": (GOVERNMENT, frozenset({Role.admin})),
    "intel:read": (GOVERNMENT, frozenset({Role.admin, Role.analyst, Role.officer})),
    "intel:write": (GOVERNMENT, frozenset({Role.admin, Role.analyst, Role.officer})),
    "targeting:admin": (frozenset({OrgKind.customs}), frozenset({Role.admin, Role.analyst})),
    "monitoring:read": (None, frozenset(Role)),
    "monitoring:detail": (GOVERNMENT, frozenset(Role)),
    "monitoring:write": (GOVERNMENT, frozenset({Role.admin, Role.analyst})),
    "imaging:read": (GOVERNMENT, frozenset({Role.admin, Role.analyst, Role.officer})),
    "imaging:write": (GOVERNMENT, frozenset({Role.admin, Role.analyst, Role.officer})),
    "custody:read": (None, frozenset(Role)),
    "custody:write": (None, frozenset({Role.admin, Role.analyst, Role.officer})),
    # Staff look-ups of container data (access logs): who looked up what is insider intelligence.
    "insider:read": (GOVERNMENT, frozenset({Role.admin, Role.analyst})),
    # People (screening register, insider ranking): police and the security officers of ports and terminals
    # only (purpose-bound); which people each sees is `policy.people`. Names need an approved reveal.
    "screening:read": (PEOPLE_ORGS, frozenset({Role.admin, Role.officer})),
    "screening:write": (PEOPLE_ORGS, frozenset({Role.admin, Role.officer})),
    "screening:reveal": (POLICE, frozenset({Role.admin, Role.officer})),
    "screening:approve": (POLICE, frozenset({Role.admin})),
    # The platform's recurring jobs: seen and started by the administrators of government partners.
    "operations:read": (GOVERNMENT, frozenset({Role.admin})),
    "operations:run": (GOVERNMENT, frozenset({Role.admin})),
    # The ISPS port-facility register: which entries each sees is barriers.service._sees (a facility's
    # measures are security-sensitive); kept by the port authority (harbour master) and the police.
    "facilities:read": (GOVERNMENT | PEOPLE_ORGS, frozenset(Role)),
    "facilities:write": (
        frozenset({OrgKind.port_authority, OrgKind.police, OrgKind.border_police}),
        frozenset({Role.admin, Role.officer}),
    ),
    # Federation with other mainport instances: partners, keys and agreements; signed messages.
    "federation:admin": (GOVERNMENT, frozenset({Role.admin})),
    "federation:send": (GOVERNMENT, frozenset({Role.admin, Role.analyst, Role.officer})),
    # The register of sharing (partners, agreements, requests, delegations): read by every partner's
    # administrators and analysts (their own part), managed by the owners of the data.
    "sharing:read": (None, frozenset({Role.admin, Role.analyst})),
    "sharing:admin": (None, frozenset({Role.admin})),
    "insider:write": (
        frozenset({OrgKind.customs, OrgKind.terminal, OrgKind.port_authority, OrgKind.airport}),
        frozenset({Role.admin, Role.analyst}),
    ),
}


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: Role
    org_id: int
    org_code: str
    org_kind: OrgKind
    node_code: str | None = None
    facility_code: str | None = None
    carrier_code: str | None = None  # a shipping line's SCAC
    scopes: frozenset[str] = field(default_factory=frozenset)
    # The sharing agreements the organisation holds (mainport.sharing.pdp.Grants, from principal_for): they
    # decide the organisation side of every data permission. None (hand-made principals, the platform
    # itself): the fixed matrix above.
    grants: Any = field(default=None, compare=False, hash=False, repr=False)

    @property
    def is_government(self) -> bool:
        return self.org_kind in GOVERNMENT

    @property
    def is_system(self) -> bool:
        """The platform itself (CLI, jobs): never a logged-in user (user ids start at 1)."""
        return self.user_id == 0 and self.username == "system"

    def can(self, permission: str) -> bool:
        try:
            kinds, roles = PERMISSIONS[permission]
        except KeyError as exc:  # a typo in a permission name must fail loudly
            raise ValueError(f"unknown permission {permission!r}") from exc
        if self.role not in roles:
            return False
        verdict = None if self.grants is None else self.grants.permits(permission)
        if verdict is not None:
            return bool(verdict)
        return kinds is None or self.org_kind in kinds

    def audit_note(self, action: str, entity_type: str, detail: dict[str, Any]) -> dict[str, Any] | None:
        """The sharing decision (category, agreement, owner, conditions, records) an audited read or change of
        this principal relied on, for the audit entry; None for the platform and for what is no shared data.
        Asked of the principal, so the audit log needs no knowledge of sharing."""
        return None if self.grants is None else self.grants.audit_note(action, entity_type, detail)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDenied(
                f"{self.username} ({self.role.value} at {self.org_code}) may not {permission}"
            )


def system_principal() -> Principal:
    """The principal for jobs the platform runs itself (ingest from the CLI, scheduled work)."""
    return Principal(
        user_id=0,
        username="system",
        role=Role.admin,
        org_id=0,
        org_code="SYSTEM",
        org_kind=OrgKind.customs,
    )


def anonymous_principal() -> Principal:
    """Who acted when nobody is logged in (failed log-ins are audited under this name)."""
    return Principal(
        user_id=0, username="anonymous", role=Role.viewer, org_id=0, org_code="-", org_kind=OrgKind.customs
    )
