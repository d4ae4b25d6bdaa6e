"""Product-visible records of an ended day, for closed-loop runs that write no files.

The same content the writers put in `access/`, `telemetry/eseal-*` and the DCSA DISC events (the seal number
seen at discharge), read straight from the world: nothing here is truth. Monitoring's waterbed evaluation uses
it to build weekly indicators per hub without writing and re-reading files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from mainport.world.engine import World


def access_logs(world: World, day: int) -> list[dict[str, Any]]:
    """Staff look-ups of the day (as in `access/access-DATE.jsonl`)."""
    return list(world.state(day).access_logs)


def eseal_status(world: World, day: int) -> list[dict[str, Any]]:
    """E-seal status on discharge (as in `telemetry/eseal-DATE.jsonl`)."""
    return [t for t in world.state(day).telemetry if t.get("kind") == "eseal_status"]


def discharge_seals(world: World, day: int) -> pd.DataFrame:
    """Per declared sea unit of the day: hub, container, the seal declared and the seal seen on DISC."""
    st = world.state(day)
    rows = st.rows
    sea = rows["mode"] == "sea"
    return pd.DataFrame(
        {
            "hub": rows["hub"][sea],
            "container_number": rows["container_number"][sea],
            "declared_seal": rows["seal"][sea],
            "seal_at_discharge": rows["seal_at_disc"][sea],
        }
    )
