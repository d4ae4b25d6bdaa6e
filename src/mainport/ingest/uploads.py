"""A file uploaded from the page, ingested as one batch of its kind (declarations CSV/JSON Lines, DCSA events,
a registered feed) in the request's transaction, and kept as an ingest run with its reconciliation so that
the page can show it after the upload (and the operations history lists it with the other runs)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from mainport.audit import service as audit
from mainport.errors import MainportError, NotFound
from mainport.identity.policy import sees_everything
from mainport.identity.principal import Principal
from mainport.ingest import declaration_store, event_store, readers, runs, service
from mainport.ingest.models import IngestRun
from mainport.ingest.records import Reconciliation

MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # one page upload; larger files go through `mainport ingest`


def kinds_for(actor: Principal) -> list[str]:
    """The kinds this user may upload (the page offers only these)."""
    out = []
    for kind in service.kinds():
        try:
            service.require(actor=actor, kind=kind)
        except MainportError:  # PermissionDenied (or an unknown kind): not offered
            continue
        out.append(kind)
    return out


def ingest_upload(
    *, session: Session, actor: Principal, kind: str, path: Path, name: str
) -> tuple[int, Reconciliation]:
    """Ingest the saved file; returns the run id and the reconciliation (received = stored + duplicates +
    quarantined). Quarantined records name the uploader (source api:<user>:<file>) so a private party finds
    its own refused records in the quarantine."""
    service.require(actor=actor, kind=kind)
    source = f"api:{actor.username}:{name}"
    if kind == "declarations":
        recon = declaration_store.ingest_declarations(
            session=session, actor=actor, records=readers.read_declarations(path), source=source
        )
    elif kind == "events":
        recon = event_store.ingest_events(
            session=session, actor=actor, records=readers.read_events(path), source=source
        )
    else:
        recon = service.ingest_feed(
            session=session, actor=actor, kind=kind, records=readers.read_feed(path), source=source
        )
    run_id = runs.record_finished(
        session=session, kind=kind, source=source, actor=actor.username, recon=recon
    )
    return run_id, recon


def get_run(*, session: Session, actor: Principal, run_id: int) -> IngestRun:
    """An ingest run: its uploader, or government, may read it (same answer as unknown for others)."""
    run = session.get(IngestRun, run_id)
    if run is None or not (sees_everything(actor) or run.actor == actor.username):
        raise NotFound(f"ingest run {run_id} not found")
    audit.record(session=session, actor=actor, action="ingest.run.read", entity_type="ingest_run",
                 entity_id=str(run_id))  # fmt: skip
    return run
