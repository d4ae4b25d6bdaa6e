from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    kind: str
    severity: int
    container_number: str | None
    declaration_id: int | None
    hub: str | None
    title: str
    detail: dict[str, Any]
    occurrences: int
    status: str
    case_id: int | None
    raised_at: datetime
    updated_at: datetime
    triaged_by: str | None
    note: str


# Ids in request bodies: whole JSON numbers only (`false` is not declaration 0), within 64 bits.
Id = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]


class AlertIn(BaseModel):
    source: str = "manual"
    kind: str = Field(min_length=1, max_length=64)
    container_number: str | None = Field(default=None, max_length=11)
    declaration_id: Id | None = None
    hub: str | None = None
    severity: StrictInt = Field(default=2, ge=1, le=4)
    title: str = Field(min_length=1, max_length=300)
    detail: dict[str, Any] | None = None
    dedup_key: str | None = Field(default=None, max_length=150)


class TriageIn(BaseModel):
    severity: int | None = Field(default=None, ge=1, le=4)
    note: str = ""


class DismissIn(BaseModel):
    reason: str = Field(min_length=1)


class CaseIn(BaseModel):
    alert_ids: list[Id] = Field(min_length=1)
    title: str = Field(min_length=1, max_length=300)
    assignee: str | None = None
    notes: str = ""


class LinkIn(BaseModel):
    alert_id: Id


class AssignIn(BaseModel):
    assignee: str = Field(min_length=1, max_length=64)


class OutcomeIn(BaseModel):
    result: Literal["found", "not_found"]
    kg_seized: float = Field(default=0.0, ge=0)
    modus_operandi: str | None = Field(default=None, max_length=32)
    notes: str = ""


class CloseIn(BaseModel):
    notes: str = ""


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    container_number: str | None
    hub: str | None
    status: str
    assignee: str | None
    severity: int
    outcome: str | None
    kg_seized: float | None
    modus_operandi: str | None
    notes: str
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None
    inspection_id: int | None
    alerts: list[AlertOut] = []
