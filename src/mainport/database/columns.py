"""Column types sized from the domain's own codes.

PostgreSQL enforces ``VARCHAR(n)`` and SQLite does not, so a length that is too short fails only in
production. Code columns take their length from here; ``tests/test_columns.py`` checks that every code the
reference data knows fits."""

from __future__ import annotations

from sqlalchemy import String

# Node (hub) codes: 'zeeland_west_brabant' is 20 characters; room for hubs a deployment adds.
HUB_CODE_LENGTH = 32


def hub_code() -> String:
    return String(HUB_CODE_LENGTH)
