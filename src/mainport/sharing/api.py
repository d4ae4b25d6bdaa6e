"""Sharing API: the register (categories, legal bases, purposes, partners), agreements, requests, delegation
evidence, the caller's own grants (what the policy decision point answers for it) and the figures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from mainport.api.deps import CurrentUser, SessionDep
from mainport.identity import policy
from mainport.sharing import delegations, figures, requests, retention, service
from mainport.sharing.schemas import (
    AgreementIn,
    AgreementOut,
    CategoryOut,
    DecisionIn,
    DecisionOut,
    DelegationIn,
    DelegationOut,
    FigureOut,
    LegalBasisIn,
    LegalBasisOut,
    PartnerIn,
    PartnerOut,
    PurposeIn,
    PurposeOut,
    ReasonIn,
    RequestIn,
    RequestOut,
    RetentionIn,
    RetentionRunOut,
)

router = APIRouter(prefix="/sharing", tags=["sharing"])


@router.get("/categories", response_model=list[CategoryOut])
def list_categories(session: SessionDep, user: CurrentUser) -> Any:
    return service.categories(session=session, actor=user)


@router.put("/categories/{code}/retention", response_model=CategoryOut)
def set_retention(code: str, body: RetentionIn, session: SessionDep, user: CurrentUser) -> Any:
    return service.set_retention(session=session, actor=user, code=code, days=body.retention_days)


@router.get("/retention-runs", response_model=list[RetentionRunOut])
def retention_runs(session: SessionDep, user: CurrentUser) -> Any:
    return retention.runs(session=session, actor=user)


@router.get("/legal-bases", response_model=list[LegalBasisOut])
def list_legal_bases(session: SessionDep, user: CurrentUser) -> Any:
    return service.legal_bases(session=session, actor=user)


@router.post("/legal-bases", response_model=LegalBasisOut, status_code=status.HTTP_201_CREATED)
def add_legal_basis(body: LegalBasisIn, session: SessionDep, user: CurrentUser) -> Any:
    return service.add_legal_basis(
        session=session, actor=user, code=body.code, title=body.title, article=body.article
    )


@router.get("/purposes", response_model=list[PurposeOut])
def list_purposes(session: SessionDep, user: CurrentUser) -> Any:
    return service.purposes(session=session, actor=user)


@router.post("/purposes", response_model=PurposeOut, status_code=status.HTTP_201_CREATED)
def add_purpose(body: PurposeIn, session: SessionDep, user: CurrentUser) -> Any:
    return service.add_purpose(
        session=session, actor=user, code=body.code, title=body.title, description=body.description
    )


@router.get("/partners", response_model=list[PartnerOut])
def list_partners(session: SessionDep, user: CurrentUser) -> Any:
    return service.partners(session=session, actor=user)


@router.put("/partners", response_model=PartnerOut)
def register_partner(body: PartnerIn, session: SessionDep, user: CurrentUser) -> Any:
    service.register_partner(
        session=session, actor=user, org_code=body.org_code, party_id=body.party_id, contact=body.contact
    )
    return next(p for p in service.partners(session=session, actor=user) if p.org_code == body.org_code)


@router.get("/agreements", response_model=list[AgreementOut])
def list_agreements(
    session: SessionDep,
    user: CurrentUser,
    in_force: bool = False,
    category: Annotated[str | None, Query(max_length=32)] = None,
) -> Any:
    return service.list_agreements(session=session, actor=user, in_force=in_force, category_code=category)


@router.post("/agreements", response_model=AgreementOut, status_code=status.HTTP_201_CREATED)
def create_agreement(body: AgreementIn, session: SessionDep, user: CurrentUser) -> Any:
    return service.create_agreement(
        session=session,
        actor=user,
        category_code=body.category,
        actions=body.actions,
        purpose_code=body.purpose,
        legal_basis_code=body.legal_basis,
        partner_org=body.partner_org,
        partner_kind=body.partner_kind,
        conditions=body.conditions,
        owner_org=body.owner_org,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        note=body.note,
        reference=body.reference,
    )


@router.get("/agreements/{agreement_id}", response_model=AgreementOut)
def get_agreement(agreement_id: int, session: SessionDep, user: CurrentUser) -> Any:
    return service.get_agreement(session=session, actor=user, agreement_id=agreement_id)


@router.post("/agreements/{agreement_id}/revoke", response_model=AgreementOut)
def revoke_agreement(agreement_id: int, body: ReasonIn, session: SessionDep, user: CurrentUser) -> Any:
    return service.revoke_agreement(
        session=session, actor=user, agreement_id=agreement_id, reason=body.reason
    )


@router.get("/requests", response_model=list[RequestOut])
def list_requests(
    session: SessionDep, user: CurrentUser, state: Annotated[str | None, Query(max_length=16)] = None
) -> Any:
    return requests.list_requests(session=session, actor=user, status=state)


@router.post("/requests", response_model=RequestOut, status_code=status.HTTP_201_CREATED)
def ask(body: RequestIn, session: SessionDep, user: CurrentUser) -> Any:
    return requests.ask(
        session=session,
        actor=user,
        owner_org=body.owner_org,
        category_code=body.category,
        purpose_code=body.purpose,
        legal_basis_code=body.legal_basis,
        justification=body.justification,
        actions=body.actions,
        conditions=body.conditions,
        open_days=body.open_days,
        wanted_until=body.wanted_until,
    )


@router.post("/requests/{request_id}/approve", response_model=RequestOut)
def approve(request_id: int, body: DecisionIn, session: SessionDep, user: CurrentUser) -> Any:
    return requests.approve(session=session, actor=user, request_id=request_id, reason=body.reason)


@router.post("/requests/{request_id}/refuse", response_model=RequestOut)
def refuse(request_id: int, body: ReasonIn, session: SessionDep, user: CurrentUser) -> Any:
    return requests.refuse(session=session, actor=user, request_id=request_id, reason=body.reason)


@router.post("/requests/{request_id}/withdraw", response_model=RequestOut)
def withdraw(request_id: int, session: SessionDep, user: CurrentUser) -> Any:
    return requests.withdraw(session=session, actor=user, request_id=request_id)


def _delegation_out(row: Any) -> DelegationOut:
    out = DelegationOut.model_validate(row)
    out.evidence_document = delegations.delegation_evidence(row)
    return out


@router.get("/delegations", response_model=list[DelegationOut])
def list_delegations(session: SessionDep, user: CurrentUser) -> Any:
    return [_delegation_out(d) for d in delegations.list_delegations(session=session, actor=user)]


@router.post("/delegations", response_model=DelegationOut, status_code=status.HTTP_201_CREATED)
def add_delegation(body: DelegationIn, session: SessionDep, user: CurrentUser) -> Any:
    row = delegations.add_delegation(
        session=session,
        actor=user,
        delegate_org=body.delegate_org,
        evidence=body.evidence,
        not_on_or_after=body.not_on_or_after,
        not_before=body.not_before,
        container_number=body.container_number,
    )
    return _delegation_out(row)


@router.post("/delegations/{delegation_id}/revoke", response_model=DelegationOut)
def revoke_delegation(delegation_id: int, session: SessionDep, user: CurrentUser) -> Any:
    return _delegation_out(
        delegations.revoke_delegation(session=session, actor=user, delegation_id=delegation_id)
    )


@router.get("/decision", response_model=DecisionOut)
def my_grants(user: CurrentUser) -> Any:
    """What the policy decision point grants the caller's organisation (its own, not others')."""
    user.require("sharing:read")
    grants = policy.grants_of(user)
    rows = [
        {
            "category": category,
            "action": action,
            "agreement": g.reference,
            "owner": g.owner,
            "conditions": sorted(g.conditions),
        }
        for (category, action), found in sorted(grants.by_key.items())
        for g in found
    ]
    return DecisionOut(org_code=user.org_code, grants=rows)


@router.get("/figures", response_model=list[FigureOut])
def list_figures(
    session: SessionDep,
    user: CurrentUser,
    month: Annotated[str | None, Query(max_length=7, pattern=r"^\d{4}-\d{2}$")] = None,
) -> Any:
    return figures.figures(session=session, actor=user, month=month)
