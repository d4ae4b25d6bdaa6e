"""Declarations ingest: validated declarations stored by reference, amendments applied, parties upserted.
Flush only, never commit.

Race-free on both databases: insert-or-nothing on the reference and the EORI, amendments conditional on
being newer, every lock taken in key order (no deadlocks between concurrent writers), a row the database
refuses found and quarantined with its reason (`writes.write_guarded`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from mainport.database import chunks, utcnow
from mainport.identity.principal import Principal
from mainport.ingest import declarations as decl
from mainport.ingest import quarantine
from mainport.ingest.prepare import Refused, validated
from mainport.ingest.quarantine import Budget
from mainport.ingest.records import RawRecord, Reconciliation
from mainport.ingest.writes import audit_batch, count_written, register_containers, write_guarded
from mainport.shipments.models import Declaration, Party

DECL = Declaration.__table__
PARTY = Party.__table__


def ingest_declarations(
    *,
    session: Session,
    actor: Principal,
    records: Iterable[RawRecord],
    source: str,
    budget: Budget | None = None,
) -> Reconciliation:
    """Validate and store one batch of declarations (amendments update); one audit entry for the batch."""
    actor.require("declarations:write")
    started = time.perf_counter()
    recon, bad = store_declarations(session=session, records=records, source=source)
    quarantine.keep(
        session=session, kind="declaration", source=source, refused=bad, recon=recon, budget=budget
    )
    recon.elapsed_s = time.perf_counter() - started
    audit_batch(session, actor, recon)
    return recon


Version = tuple[RawRecord, dict[str, Any]]  # a declaration's record and its row


def store_declarations(
    *, session: Session, records: Iterable[RawRecord], source: str
) -> tuple[Reconciliation, list[Refused]]:
    """Validate and store declarations (the latest amendment of each reference); the refused records are
    returned for the caller to quarantine (a batch) or to report (a quarantine retry)."""
    recon = Reconciliation("declarations", source)
    bad: list[Refused] = []
    latest: dict[str, tuple[RawRecord, decl.ValidDeclaration]] = {}
    now = utcnow()
    for rec, valid in validated(records, decl.validate, now, recon, bad):
        ref = valid.row["reference"]
        prior = latest.get(ref)
        if prior is not None:
            recon.duplicates += 1  # one of the two versions is not stored: the lower amendment
            if valid.row["amendments"] <= prior[1].row["amendments"]:
                continue
        latest[ref] = (rec, valid)
    if not latest:
        return recon, bad
    refs = sorted(latest)  # one lock order for every writer
    existing: dict[str, tuple[int, int]] = {}
    for chunk in chunks(refs):
        for ref, id_, amendments in session.execute(
            select(DECL.c.reference, DECL.c.id, DECL.c.amendments).where(DECL.c.reference.in_(chunk))
        ):
            existing[ref] = (id_, amendments)
    party_ids = _upsert_parties(session, [v for _, v in latest.values()])
    new: list[Version] = []
    updates: list[Version] = []
    for ref in refs:
        rec, valid = latest[ref]
        row = dict(valid.row)
        for role in decl.ROLES:
            party = valid.parties.get(role)
            row[f"{role}_id"] = party_ids[party.eori] if party else None
        row["source"] = source[:200]
        row["received_at"] = now
        if ref not in existing:
            new.append((rec, row))
        elif row["amendments"] > existing[ref][1]:
            row["id"] = existing[ref][0]
            updates.append((rec, row))
        else:
            recon.duplicates += 1
    register_containers(
        session,
        {r["container_number"]: r["size_type"] for _, r in [*new, *updates] if r["container_number"]},
    )
    updated = [0]
    for versions, write in (
        (new, lambda part: _insert_declarations(session, part, updated)),
        (updates, lambda part: _update_declarations(session, part, updated)),
    ):
        written = write_guarded(session, versions, write)
        count_written(recon, written)
        bad.extend(Refused.of(versions[i][0], reason) for i, reason in written.refused)
    recon.updated += updated[0]
    return recon, bad


def _insert_declarations(
    session: Session, versions: Sequence[Version], updated: list[int]
) -> tuple[int, int]:
    """Insert-or-nothing by reference; a reference stored meanwhile by a concurrent ingest is an amendment
    (when ours is newer) or a duplicate. (stored, duplicates); `updated` counts the amendments."""
    make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = make(Declaration).on_conflict_do_nothing(index_elements=["reference"]).returning(DECL.c.reference)
    inserted = set(session.scalars(stmt, [row for _, row in versions]))
    raced = [(rec, row) for rec, row in versions if row["reference"] not in inserted]
    if not raced:
        return len(inserted), 0
    stored_now = dict(
        session.execute(
            select(DECL.c.reference, DECL.c.id).where(
                DECL.c.reference.in_([r["reference"] for _, r in raced])
            )
        ).all()
    )
    again = [(rec, {**row, "id": stored_now[row["reference"]]}) for rec, row in raced]
    stored, duplicates = _update_declarations(session, again, updated)
    return len(inserted) + stored, duplicates


def _update_declarations(
    session: Session, versions: Sequence[Version], updated: list[int]
) -> tuple[int, int]:
    """Amendments: each row updates its stored declaration only while the stored one is older (race-free:
    a concurrent newer amendment wins); in id order. (stored, duplicates)."""
    stored = 0
    for _, row in sorted(versions, key=lambda v: v[1]["id"]):
        values = {k: v for k, v in row.items() if k != "id"}
        result = session.execute(
            update(Declaration)
            .where(Declaration.id == row["id"], Declaration.amendments < row["amendments"])
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        stored += cast(CursorResult[Any], result).rowcount
    updated[0] += stored
    return stored, len(versions) - stored


def _upsert_parties(session: Session, valid: Iterable[decl.ValidDeclaration]) -> dict[str, int]:
    """Parties by EORI: insert-or-nothing for new ones (race-free), first_seen is the earliest filed_at seen
    (a conditional update: never moved later); in EORI order (one lock order for every writer)."""
    first: dict[str, tuple[decl.PartyRef, Any]] = {}
    for v in valid:
        for party in v.parties.values():
            seen = first.get(party.eori)
            if seen is None or v.row["filed_at"] < seen[1]:
                first[party.eori] = (party, v.row["filed_at"])
    eoris = sorted(first)
    ids: dict[str, int] = {}
    earlier: dict[str, Any] = {}
    for chunk in chunks(eoris):
        for id_, eori, seen_at in session.execute(
            select(PARTY.c.id, PARTY.c.eori, Party.first_seen).where(PARTY.c.eori.in_(chunk))
        ):
            ids[eori] = id_
            earlier[eori] = seen_at
    new = [
        {"eori": e, "name": first[e][0].name, "country": first[e][0].country, "first_seen": first[e][1]}
        for e in eoris
        if e not in ids
    ]
    if new:
        make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(make(Party).on_conflict_do_nothing(index_elements=["eori"]), new)
        for chunk in chunks([r["eori"] for r in new]):
            ids.update(
                {
                    e: i
                    for i, e in session.execute(
                        select(PARTY.c.id, PARTY.c.eori).where(PARTY.c.eori.in_(chunk))
                    )
                }
            )
    for eori in sorted(earlier):
        if first[eori][1] < earlier[eori]:
            session.execute(
                update(Party)
                .where(Party.id == ids[eori], Party.first_seen > first[eori][1])
                .values(first_seen=first[eori][1])
                .execution_options(synchronize_session=False)
            )
    return ids
