"""The sharing register: categories, legal bases, purposes, partners, agreements and delegation evidence.

Who may do what (`sharing:read` / `sharing:admin` in identity.principal, then need-to-know here): every
partner's administrators and analysts see the agreements, delegations and requests they are a party to
(owner, partner, delegator, delegate; partners of a kind see the agreements for their kind); customs sees the
whole register. Only the owner of the data (its administrators; customs for the default agreements owned by
DOUANE) grants, revokes and decides. Every change and every read of the register is audited."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.database import utcnow
from mainport.errors import NotFound, PermissionDenied, ValidationFailed
from mainport.identity.models import Organisation, OrgKind
from mainport.identity.principal import GOVERNMENT, Principal
from mainport.sharing import defaults
from mainport.sharing.models import Agreement, DataCategory, LegalBasis, Partner, Purpose
from mainport.sharing.pdp import ACTIONS, CONDITIONS, SCOPES
from mainport.sharing.retention import PURGES

# --- need-to-know on the register itself -------------------------------------------------------------------


def sees_register(actor: Principal) -> bool:
    return actor.is_system or actor.org_kind == OrgKind.customs


def owns(actor: Principal, owner_org: str) -> bool:
    """May the actor grant, revoke and decide for data owned by `owner_org`."""
    if actor.is_system:
        return True
    if not actor.can("sharing:admin"):
        return False
    return actor.org_code == owner_org or (
        owner_org == defaults.DEFAULT_OWNER and actor.org_kind == OrgKind.customs
    )


def _require_owner(actor: Principal, owner_org: str) -> None:
    actor.require("sharing:admin")
    if not owns(actor, owner_org):
        raise PermissionDenied(f"{actor.username} ({actor.org_code}) does not answer for data of {owner_org}")


def check_owner(session: Session, owner_org: str) -> None:
    """Only a government partner holds the platform's data and grants it (the policy decision point counts
    no other owner's agreement): a private party's reports are shared by the default rules."""
    if owner_org == defaults.DEFAULT_OWNER:
        return
    org = organisation(session, owner_org)
    if org.kind not in GOVERNMENT:
        raise PermissionDenied(
            f"owner_org: {org.code} ({org.kind.value}) is not a government partner; it grants nothing"
        )


def _agreements_visible(actor: Principal) -> ColumnElement[bool]:
    if sees_register(actor):
        return true()
    return or_(
        Agreement.owner_org == actor.org_code,
        Agreement.partner_org == actor.org_code,
        Agreement.partner_kind == actor.org_kind.value,
    )


# --- register: categories, legal bases, purposes ---------------------------------------------------------


def seed_defaults(*, session: Session, now: datetime | None = None) -> int:
    """The categories, legal bases, purposes and default agreements of a new installation (those missing;
    changes made since are kept). Returns how many agreements were added."""
    now = now or utcnow()
    for code, (title, intel, days) in defaults.CATEGORIES.items():
        if session.get(DataCategory, code) is None:
            session.add(DataCategory(code=code, title=title, intelligence=intel, retention_days=days))
    bases = {b.code: b for b in session.scalars(select(LegalBasis))}
    for code, (title, article) in defaults.LEGAL_BASES.items():
        if code not in bases:
            bases[code] = LegalBasis(code=code, title=title, article=article)
            session.add(bases[code])
    purposes = {p.code: p for p in session.scalars(select(Purpose))}
    for code, (title, description) in defaults.PURPOSES.items():
        if code not in purposes:
            purposes[code] = Purpose(code=code, title=title, description=description)
            session.add(purposes[code])
    session.flush()
    known = set(session.scalars(select(Agreement.reference)))
    added = 0
    for d in defaults.default_agreements():
        if d.reference in known:
            continue
        session.add(
            Agreement(
                reference=d.reference,
                owner_org=defaults.DEFAULT_OWNER,
                partner_kind=d.partner_kind,
                category=d.category,
                actions=list(d.actions),
                conditions=list(d.conditions),
                purpose_id=purposes[d.purpose].id,
                legal_basis_id=bases[d.legal_basis].id,
                valid_from=datetime(2020, 1, 1, tzinfo=now.tzinfo),
                note="default: the permission matrix before agreements (docs/security.md)",
                created_by="system",
            )
        )
        added += 1
    session.flush()
    return added


def categories(*, session: Session, actor: Principal) -> list[DataCategory]:
    actor.require("sharing:read")
    return list(session.scalars(select(DataCategory).order_by(DataCategory.code)))


def category(session: Session, code: str) -> DataCategory:
    found = session.get(DataCategory, code)
    if found is None:
        known = ", ".join(sorted(session.scalars(select(DataCategory.code)))) or "none seeded"
        raise ValidationFailed(f"category: {code!r} is not a data category ({known})")
    return found


def set_retention(*, session: Session, actor: Principal, code: str, days: int | None) -> DataCategory:
    actor.require("sharing:admin")
    if not sees_register(actor):
        raise PermissionDenied(f"{actor.username} ({actor.org_code}) may not set retention")
    if days is not None and not 1 <= days <= 36500:
        raise ValidationFailed(f"retention_days: {days} is out of range (1..36500, or none to keep)")
    cat = category(session, code)
    if days is not None and code not in PURGES:
        raise ValidationFailed(
            f"retention_days: {code} has no retention purge (only {', '.join(sorted(PURGES))}); it is kept"
        )
    before = cat.retention_days
    cat.retention_days = days
    audit.record(
        session=session,
        actor=actor,
        action="sharing.retention.set",
        entity_type="sharing_category",
        entity_id=code,
        detail={"before": before, "after": days},
    )
    return cat


def legal_bases(*, session: Session, actor: Principal) -> list[LegalBasis]:
    actor.require("sharing:read")
    return list(session.scalars(select(LegalBasis).order_by(LegalBasis.code)))


def purposes(*, session: Session, actor: Principal) -> list[Purpose]:
    actor.require("sharing:read")
    return list(session.scalars(select(Purpose).order_by(Purpose.code)))


def _by_code(session: Session, model: type[LegalBasis] | type[Purpose], code: str, what: str) -> Any:
    found = session.scalar(select(model).where(model.code == code))
    if found is None:
        known = ", ".join(sorted(session.scalars(select(model.code)))) or "none registered"
        raise ValidationFailed(f"{what}: {code!r} is not registered ({known})")
    return found


def add_legal_basis(*, session: Session, actor: Principal, code: str, title: str, article: str) -> LegalBasis:
    actor.require("sharing:admin")
    if not sees_register(actor):
        raise PermissionDenied(f"{actor.username} ({actor.org_code}) may not change the register")
    code, title, article = code.strip(), title.strip(), article.strip()
    if not code or not title or not article:
        raise ValidationFailed("legal basis: give a code, a title and the article reference")
    if session.scalar(select(LegalBasis.id).where(LegalBasis.code == code)) is not None:
        raise ValidationFailed(f"code: legal basis {code!r} exists already")
    basis = LegalBasis(code=code[:32], title=title[:200], article=article[:200])
    session.add(basis)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="sharing.legal_basis.add",
        entity_type="sharing_legal_basis",
        entity_id=basis.code,
        detail={"article": basis.article},
    )
    return basis


def add_purpose(
    *, session: Session, actor: Principal, code: str, title: str, description: str = ""
) -> Purpose:
    actor.require("sharing:admin")
    if not sees_register(actor):
        raise PermissionDenied(f"{actor.username} ({actor.org_code}) may not change the register")
    code, title = code.strip(), title.strip()
    if not code or not title:
        raise ValidationFailed("purpose: give a code and a title")
    if session.scalar(select(Purpose.id).where(Purpose.code == code)) is not None:
        raise ValidationFailed(f"code: purpose {code!r} exists already")
    purpose = Purpose(code=code[:32], title=title[:200], description=description)
    session.add(purpose)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="sharing.purpose.add",
        entity_type="sharing_purpose",
        entity_id=code,
    )
    return purpose


# --- partners ---------------------------------------------------------------------------------------------


def organisation(session: Session, code: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.code == code.strip()))
    if org is None:
        raise ValidationFailed(f"organisation: {code!r} is not an organisation of this platform")
    return org


def register_partner(
    *, session: Session, actor: Principal, org_code: str, party_id: str = "", contact: str = ""
) -> Partner:
    """Register (or update) an organisation as a sharing partner: customs for anyone, an admin for its own."""
    actor.require("sharing:admin")
    if not (sees_register(actor) or actor.org_code == org_code):
        raise PermissionDenied(f"{actor.username} ({actor.org_code}) registers its own organisation only")
    org = organisation(session, org_code)
    partner = session.scalar(select(Partner).where(Partner.org_code == org.code))
    if partner is None:
        partner = Partner(org_code=org.code, created_by=actor.username)
        session.add(partner)
    partner.party_id, partner.contact, partner.active = party_id.strip()[:64], contact.strip()[:200], True
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="sharing.partner.register",
        entity_type="sharing_partner",
        entity_id=org.code,
        detail={"party_id": partner.party_id},
    )
    return partner


@dataclass
class PartnerRow:
    org_code: str
    name: str
    kind: str
    hub: str | None
    party_id: str
    contact: str
    registered: bool
    agreements: int


def partners(*, session: Session, actor: Principal) -> list[PartnerRow]:
    """Every organisation with its partner registration and the agreements in force for it (by code or
    kind); a private party sees itself and the owners it has agreements with."""
    actor.require("sharing:read")
    now = utcnow()
    regs = {p.org_code: p for p in session.scalars(select(Partner))}
    live = list(session.scalars(select(Agreement).where(Agreement.revoked_at.is_(None))))
    live = [a for a in live if a.valid_from <= now and (a.valid_to is None or a.valid_to > now)]
    rows = []
    for org in session.scalars(select(Organisation).order_by(Organisation.code)):
        mine = [a for a in live if a.partner_org == org.code or a.partner_kind == org.kind.value]
        related = any(a.owner_org == org.code for a in live if a.partner_org == actor.org_code)
        if not sees_register(actor) and org.code != actor.org_code and not related:
            continue
        reg = regs.get(org.code)
        rows.append(
            PartnerRow(
                org.code,
                org.name,
                org.kind.value,
                org.node_code,
                reg.party_id if reg else "",
                reg.contact if reg else "",
                reg is not None and reg.active,
                len(mine),
            )
        )
    return rows


# --- agreements -------------------------------------------------------------------------------------------


def _clean_list(values: Iterable[str], allowed: Iterable[str], what: str) -> list[str]:
    allowed = set(allowed)
    out = sorted({v.strip() for v in values if v.strip()})
    bad = [v for v in out if v not in allowed]
    if bad:
        raise ValidationFailed(f"{what}: {', '.join(bad)} unknown (one of {', '.join(sorted(allowed))})")
    return out


def check_grant(
    session: Session,
    *,
    partner_kind: str,
    category_code: str,
    actions: Sequence[str],
    conditions: Sequence[str],
) -> DataCategory:
    """What no agreement may say: customs intelligence read by a private party; a private party's single
    records of events or custody without a scope (its facility, carriage, release rights or hub)."""
    cat = category(session, category_code)
    private = partner_kind not in {k.value for k in GOVERNMENT}
    figures_only = "aggregated_only" in conditions
    if private and cat.intelligence and "read" in actions and not figures_only:
        raise ValidationFailed(
            f"category: {cat.code} is customs intelligence and is never given to a private party "
            "(only aggregated_only figures)"
        )
    if private and "write" in actions and cat.intelligence and cat.code != "staff_lookups":
        raise ValidationFailed(f"category: a private party does not write {cat.code}")
    if private and cat.code in ("events", "custody") and not figures_only and not set(conditions) & SCOPES:
        raise ValidationFailed(
            f"conditions: a private party's {cat.code} need a scope ({', '.join(sorted(SCOPES))}) "
            "or aggregated_only"
        )
    return cat


def create_agreement(
    *,
    session: Session,
    actor: Principal,
    category_code: str,
    actions: Sequence[str],
    purpose_code: str,
    legal_basis_code: str,
    partner_org: str | None = None,
    partner_kind: str | None = None,
    conditions: Sequence[str] = (),
    owner_org: str | None = None,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    note: str = "",
    reference: str | None = None,
    request_id: int | None = None,
) -> Agreement:
    owner = (owner_org or (defaults.DEFAULT_OWNER if actor.is_system else actor.org_code)).strip()
    _require_owner(actor, owner)
    check_owner(session, owner)
    if (partner_org is None) == (partner_kind is None):
        raise ValidationFailed("partner: name one organisation (partner_org) or one kind (partner_kind)")
    if partner_org is not None:
        org = organisation(session, partner_org)
        partner_org, kind = org.code, org.kind.value
    else:
        kind = str(partner_kind).strip()
        if kind not in {k.value for k in OrgKind}:
            raise ValidationFailed(f"partner_kind: {kind!r} is not an organisation kind")
        partner_kind = kind
    acts = _clean_list(actions, ACTIONS, "actions")
    if not acts:
        raise ValidationFailed("actions: give read, write or both")
    conds = _clean_list(conditions, CONDITIONS, "conditions")
    check_grant(session, partner_kind=kind, category_code=category_code, actions=acts, conditions=conds)
    purpose = _by_code(session, Purpose, purpose_code, "purpose")
    basis = _by_code(session, LegalBasis, legal_basis_code, "legal_basis")
    start = valid_from or utcnow()
    if valid_to is not None and valid_to <= start:
        raise ValidationFailed("valid_to: the agreement must end after it starts")
    ref = (reference or "").strip() or f"{owner}-{partner_org or kind}-{category_code}-{start:%Y%m%d%H%M%S}"
    if session.scalar(select(Agreement.id).where(Agreement.reference == ref)) is not None:
        raise ValidationFailed(f"reference: agreement {ref!r} exists already")
    agreement = Agreement(
        reference=ref[:64],
        owner_org=owner,
        partner_org=partner_org,
        partner_kind=partner_kind,
        category=category_code,
        actions=acts,
        conditions=conds,
        purpose_id=purpose.id,
        legal_basis_id=basis.id,
        valid_from=start,
        valid_to=valid_to,
        note=note,
        request_id=request_id,
        created_by=actor.username,
    )
    session.add(agreement)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="sharing.agreement.create",
        entity_type="sharing_agreement",
        entity_id=agreement.reference,
        detail={
            "owner": owner,
            "partner": partner_org or f"kind:{kind}",
            "category": category_code,
            "actions": acts,
            "conditions": conds,
            "purpose": purpose.code,
            "legal_basis": basis.code,
            "valid_to": valid_to,
        },
    )
    return agreement


def get_agreement(*, session: Session, actor: Principal, agreement_id: int) -> Agreement:
    actor.require("sharing:read")
    found = session.scalar(select(Agreement).where(Agreement.id == agreement_id, _agreements_visible(actor)))
    if found is None:
        raise NotFound(f"no agreement {agreement_id}")
    return found


def revoke_agreement(*, session: Session, actor: Principal, agreement_id: int, reason: str) -> Agreement:
    agreement = get_agreement(session=session, actor=actor, agreement_id=agreement_id)
    _require_owner(actor, agreement.owner_org)
    if not reason.strip():
        raise ValidationFailed("reason: say why the agreement ends")
    if agreement.revoked_at is not None:
        raise ValidationFailed(f"agreement {agreement.reference} is revoked already")
    agreement.revoked_at, agreement.revoked_by, agreement.revoke_reason = (
        utcnow(),
        actor.username,
        reason.strip(),
    )
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="sharing.agreement.revoke",
        entity_type="sharing_agreement",
        entity_id=agreement.reference,
        detail={"reason": agreement.revoke_reason},
    )
    return agreement


def list_agreements(
    *, session: Session, actor: Principal, in_force: bool = False, category_code: str | None = None
) -> list[Agreement]:
    actor.require("sharing:read")
    stmt = select(Agreement).where(_agreements_visible(actor))
    if category_code:
        stmt = stmt.where(Agreement.category == category_code)
    rows = list(session.scalars(stmt.order_by(Agreement.category, Agreement.reference)))
    if in_force:
        now = utcnow()
        rows = [
            a
            for a in rows
            if a.revoked_at is None and a.valid_from <= now and (a.valid_to is None or a.valid_to > now)
        ]
    audit.record(
        session=session,
        actor=actor,
        action="sharing.agreement.list",
        entity_type="sharing_agreement",
        entity_id="*",
        detail={"returned": len(rows), "category": category_code},
    )
    return rows
