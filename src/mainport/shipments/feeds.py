"""The inspection and seizure feeds: what customs inspected and found, and the seizures authorities know of.

`mainport ingest inspections|seizures FILE` (JSON Lines). Checked here (pure), then against the declarations
on file (`_resolve`: a reference must name a stored declaration, for the same container) and stored by
`service.record_inspections/record_seizures`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.database import chunks
from mainport.identity.principal import Principal
from mainport.ingest import checks
from mainport.ingest.checks import Invalid
from mainport.ingest.registry import Feed, Stored, register
from mainport.shipments.models import Declaration
from mainport.shipments.service import record_inspections, record_seizures

INSPECTION_KINDS = ("scan", "physical")
INSPECTION_RESULTS = ("found", "not_found", "pending")
FOUND_BY = ("inspection", "consignee", "diver", "border", "tip", "police", "intelligence", "other")
DECL = Declaration.__table__


def inspection(d: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """A customs inspection: reference and/or container_number, hub, kind, inspected_at, result, kg_found."""
    reference = checks.text(d, "reference", 40)
    container = checks.container(d, "container_number")
    if reference is None and container is None:
        raise Invalid("reference: a reference or a container_number is required")
    hub = checks.hub(d)
    kind = checks.enum(d, "kind", INSPECTION_KINDS)
    at = checks.moment(d, "inspected_at", now)
    result = checks.enum(d, "result", INSPECTION_RESULTS)
    kg = checks.mass(d, "kg_found", required=False)
    if result == "found" and kg <= 0:
        raise Invalid(f"kg_found: a 'found' result needs kg_found > 0 (value {d.get('kg_found')!r})")
    if result != "found" and kg > 0:
        raise Invalid(f"kg_found: must be 0 when the result is {result!r} (value {d.get('kg_found')!r})")
    return {
        "reference": reference,
        "container_number": container,
        "hub": hub,
        "kind": kind,
        "inspected_at": at,
        "result": result,
        "kg_found": kg,
    }


def seizure(d: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """A seizure: hub, seized_at, drug, kg, modus_operandi, container_number, reference, found_by."""
    hub = checks.hub(d)
    at = checks.moment(d, "seized_at", now)
    kg = checks.mass(d, "kg", required=True)
    if kg <= 0:
        raise Invalid(f"kg: a seizure needs kg > 0 (value {d.get('kg')!r})")
    drug = checks.code(d, "drug", default="cocaine")
    modus = checks.code(d, "modus_operandi")
    container = checks.container(d, "container_number")
    reference = checks.text(d, "reference", 40)
    found_by = checks.enum(d, "found_by", FOUND_BY)
    return {
        "hub": hub,
        "seized_at": at,
        "drug": drug,
        "kg": kg,
        "modus_operandi": modus,
        "container_number": container,
        "reference": reference,
        "found_by": found_by,
    }


def _resolve(session: Session, rows: Sequence[dict[str, Any]]) -> tuple[list[int], dict[int, str]]:
    """Link rows to the stored declaration they name (refused when there is none, or when it is for another
    container); a missing container number is taken from the declaration. The indexes kept, the refusals."""
    refs = sorted({r["reference"] for r in rows if r["reference"]})
    found: dict[str, tuple[int, str | None]] = {}
    for chunk in chunks(refs):
        for ref, id_, number in session.execute(
            select(DECL.c.reference, DECL.c.id, DECL.c.container_number).where(DECL.c.reference.in_(chunk))
        ):
            found[ref] = (id_, number)
    kept: list[int] = []
    refused: dict[int, str] = {}
    for i, row in enumerate(rows):
        row["declaration_id"] = None
        ref = row["reference"]
        if ref is not None:
            if ref not in found:
                refused[i] = f"reference: no declaration on file with this reference (value {ref!r})"
                continue
            decl_id, number = found[ref]
            if row["container_number"] and number and row["container_number"] != number:
                refused[i] = (
                    f"container_number: declaration {ref} is for container {number}"
                    f" (value {row['container_number']!r})"
                )
                continue
            row["declaration_id"] = decl_id
            row["container_number"] = row["container_number"] or number
        kept.append(i)
    return kept, refused


def _storing(record: Any, *, consequences: Any = None) -> Any:
    def store(
        *, session: Session, actor: Principal, rows: Sequence[dict[str, Any]], source: str, run_id: int | None
    ) -> Stored:
        kept, refused = _resolve(session, rows)
        if not kept:
            return Stored(refused=refused)
        done = record(session=session, actor=actor, rows=[rows[i] for i in kept], source=source)
        if consequences is not None and done.ids:
            consequences(session=session, actor=actor, inspection_ids=done.ids)
        return Stored(done.stored, done.duplicates, refused)

    return store


def _outcome_consequences(*, session: Session, actor: Principal, inspection_ids: list[int]) -> None:
    # A reported inspection moves what a recorded one moves (selection item, case, custody plan).
    from mainport import flows  # the flow spans domains; feeds are an edge like the pages

    flows.inspections_recorded(session=session, actor=actor, inspection_ids=inspection_ids)


INSPECTIONS = register(
    Feed(
        kind="inspections",
        record="inspection",
        permissions=("intel:write",),
        validate=inspection,
        identity=lambda r: (r["hub"], r["kind"], r["inspected_at"], r["container_number"], r["reference"]),
        store=_storing(record_inspections, consequences=_outcome_consequences),
        help="Ingest customs inspections and their results (JSON Lines).",
    )
)
SEIZURES = register(
    Feed(
        kind="seizures",
        record="seizure",
        permissions=("intel:write",),
        validate=seizure,
        identity=lambda r: (
            r["hub"],
            r["seized_at"],
            r["drug"],
            round(r["kg"], 3),
            r["modus_operandi"],
            r["container_number"],
        ),
        store=_storing(record_seizures),
        help="Ingest seizures known to the authorities (JSON Lines).",
    )
)
