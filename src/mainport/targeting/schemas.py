"""Pydantic I/O of the targeting API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mainport.targeting.selection import DEFAULT_STRATEGY


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
    seed: int | None = None


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
