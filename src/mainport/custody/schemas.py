from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt


class PlanIn(BaseModel):
    container_number: str = Field(min_length=11, max_length=11)
    facility_code: str = Field(min_length=1, max_length=16)
    reason: str = ""
    source: str = "manual"
    severity: StrictInt = Field(default=3, ge=1, le=4)
    hub: str | None = None
    # a whole JSON number only: `false` is not declaration 0
    declaration_id: Annotated[StrictInt, Field(ge=1, le=2**63 - 1)] | None = None
    guarded_area: str | None = None


class LogEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    step: str
    at: datetime
    recorded_at: datetime
    actor: str
    actor_org: str
    location: str | None
    seals: list[str]
    event_ref: str | None
    hash: str


class PlanOut(BaseModel):
    """What a terminal sees: where the box must be and what happened to it, not why it was selected."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    container_number: str
    facility_code: str
    guarded_area: str
    state: str
    location: str | None
    location_since: datetime | None
    opened_at: datetime
    closed_at: datetime | None
    log: list[LogEntryOut]


class PlanIntelOut(PlanOut):
    source: str
    reason: str
    alert_id: int | None
    declaration_id: int | None
    hub: str | None


class StepIn(BaseModel):
    step: str
    at: datetime | None = None
    location: str | None = Field(default=None, max_length=64)
    seals: list[str] = []
    note: str = ""


class StepOut(BaseModel):
    entry: LogEntryOut
    state: str
    alerts_raised: int


class VerifyOut(BaseModel):
    plan_id: int
    entries: int
    ok: bool
    problems: list[str]


class BoardRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    plan_id: int
    container_number: str
    state: str
    location: str | None
    in_guarded_area: bool
    since: datetime
    dwell_minutes: int
    open_alerts: int | None


class RightIn(BaseModel):
    container_number: str = Field(min_length=11, max_length=11)
    facility_code: str = Field(min_length=1, max_length=16)
    release_party: str = Field(min_length=1, max_length=32)
    not_before: datetime | None = None
    expires_at: datetime | None = None


class NominateIn(BaseModel):
    nominee: str = Field(min_length=1, max_length=64)


class RevokeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


class NominationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    from_org: str
    to_party: str
    to_kind: str
    at: datetime


class RightOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    container_number: str
    facility_code: str
    issuer_org: str
    holder_org: str
    holder_kind: str
    carrier_id: str | None
    driver_id: str | None
    not_before: datetime
    expires_at: datetime
    status: str
    used_at: datetime | None
    revoked_at: datetime | None
    nominations: list[NominationOut]


class NominatedOut(BaseModel):
    right: RightOut
    token: str | None = Field(default=None, description="Only when the driver is nominated; shown once.")


class GateCheckIn(BaseModel):
    container_number: str = Field(min_length=1, max_length=11)
    carrier_id: str = Field(min_length=1, max_length=32)
    driver_id: str = Field(min_length=1, max_length=64)
    token: str = Field(min_length=1, max_length=2048)


class GateCheckOut(BaseModel):
    allowed: bool
    reason: str
    decision_id: int


class TelemetryIn(BaseModel):
    """Either readings (e-seal status, door, location) or a DCSA 3.0.0 IOT events document."""

    source: str = "api"
    readings: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []


class TelemetryOut(BaseModel):
    stored: int
    duplicates: int
    alerts_raised: int


class InstructionOut(BaseModel):
    """What the terminal sees of an instruction: the box, where it must go, and how to acknowledge."""

    model_config = ConfigDict(from_attributes=True)

    reference: str
    kind: str
    container_number: str
    facility_code: str
    guarded_area: str
    vessel_imo: str | None
    voyage_number: str | None
    expected_at: datetime | None
    status: str
    attempts: int
    sent_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    answer_note: str | None


class AckIn(BaseModel):
    accepted: bool = True
    note: str = Field(default="", max_length=300)


class PlanningRunOut(BaseModel):
    opened: list[int]
    already_planned: int
    no_terminal: int
    already_left: int


class UnguardedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    hub: str
    boxes: int
    mean_minutes: float
    p90_minutes: float
    max_minutes: float
    unguarded_now: int
    without_plan: int
