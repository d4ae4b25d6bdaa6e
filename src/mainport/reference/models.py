"""Reference tables: the five hubs and the UN/LOCODE locations, seeded from the pure modules."""

from __future__ import annotations

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from mainport.database import Base
from mainport.database.columns import hub_code


class HubNode(Base):
    """One of the five Dutch hubs; other tables refer to it by `code` (e.g. 'rotterdam')."""

    __tablename__ = "node"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    budget_eur_m: Mapped[float] = mapped_column(Float)


class LocationRecord(Base):
    """A UN/LOCODE place (or a site id such as 'SCHIPHOL') with its role and hub."""

    __tablename__ = "location"

    id: Mapped[int] = mapped_column(primary_key=True)
    unlocode: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    node_code: Mapped[str | None] = mapped_column(hub_code(), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
