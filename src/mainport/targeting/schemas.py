"""Pydantic I/O of the targeting API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mainport.targeting.selection import DEFAULT_STRATEGY, MAX_SEED


class SelectionItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    declaration_id: int
    rank: int
    score: float
    model_p: float | None
    rule_score: float
    strategy: str
    propensity: float
    kind: str
    reasons: list[str]
    rule_hits: list[str]
    alert_id: int | None
    inspection_id: int | None


class SelectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    hub: str
    day: date
    capacity_scan: int
    capacity_physical: int
    exploration_share: float
    strategy: str
    candidates: int
    model_version_id: int | None
    created_by: str
    items: list[SelectionItemOut]


class SelectionRequest(BaseModel):
    day: date
    capacity_scan: int | None = Field(default=None, ge=0)
    capacity_physical: int | None = Field(default=None, ge=0)
    exploration_share: float = Field(default=0.10, ge=0.0, le=1.0)
    strategy: Literal["random", "uncertainty", "mixed", "thompson"] = DEFAULT_STRATEGY
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)


class OutcomeIn(BaseModel):
    result: Literal["found", "not_found"]
    kg_found: float = Field(default=0.0, ge=0.0)
    kind: Literal["scan", "physical"] | None = None
    notes: str = ""


class InspectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    declaration_id: int | None
    container_number: str | None
    kind: str
    result: str
    kg_found: float
    inspected_at: datetime
    recorded_by: str


class RuleOut(BaseModel):
    id: str
    version: int
    profile: str
    owner: str
    rationale: str
    when: str
    weight: float
    valid_from: date
    valid_to: date | None


class RuleProfileIn(BaseModel):
    yaml_text: str


class RuleProfileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    version: int
    owner: str


class TrainRequest(BaseModel):
    until: datetime | None = None
    rounds: int = Field(default=200, ge=10, le=2000)


class ModelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    trained_until: datetime | None
    rows: int
    positives: int
    weighting: str


class WatchEntryIn(BaseModel):
    kind: Literal["party", "container", "vessel", "route"]
    value: str = Field(min_length=1, max_length=64)
    owner: str = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=2000)
    source: str = Field(min_length=1, max_length=100)
    weight: float = Field(default=0.5, gt=0.0, le=1.0)
    hub: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None


class WatchEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    value: str
    owner: str
    reason: str
    source: str
    weight: float
    hub: str | None
    valid_from: datetime
    valid_to: datetime | None
    org_code: str
    created_by: str
    created_at: datetime
    revoked_by: str | None
    revoked_at: datetime | None
    revoke_reason: str | None


class RevokeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class TipIn(BaseModel):
    reference: str = Field(min_length=1, max_length=64)
    source: str = Field(min_length=1, max_length=100)
    summary: str = Field(min_length=1, max_length=2000)
    window_from: datetime
    window_to: datetime
    hub: str | None = None
    container_number: str | None = Field(default=None, max_length=20)
    vessel_imo: str | None = Field(default=None, max_length=12)
    party_eori: str | None = Field(default=None, max_length=17)
    place_of_loading: str | None = Field(default=None, max_length=5)
    hs_prefix: str | None = Field(default=None, max_length=13)


class TipOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reference: str
    source: str
    summary: str
    hub: str | None
    container_number: str | None
    vessel_imo: str | None
    party_eori: str | None
    place_of_loading: str | None
    hs_prefix: str | None
    window_from: datetime
    window_to: datetime
    status: str
    org_code: str
    created_by: str
    created_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    close_note: str | None


class CloseIn(BaseModel):
    note: str = Field(default="", max_length=2000)
