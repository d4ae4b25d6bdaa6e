"""Every code the reference data knows fits the columns that store it (PostgreSQL enforces lengths)."""

from __future__ import annotations

from sqlalchemy import String

from mainport.database import Base
from mainport.database.columns import HUB_CODE_LENGTH
from mainport.domains import load_models
from mainport.reference.locations import LOCATIONS, SITES
from mainport.reference.nodes import NODES

load_models()


def _columns(predicate: object) -> list[tuple[str, str, int | None]]:
    found = []
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, String) and predicate(column.name):  # type: ignore[operator]
                found.append((table.name, column.name, column.type.length))
    return found


def test_every_hub_code_fits_every_hub_column() -> None:
    longest = max(len(code) for code in NODES)
    assert longest <= HUB_CODE_LENGTH
    hub_columns = _columns(lambda name: name == "hub" or name.endswith("_hub") or name == "node_code")
    assert len(hub_columns) >= 15  # the hub is stored by most domains
    too_short = [(t, c, n) for t, c, n in hub_columns if n is not None and n < longest]
    assert too_short == []


def test_every_place_code_fits_every_place_column() -> None:
    # UN/LOCODEs are five characters; site ids (e.g. SCHIPHOL) are stored only in the reference table.
    assert {len(code) for code in LOCATIONS} == {5}
    unlocode_columns = _columns(lambda name: name in {"unlocode", "place_of_loading", "place_of_discharge"})
    assert len(unlocode_columns) >= 5
    assert [(t, c, n) for t, c, n in unlocode_columns if n is not None and n < 5] == []
    location = Base.metadata.tables["location"].columns["unlocode"].type
    assert isinstance(location, String) and location.length is not None
    assert max(len(code) for code in SITES) <= location.length
