"""Pydantic I/O shapes of the screening and insider-ranking API. Names never appear: aliases only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class RoleIn(BaseModel):
    org_code: str = Field(min_length=1, max_length=32)
    code: str = Field(min_length=1, max_length=32)
    title: str = Field(default="", max_length=200)
    requires: list[str] = Field(min_length=1, max_length=3)


class RoleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    org_code: str
    code: str
    title: str
    requires: list[str]


class PersonIn(BaseModel):
    reference: str = Field(min_length=1, max_length=200, description="the employer's personnel reference")
    employer_org: str = Field(min_length=1, max_length=32)
    hub: str | None = Field(default=None, max_length=32)
    role_code: str | None = Field(default=None, max_length=32)
    account: str | None = Field(default=None, max_length=64, description="user name in the access logs")
    gate_id: str | None = Field(default=None, max_length=64, description="pass / driver id at the gate")
    full_name: str | None = Field(default=None, max_length=200, description="held apart; never shown")


class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    alias: str
    employer_org: str
    hub: str | None
    role_code: str | None
    account: str | None
    gate_id: str | None
    status: str


class CertificateIn(BaseModel):
    kind: str = Field(min_length=1, max_length=16)
    issuer: str = Field(min_length=1, max_length=64)
    number: str = Field(default="", max_length=64)
    issued_at: AwareDatetime
    valid_until: AwareDatetime


class CertificateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    issuer: str
    number: str
    issued_at: datetime
    valid_until: datetime
    withdrawn_at: datetime | None


class BanIn(BaseModel):
    reason: str = Field(min_length=1, max_length=300)
    scope: str = Field(default="all", max_length=40)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None


class BanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    scope: str
    reason: str
    starts_at: datetime
    ends_at: datetime | None
    lifted_at: datetime | None
    issued_by: str


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class DecisionIn(BaseModel):
    approve: bool
    note: str = Field(default="", max_length=300)


class RevealOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    status: str
    requested_by: str
    reason: str
    decided_by: str | None
    expires_at: datetime | None


class NameOut(BaseModel):
    alias: str
    full_name: str


class TimelineOut(BaseModel):
    person: PersonOut
    status: str
    missing: list[str]
    lapse_at: datetime | None
    certificates: list[CertificateOut]
    bans: list[BanOut]
    events: list[dict[str, Any]]


class ExpiryOut(BaseModel):
    alias: str
    employer: str
    role: str | None
    kind: str
    valid_until: datetime
    days_left: int
    certificate_id: int


class RankedOut(BaseModel):
    person: str  # alias where the register knows the account, else the account
    org_code: str
    hub: str
    lookups: int
    score: float
    rank: int
    flagged: bool
    evidence: list[dict[str, Any]]
