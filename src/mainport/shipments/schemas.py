from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class PartyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    eori: str
    name: str
    country: str
    first_seen: datetime


class DeclarationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    reference: str
    filed_at: datetime
    amended_at: datetime | None
    bill_of_lading: str
    consignor: PartyOut
    consignee: PartyOut
    carrier: str | None
    vessel_imo: str | None
    voyage_number: str | None
    mode: str
    place_of_loading: str
    place_of_discharge: str
    place_of_delivery: str | None
    countries_of_routing: list[str]
    hs_code: str
    goods_description: str
    packages: int
    gross_mass_kg: float
    container_number: str | None
    size_type: str | None
    seal_numbers: list[str]
    hub: str | None


class ContainerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    number: str
    size_type: str | None
    shipper_owned: bool
    first_seen: datetime


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    event_id: str
    event_type: str
    event_classifier: str
    type_code: str
    event_datetime: datetime
    unlocode: str | None
    facility_code: str | None
    vessel_imo: str | None
    voyage_number: str | None
    seals: list[str]
    hub: str | None


class JourneyOut(BaseModel):
    container: ContainerOut
    events: list[EventOut]
    declarations: list[DeclarationOut]


class HubCountsOut(BaseModel):
    hub: str
    declarations: int
    containers: int
    events: int


class OverviewOut(BaseModel):
    hubs: list[HubCountsOut]
    quarantined: dict[str, int] | None
    shows_declarations: bool


def to_dict(obj: Any) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in obj.__mapper__.column_attrs}
