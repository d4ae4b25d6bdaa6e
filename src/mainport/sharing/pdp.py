"""The policy decision point: which agreements an organisation holds, and what they permit.

`grants_for` is asked once when a principal is made (identity.service.principal_for) and the answer travels
with the principal (`Principal.grants`), so that every permission check of the request (`Principal.can`, the
need-to-know conditions in identity.policy) is a look-up in memory. The agreements in force are read from the
principal's own database; a database with no agreement at all is decided by the built-in defaults (the same
list bootstrap seeds, which reproduces the old fixed matrix)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Engine, bindparam, event, literal, null, or_, select, union_all
from sqlalchemy.orm import Session

from mainport.database import utcnow
from mainport.sharing.defaults import DEFAULT_OWNER, default_agreements

ACTIONS = ("read", "write")
# Which of the partner's containers an agreement covers; none of these: all of them.
SCOPES = frozenset({"own_facility", "own_release_rights", "own_carriage", "own_hub"})
# How the data is given: personal fields pseudonymised; figures only, never single records.
MANNERS = frozenset({"pseudonymised", "aggregated_only"})
CONDITIONS = SCOPES | MANNERS

# permission -> (category, action, single records needed). A permission not named here is no sharing of
# data (user management, the platform's jobs, rule profiles) and stays with the fixed matrix.
PERMISSION_CATEGORY: dict[str, tuple[str, str, bool]] = {
    "declarations:read": ("declarations", "read", True),
    "declarations:write": ("declarations", "write", True),
    "containers:read": ("events", "read", False),
    "events:write": ("events", "write", True),
    "intel:read": ("selections", "read", True),
    "intel:write": ("selections", "write", True),
    "imaging:read": ("scans", "read", True),
    "imaging:write": ("scans", "write", True),
    "custody:read": ("custody", "read", True),
    "custody:write": ("custody", "write", True),
    "insider:read": ("staff_lookups", "read", True),
    "insider:write": ("staff_lookups", "write", True),
    "monitoring:read": ("seizures", "read", False),
    "monitoring:detail": ("seizures", "read", True),
    "monitoring:write": ("seizures", "write", True),
}

# The audit log's entity types per category: an audited read or change of one of these is a disclosure
# under the agreement the actor holds for the category (written into the entry, counted in the figures).
ENTITY_CATEGORY: dict[str, str] = {
    "declaration": "declarations",
    "container": "events",
    "scan": "scans",
    "scan_comparison": "scans",
    "scan_declared_check": "scans",
    "selection": "selections",
    "watch_entry": "selections",
    "watch_list": "selections",
    "tip": "selections",
    "tips": "selections",
    "custody_plan": "custody",
    "release_right": "custody",
    "custody_terminal_instruction": "custody",
    "gate_decision": "custody",
    "case": "cases",
    "alert": "cases",
    "staff_lookup": "staff_lookups",
    "seizure": "seizures",
    "inspection": "seizures",
    "waterbed_signal": "seizures",
}
READ_VERBS = ("read", "search", "list", "view", "export", "board")
COUNT_KEYS = ("returned", "events", "rows", "count", "stored", "items", "shown")


@dataclass(frozen=True)
class Grant:
    """One agreement in force for the partner: what the decision relies on."""

    reference: str
    owner: str
    category: str
    actions: frozenset[str]
    conditions: frozenset[str]
    purpose: str
    legal_basis: str
    agreement_id: int | None = None  # None: a built-in default (no agreement stored yet)
    internal: bool = False  # the owner's own administration: no sharing to count

    @property
    def scopes(self) -> frozenset[str]:
        return self.conditions & SCOPES

    @property
    def single_records(self) -> bool:
        return "aggregated_only" not in self.conditions


@dataclass(frozen=True)
class Grants:
    """The grants an organisation holds, by (category, action)."""

    org_code: str
    by_key: Mapping[tuple[str, str], tuple[Grant, ...]] = field(default_factory=dict)
    delegated: bool = False  # holds delegation evidence in force (checked in SQL where it matters)

    def for_(self, category: str, action: str) -> tuple[Grant, ...]:
        return self.by_key.get((category, action), ())

    def best(self, category: str, action: str, *, single: bool = False) -> Grant | None:
        """The least restricted grant (no scope beats a scope, records beat figures), or None."""
        found = [g for g in self.for_(category, action) if g.single_records or not single]
        if not found:
            return None
        return min(found, key=lambda g: (not g.single_records, len(g.scopes), len(g.conditions), g.reference))

    def permits(self, permission: str) -> bool | None:
        """The organisation side of `Principal.can`; None when the permission is no data sharing."""
        spec = PERMISSION_CATEGORY.get(permission)
        if spec is None:
            return None
        category, action, single = spec
        return self.best(category, action, single=single) is not None

    def scopes(self, category: str, action: str) -> frozenset[str] | None:
        """None: no grant of single records; empty: all of them; else the union of the grants' scopes."""
        found = [g for g in self.for_(category, action) if g.single_records]
        if not found:
            return None
        if any(not g.scopes for g in found):
            return frozenset()
        return frozenset().union(*(g.scopes for g in found))

    def audit_note(self, action: str, entity_type: str, detail: Mapping[str, Any]) -> dict[str, Any] | None:
        """The organisation side of `Principal.audit_note`."""
        return audit_note(self, action, entity_type, detail)

    def pseudonymised(self, category: str) -> bool:
        """Personal fields are pseudonymised when the best grant for reading the category says so."""
        g = self.best(category, "read", single=True)
        return g is not None and "pseudonymised" in g.conditions


def build(org_code: str, grants: Iterable[Grant], *, delegated: bool = False) -> Grants:
    by_key: dict[tuple[str, str], list[Grant]] = {}
    for g in grants:
        for action in g.actions:
            by_key.setdefault((g.category, action), []).append(g)
    return Grants(org_code, {k: tuple(v) for k, v in by_key.items()}, delegated)


@cache
def _default_grants(kind: str) -> tuple[Grant, ...]:
    return tuple(
        Grant(
            d.reference,
            DEFAULT_OWNER,
            d.category,
            frozenset(d.actions),
            frozenset(d.conditions),
            d.purpose,
            d.legal_basis,
            None,
            kind == "customs",
        )
        for d in default_agreements()
        if d.partner_kind == kind
    )


def default_grants(org_code: str, kind: str) -> Grants:
    return build(org_code, _default_grants(kind))


@cache
def _statement() -> Any:
    """The PDP's one query (one round trip, bound parameters, compiled once): the agreements in force for an
    organisation and its kind granted by a government owner (tag "a"), whether it holds delegation evidence
    in force ("d"), and whether any agreement is stored at all ("any")."""
    from mainport.identity.models import Organisation
    from mainport.identity.principal import GOVERNMENT
    from mainport.sharing.models import Agreement, Delegation

    org: Any = bindparam("org")
    kind: Any = bindparam("kind")
    now: Any = bindparam("now")
    government = select(Organisation.code).where(Organisation.kind.in_(sorted(GOVERNMENT)))
    agreements = select(
        Agreement.id,
        Agreement.reference,
        Agreement.owner_org,
        Agreement.partner_kind,
        Agreement.category,
        Agreement.actions,
        Agreement.conditions,
        Agreement.purpose_id,
        Agreement.legal_basis_id,
        literal("a").label("tag"),
    ).where(
        or_(Agreement.partner_org == org, Agreement.partner_kind == kind),
        # Only government partners hold the platform's data and grant it (sharing.service.check_owner).
        or_(Agreement.owner_org == DEFAULT_OWNER, Agreement.owner_org.in_(government.scalar_subquery())),
        Agreement.revoked_at.is_(None),
        Agreement.valid_from <= now,
        or_(Agreement.valid_to.is_(None), Agreement.valid_to > now),
    )
    delegation = (
        select(Delegation.id)
        .where(
            Delegation.delegate_org == org,
            Delegation.revoked_at.is_(None),
            Delegation.not_before <= now,
            Delegation.not_on_or_after > now,
        )
        .limit(1)
        .subquery()
    )
    first = select(Agreement.id).order_by(Agreement.id).limit(1).subquery()
    blanks = [null()] * 8
    return union_all(
        agreements,
        select(delegation.c.id, *blanks, literal("d")),
        select(first.c.id, *blanks, literal("any")),
    )


# Decisions cached per database, organisation and kind for CACHE_TTL_S (other worker processes see a change
# within that; validity ends are honoured within it too). Any write of a sharing table and any rollback in
# this process start a new epoch (the cache is dropped); a session with sharing writes not yet committed
# never reads or fills the cache, so uncommitted agreements are never shown to another session.
CACHE_TTL_S = 5.0
_cache: dict[tuple[int, str, str], tuple[float, int, Grants]] = {}
_epoch = [0]
_DIRTY = "mp_sharing_dirty"
SHARING_TABLES = frozenset({"sharing_agreement", "sharing_delegation"})


def invalidate() -> None:
    _epoch[0] += 1
    _cache.clear()


def _touches_sharing(session: Session) -> bool:
    return any(
        getattr(obj, "__tablename__", None) in SHARING_TABLES
        for obj in (*session.new, *session.dirty, *session.deleted)
    )


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    if _touches_sharing(session):
        session.info[_DIRTY] = True
        invalidate()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_DIRTY, False):
        invalidate()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: Any) -> None:
    if session.info.pop(_DIRTY, False):
        invalidate()


@event.listens_for(Engine, "rollback")
def _connection_rollback(_conn: Any) -> None:
    invalidate()  # e.g. a test's outer transaction: what it wrote is gone


def grants_for(session: Session, org_code: str, kind: str, *, now: datetime | None = None) -> Grants:
    """The agreements in force for this organisation (its own and those of its kind, granted by a
    government owner) and whether it holds delegation evidence in force."""
    if now is not None or session.info.get(_DIRTY):
        return _load(session, org_code, kind, now or utcnow())
    bind = session.get_bind()
    key = (id(getattr(bind, "engine", bind)), org_code, kind)
    hit = _cache.get(key)
    clock = time.monotonic()
    if hit is not None and hit[0] > clock and hit[1] == _epoch[0]:
        return hit[2]
    epoch = _epoch[0]
    grants = _load(session, org_code, kind, utcnow())
    if epoch == _epoch[0] and not session.info.get(_DIRTY):
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[key] = (clock + CACHE_TTL_S, epoch, grants)
    return grants


def _load(session: Session, org_code: str, kind: str, now: datetime) -> Grants:
    rows = session.execute(_statement(), {"org": org_code, "kind": kind, "now": now}).all()
    tags = {r[-1] for r in rows}
    if "any" not in tags:  # no agreement stored at all: the built-in defaults
        return default_grants(org_code, kind)
    grants = [
        Grant(
            r.reference,
            r.owner_org,
            r.category,
            frozenset(r.actions),
            frozenset(r.conditions),
            str(r.purpose_id),
            str(r.legal_basis_id),
            r.id,
            r.owner_org == org_code or (r.partner_kind == "customs" and r.owner_org == DEFAULT_OWNER),
        )
        for r in rows
        if r[-1] == "a"
    ]
    return build(org_code, grants, delegated="d" in tags)


def _records(detail: Mapping[str, Any]) -> int:
    for key in COUNT_KEYS:
        value = detail.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return 1


def audit_note(
    grants: Grants, action: str, entity_type: str, detail: Mapping[str, Any]
) -> dict[str, Any] | None:
    """What an audit entry records of the decision: the category, the agreement relied on and its owner,
    its conditions, and how many records the read or change concerned."""
    category = ENTITY_CATEGORY.get(entity_type)
    if category is None:
        return None
    verb = "read" if action.rsplit(".", 1)[-1] in READ_VERBS else "write"
    g = grants.best(category, verb) or (grants.best(category, "read") if verb == "write" else None)
    if g is None:
        return {"category": category, "action": verb, "decision": "no-agreement", "records": _records(detail)}
    return {
        "category": category,
        "action": verb,
        "decision": "permit",
        "agreement": g.reference,
        "agreement_id": g.agreement_id,
        "owner": g.owner,
        "conditions": sorted(g.conditions),
        "internal": g.internal,
        "records": _records(detail),
    }
