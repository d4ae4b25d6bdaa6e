"""Targeting's view of the database: the declarations of a day and what was known before a moment.

Loads declarations, their parties, earlier declarations of the same parties, inspection outcomes and
container events strictly before a moment, and builds the product's features from them
(``features.build_features``). Used by scoring (service.py) and training (training.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mainport.errors import NotFound
from mainport.reference.nodes import NODES
from mainport.shipments.models import Container, ContainerEvent, Declaration, Inspection, Party
from mainport.targeting import features as feat

HISTORY_DAYS = 400
RESULTS = ("found", "not_found")


def known_hub(hub: str) -> str:
    """The hub's code; an unknown hub is refused (404 in the API, one line and exit 2 on the command line)
    instead of answering an empty selection."""
    code = str(hub).strip().lower()
    if code not in NODES:
        raise NotFound(f"unknown hub {hub!r}; known: {', '.join(NODES)}")
    return code


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


# ---- loading what was known ------------------------------------------------------------------------------

_DECL_COLS = (
    "id",
    "filed_at",
    "hub",
    "place_of_loading",
    "place_of_discharge",
    "place_of_delivery",
    "countries_of_routing",
    "hs_code",
    "goods_description",
    "packages",
    "gross_mass_kg",
    "size_type",
    "consignor_id",
    "consignee_id",
    "notify_id",
    "declarant_id",
    "carrier",
    "vessel_imo",
    "mode",
    "amendments",
    "container_number",
)


def declarations_frame(session: Session, where: Any) -> pd.DataFrame:
    cols = [getattr(Declaration, c) for c in _DECL_COLS]
    rows = session.execute(
        select(*cols, Container.shipper_owned)
        .outerjoin(Container, Container.number == Declaration.container_number)
        .where(where)
    ).all()
    frame = pd.DataFrame(rows, columns=[*_DECL_COLS, "shipper_owned"])
    return frame.rename(columns={"id": "declaration_id"})


def _known_before(session: Session, decls: pd.DataFrame, until: datetime) -> dict[str, pd.DataFrame]:
    """Parties, earlier declarations of the same parties, inspection outcomes and container events."""
    since = until - timedelta(days=HISTORY_DAYS)
    party_ids = set(decls["consignee_id"]) | set(decls["consignor_id"]) | set(decls["notify_id"].dropna())
    party_ids |= set(decls["declarant_id"].dropna())
    parties = pd.DataFrame(
        session.execute(
            select(Party.id, Party.country, Party.first_seen).where(Party.id.in_(party_ids))
        ).all(),
        columns=["party_id", "country", "first_seen"],
    )
    outcomes = pd.DataFrame(
        session.execute(
            select(Inspection.declaration_id, Inspection.inspected_at, Inspection.result == "found").where(
                Inspection.declaration_id.is_not(None),
                Inspection.result.in_(RESULTS),
                Inspection.inspected_at >= since,
                Inspection.inspected_at < until,
            )
        ).all(),
        columns=["declaration_id", "inspected_at", "found"],
    )
    history = declarations_frame(
        session,
        (Declaration.filed_at >= since)
        & (Declaration.filed_at < until)
        & or_(
            Declaration.consignee_id.in_(set(decls["consignee_id"])),
            Declaration.consignor_id.in_(set(decls["consignor_id"])),
            Declaration.id.in_(set(outcomes["declaration_id"])),
        ),
    )
    containers = set(decls["container_number"].dropna())
    events = pd.DataFrame(
        session.execute(
            select(
                ContainerEvent.equipment_reference,
                ContainerEvent.event_datetime,
                ContainerEvent.seals,
                ContainerEvent.type_code,
            ).where(
                ContainerEvent.equipment_reference.in_(containers),
                ContainerEvent.event_datetime >= since,
                ContainerEvent.event_datetime < until,
            )
        ).all(),
        columns=["container_number", "event_datetime", "seals", "type_code"],
    )
    return {"parties": parties, "history": history, "outcomes": outcomes, "events": events}


def feature_frame(
    session: Session,
    decls: pd.DataFrame,
    until: datetime,
    *,
    as_of: datetime | pd.Series | None = None,
) -> pd.DataFrame:
    """Features of ``decls`` from what the database knew strictly before ``until``.

    ``as_of``: the moment the features describe: the selection moment when scoring (so seizures and
    inspections since filing count, as an analyst would see them), or one moment per row when a training
    set is rebuilt (each labelled declaration as it was when it was selected: its own outcome stays out).
    ``None``: as of filing."""
    if decls.empty:
        empty = feat.build_features(decls.assign(filed_at=pd.Series(dtype="datetime64[ns, UTC]")))
        return empty.assign(profile=pd.Series(dtype=str))
    known = _known_before(session, decls, until)
    frame = feat.build_features(
        decls,
        parties=known["parties"],
        history=known["history"],
        outcomes=known["outcomes"],
        events=known["events"],
        as_of=as_of,
    )
    frame["profile"] = feat.profile_key(frame).to_numpy()
    return frame
