"""Inspection outcomes, one at a time: the only writer of an ``Inspection`` (and its ``Seizure``) that a
person records. Shipments owns both tables; the consequences elsewhere (the selection item, the custody plan,
the case) are wired by ``mainport.flows.record_outcome``, which every path calls: the case page and API, the
targeting page and API, the demo. Feeds store in bulk (``service.record_inspections``) and reach the same
consequences through ``flows.inspections_recorded``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.database import utcnow
from mainport.errors import ValidationFailed
from mainport.identity.principal import Principal
from mainport.shipments.models import Inspection, Seizure

RESULTS = ("found", "not_found")
KINDS = ("scan", "physical")
MODUS_OPERANDI_MAX = 32  # the column's length


@dataclass(frozen=True)
class Outcome:
    inspection: Inspection
    seizure: Seizure | None


def check_outcome(*, result: str, kg: float, kind: str, modus_operandi: str | None) -> None:
    """The rules every recorded outcome obeys, whichever page or API it comes from."""
    if result not in RESULTS:
        raise ValidationFailed(f"result must be one of {', '.join(RESULTS)} (got {result!r})")
    if kind not in KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
    if not kg >= 0:  # also refuses NaN
        raise ValidationFailed("kg must be 0 or more")
    if result == "not_found" and kg:
        raise ValidationFailed("kg must be 0 when nothing was found")
    if result == "found" and kg <= 0:
        raise ValidationFailed("a 'found' outcome needs the kg seized (more than 0)")
    if modus_operandi and len(modus_operandi) > MODUS_OPERANDI_MAX:
        raise ValidationFailed(f"modus_operandi is at most {MODUS_OPERANDI_MAX} characters")


def record_outcome(
    *,
    session: Session,
    actor: Principal,
    container_number: str | None,
    declaration_id: int | None,
    hub: str | None,
    result: str,
    kg: float = 0.0,
    kind: str = "physical",
    inspected_at: datetime | None = None,
    modus_operandi: str | None = None,
    drug: str = "cocaine",
    notes: str = "",
) -> Outcome:
    """Write the inspection and, when something was found, the seizure it made (counted for ``hub``)."""
    actor.require("intel:write")
    check_outcome(result=result, kg=kg, kind=kind, modus_operandi=modus_operandi)
    if result == "found" and not hub:
        raise ValidationFailed("a seizure is counted for a hub: the container or declaration has none")
    at = inspected_at or utcnow()
    inspection = Inspection(
        container_number=container_number,
        declaration_id=declaration_id,
        hub=hub,
        kind=kind,
        inspected_at=at,
        result=result,
        kg_found=kg,
        recorded_by=actor.username[:64],
        notes=notes,
    )
    session.add(inspection)
    session.flush()
    seizure = None
    if result == "found":
        seizure = Seizure(
            inspection_id=inspection.id,
            hub=hub or "",
            seized_at=at,
            drug=drug,
            kg=kg,
            modus_operandi=modus_operandi or None,
            container_number=container_number,
        )
        session.add(seizure)
        session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="inspection.outcome",
        entity_type="inspection",
        entity_id=str(inspection.id),
        detail={
            "result": result,
            "kg": kg,
            "kind": kind,
            "declaration_id": declaration_id,
            "container": container_number,
            "seizure_id": seizure.id if seizure else None,
        },
    )
    return Outcome(inspection, seizure)
