"""Screening and insider-ranking API: thin handlers over the services (which check who may do what)."""

from __future__ import annotations

from fastapi import APIRouter

from mainport import flows
from mainport.api.deps import CurrentUser, SessionDep
from mainport.api.pagination import Page, PageDep
from mainport.insider import ranking
from mainport.screening import reveal, service, views
from mainport.screening.schemas import (
    BanIn,
    BanOut,
    CertificateIn,
    CertificateOut,
    DecisionIn,
    ExpiryOut,
    NameOut,
    PersonIn,
    PersonOut,
    RankedOut,
    ReasonIn,
    RevealOut,
    RoleIn,
    RoleOut,
    TimelineOut,
)

router = APIRouter(tags=["screening"])


@router.put("/screening/roles", response_model=RoleOut)
def put_role(body: RoleIn, session: SessionDep, principal: CurrentUser) -> RoleOut:
    role = service.upsert_role(
        session=session,
        actor=principal,
        org_code=body.org_code,
        code=body.code,
        title=body.title,
        requires=body.requires,
    )
    return RoleOut.model_validate(role)


@router.post("/screening/people", response_model=PersonOut)
def post_person(body: PersonIn, session: SessionDep, principal: CurrentUser) -> PersonOut:
    person, _ = service.register_person(session=session, actor=principal, **body.model_dump())
    return PersonOut.model_validate(person)


@router.get("/screening/people", response_model=Page[PersonOut])
def get_people(
    session: SessionDep,
    principal: CurrentUser,
    page: PageDep,
    employer: str | None = None,
    status: str | None = None,
) -> Page[PersonOut]:
    items, total = views.list_people(
        session=session,
        actor=principal,
        employer=employer,
        status=status,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[PersonOut.model_validate(p) for p in items], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/screening/people/{alias}", response_model=TimelineOut)
def get_person(alias: str, session: SessionDep, principal: CurrentUser) -> TimelineOut:
    t = flows.person_timeline(session=session, actor=principal, alias=alias)
    return TimelineOut(
        person=PersonOut.model_validate(t.person),
        status=t.status,
        missing=list(t.missing),
        lapse_at=t.lapse_at,
        certificates=[CertificateOut.model_validate(c) for c in t.certificates],
        bans=[BanOut.model_validate(b) for b in t.bans],
        events=t.events,
    )


@router.post("/screening/people/{alias}/certificates", response_model=CertificateOut)
def post_certificate(
    alias: str, body: CertificateIn, session: SessionDep, principal: CurrentUser
) -> CertificateOut:
    cert, _ = service.record_certificate(session=session, actor=principal, alias=alias, **body.model_dump())
    return CertificateOut.model_validate(cert)


@router.post("/screening/certificates/{certificate_id}/withdraw", response_model=CertificateOut)
def withdraw(
    certificate_id: int, body: ReasonIn, session: SessionDep, principal: CurrentUser
) -> CertificateOut:
    cert = service.withdraw_certificate(
        session=session, actor=principal, certificate_id=certificate_id, reason=body.reason
    )
    return CertificateOut.model_validate(cert)


@router.post("/screening/people/{alias}/bans", response_model=BanOut)
def post_ban(alias: str, body: BanIn, session: SessionDep, principal: CurrentUser) -> BanOut:
    ban, _ = service.issue_ban(session=session, actor=principal, alias=alias, **body.model_dump())
    return BanOut.model_validate(ban)


@router.post("/screening/bans/{ban_id}/lift", response_model=BanOut)
def lift(ban_id: int, body: ReasonIn, session: SessionDep, principal: CurrentUser) -> BanOut:
    return BanOut.model_validate(
        service.lift_ban(session=session, actor=principal, ban_id=ban_id, reason=body.reason)
    )


@router.get("/screening/expiry", response_model=list[ExpiryOut])
def expiry(session: SessionDep, principal: CurrentUser, within_days: int = 60) -> list[ExpiryOut]:
    rows = views.expiry_board(session=session, actor=principal, within_days=within_days)
    return [ExpiryOut(**r.__dict__) for r in rows]


@router.post("/screening/people/{alias}/reveal", response_model=RevealOut)
def ask_reveal(alias: str, body: ReasonIn, session: SessionDep, principal: CurrentUser) -> RevealOut:
    req = reveal.request_reveal(session=session, actor=principal, alias=alias, reason=body.reason)
    return RevealOut.model_validate(req)


@router.post("/screening/reveals/{request_id}/decision", response_model=RevealOut)
def decide(request_id: int, body: DecisionIn, session: SessionDep, principal: CurrentUser) -> RevealOut:
    req = reveal.decide_reveal(
        session=session, actor=principal, request_id=request_id, approve=body.approve, note=body.note
    )
    return RevealOut.model_validate(req)


@router.get("/screening/reveals/{request_id}/name", response_model=NameOut)
def name(request_id: int, session: SessionDep, principal: CurrentUser) -> NameOut:
    alias, full_name = reveal.reveal(session=session, actor=principal, request_id=request_id)
    return NameOut(alias=alias, full_name=full_name)


@router.get("/insider/ranking", response_model=list[RankedOut])
def ranked(
    session: SessionDep,
    principal: CurrentUser,
    org: str | None = None,
    limit: int = 100,
    flagged_only: bool = False,
) -> list[RankedOut]:
    rows = ranking.ranked_list(
        session=session, actor=principal, org=org, limit=limit, flagged_only=flagged_only
    )
    return [
        RankedOut(
            person=r.shown,
            org_code=r.score.org_code,
            hub=r.score.hub,
            lookups=r.score.lookups,
            score=r.score.score,
            rank=r.score.rank,
            flagged=r.score.flagged,
            evidence=list(r.score.evidence),
        )
        for r in rows
    ]
