"""Pydantic I/O of the sharing API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Name = Field(min_length=1, max_length=32)


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    title: str
    intelligence: bool
    retention_days: int | None


class RetentionIn(BaseModel):
    retention_days: int | None = Field(default=None, ge=1, le=36500)


class LegalBasisIn(BaseModel):
    code: str = Name
    title: str = Field(min_length=1, max_length=200)
    article: str = Field(min_length=1, max_length=200)


class LegalBasisOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    title: str
    article: str


class PurposeIn(BaseModel):
    code: str = Name
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)


class PurposeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    title: str
    description: str


class PartnerIn(BaseModel):
    org_code: str = Name
    party_id: str = Field(default="", max_length=64)
    contact: str = Field(default="", max_length=200)


class PartnerOut(BaseModel):
    org_code: str
    name: str
    kind: str
    hub: str | None
    party_id: str
    contact: str
    registered: bool
    agreements: int


class AgreementIn(BaseModel):
    category: str = Name
    actions: list[str] = Field(min_length=1, max_length=2)
    purpose: str = Name
    legal_basis: str = Name
    partner_org: str | None = Field(default=None, max_length=32)
    partner_kind: str | None = Field(default=None, max_length=32)
    conditions: list[str] = Field(default_factory=list, max_length=6)
    owner_org: str | None = Field(default=None, max_length=32)
    valid_from: AwareDatetime | None = None
    valid_to: AwareDatetime | None = None
    note: str = Field(default="", max_length=2000)
    reference: str | None = Field(default=None, max_length=64)


class AgreementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    reference: str
    owner_org: str
    partner_org: str | None
    partner_kind: str | None
    category: str
    actions: list[str]
    conditions: list[str]
    purpose: PurposeOut
    legal_basis: LegalBasisOut
    valid_from: datetime
    valid_to: datetime | None
    note: str
    request_id: int | None
    created_by: str
    revoked_at: datetime | None
    revoke_reason: str | None


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class DecisionIn(BaseModel):
    reason: str = Field(default="", max_length=2000)


class RequestIn(BaseModel):
    owner_org: str = Name
    category: str = Name
    purpose: str = Name
    legal_basis: str = Name
    justification: str = Field(min_length=1, max_length=4000)
    actions: list[str] = Field(default_factory=lambda: ["read"], min_length=1, max_length=2)
    conditions: list[str] = Field(default_factory=list, max_length=6)
    open_days: int = Field(default=14, ge=1, le=90)
    wanted_until: AwareDatetime | None = None


class RequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    requester_org: str
    owner_org: str
    category: str
    actions: list[str]
    conditions: list[str]
    purpose: PurposeOut
    justification: str
    status: str
    asked_by: str
    asked_at: datetime
    expires_at: datetime
    wanted_until: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    agreement_id: int | None


class DelegationIn(BaseModel):
    delegate_org: str = Name
    evidence: str = Field(min_length=1, max_length=200)
    not_on_or_after: AwareDatetime
    not_before: AwareDatetime | None = None
    container_number: str | None = Field(default=None, max_length=20)


class DelegationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    delegator_org: str
    delegate_org: str
    category: str
    actions: list[str]
    container_number: str | None
    evidence: str
    not_before: datetime
    not_on_or_after: datetime
    created_by: str
    revoked_at: datetime | None
    evidence_document: dict[str, Any] = Field(default_factory=dict)


class FigureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    month: str
    owner_org: str
    partner_org: str
    category: str
    records: int
    disclosures: int
    requests: int
    refusals: int


class RetentionRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    category: str
    ran_at: datetime
    cutoff: datetime
    purged: int


class DecisionOut(BaseModel):
    """What the policy decision point answers for the caller: its grants per category and action."""

    org_code: str
    grants: list[dict[str, Any]]
