"""Pydantic shapes for the reference API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class NodeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    kind: str
    budget_eur_m: float


class LocationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    unlocode: str
    name: str
    country: str
    kind: str
    role: str
    node_code: str | None
    lat: float | None
    lon: float | None


class ContainerCheck(BaseModel):
    number: str
    valid: bool
    owner_code: str | None = None
    category: str | None = None
    serial: str | None = None
    check_digit: int | None = None
    error: str | None = None
