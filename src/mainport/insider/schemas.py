"""Pydantic I/O shapes of the insider API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class StaffLookupOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    username: str
    org_code: str
    hub: str
    unlocode: str | None = None
    facility_code: str | None = None
    container_number: str | None = None
    kind: str
    object: str | None = None
    device: str | None = None
    place: str | None = None
    run_id: int | None = None
    source: str
