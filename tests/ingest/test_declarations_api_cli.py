from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal, system_principal
from mainport.ingest import cli, declaration_store, event_store, service
from mainport.ingest.declarations import FIELDS
from mainport.ingest.jobs import ingest_file
from mainport.ingest.models import QuarantinedRecord
from mainport.ingest.readers import records_from_objects
from mainport.shipments.models import Declaration, Party
from tests.ingest.helpers import declaration, event


def _csv(path: Path, rows: list[dict[str, object]], header: tuple[str, ...] = FIELDS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([";".join(v) if isinstance(v, list) else v for v in (r.get(h, "") for h in header)])
    return path


def test_declarations_csv_amendment_duplicates_and_broken(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    rows = [
        declaration(1),
        declaration(2),
        declaration(1),  # exact duplicate
        declaration(2, amendments=1, amended_at="2024-03-02T08:00:00+01:00", gross_mass_kg=20000),
        declaration(3, hs_code="010199"),
        declaration(4, gross_mass_kg=40000),
        declaration(5, place_of_loading="ECXXX"),
        declaration(6, amended_at="2024-02-01T00:00:00+00:00", amendments=1),
    ]
    path = _csv(tmp_path / "d.csv", rows)
    recon = ingest_file(
        session_factory=session_factory, actor=system_principal(), kind="declarations", path=path
    )
    assert recon.balanced and (recon.received, recon.stored, recon.quarantined) == (8, 2, 4)
    with session_factory() as s:
        d2 = s.scalars(select(Declaration).where(Declaration.reference == declaration(2)["reference"])).one()
        assert d2.amendments == 1 and d2.gross_mass_kg == 20000 and d2.hub == "rotterdam"
        assert s.scalars(select(Party).where(Party.eori == "EC1234567")).one().country == "EC"
        reasons = list(s.scalars(select(QuarantinedRecord.reason).order_by(QuarantinedRecord.id)))
    assert "hs_code: not a subheading of HS 2022" in reasons[0]
    assert "exceeds the payload of a 45R1" in reasons[1]
    assert "place_of_loading: unknown UN/LOCODE" in reasons[2]
    assert "amended_at: before filed_at" in reasons[3]
    again = ingest_file(
        session_factory=session_factory, actor=system_principal(), kind="declarations", path=path
    )
    assert again.stored == 0 and again.duplicates == 4 and again.quarantined == 4


def test_missing_column_quarantines_every_row_then_retry_fixed(session: Session, tmp_path: Path) -> None:
    from mainport.ingest.readers import read_declarations

    header = tuple(f for f in FIELDS if f != "hs_code")
    path = _csv(tmp_path / "m.csv", [declaration(7), declaration(8)], header)
    from mainport.ingest.declarations import REQUIRED

    recon = declaration_store.ingest_declarations(
        session=session,
        actor=system_principal(),
        source="m",
        records=read_declarations(path, required=REQUIRED),
    )
    assert recon.quarantined == 2 and "missing column hs_code" in recon.problems[0].reason
    qid = recon.problems[0].quarantine_id
    assert qid is not None
    fixed = json.dumps(declaration(7))
    retried = service.retry_quarantined(session=session, actor=system_principal(), ids=[qid], fixed_raw=fixed)
    assert retried.stored == 1
    assert session.get(QuarantinedRecord, qid).status == "replayed"  # type: ignore[union-attr]


def test_api_auth_and_roles(
    app_client: TestClient,
    principal_factory: Callable[..., Principal],
    token_for: Callable[..., dict[str, str]],
) -> None:
    body = [declaration(9)]
    assert app_client.post("/api/v1/declarations", json=body).status_code == 401
    viewer = principal_factory(role=Role.viewer, kind=OrgKind.terminal)
    assert app_client.post("/api/v1/declarations", json=body, headers=token_for(viewer)).status_code == 403
    officer = principal_factory(role=Role.officer, kind=OrgKind.customs)
    r = app_client.post("/api/v1/declarations", json={"declarations": body}, headers=token_for(officer))
    assert r.status_code == 200 and r.json()["stored"] == 1
    r = app_client.post(
        "/api/v1/events", json={"events": [event(50), {"eventID": 1}]}, headers=token_for(officer)
    )
    assert r.status_code == 200 and (r.json()["stored"], r.json()["quarantined"]) == (1, 1)
    assert app_client.get("/api/v1/quarantine", headers=token_for(officer)).status_code == 403
    analyst = principal_factory(role=Role.analyst, kind=OrgKind.customs)
    page = app_client.get("/api/v1/quarantine", headers=token_for(analyst)).json()
    assert page["total"] >= 1


def test_cli_json_output(
    session_factory: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    path = tmp_path / "e.jsonl"
    path.write_text("\n".join(json.dumps(event(i)) for i in range(60, 63)) + "\nnot json\n", encoding="utf-8")
    result = CliRunner().invoke(cli.app, ["events", str(path), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["received"], out["stored"], out["duplicates"], out["quarantined"]) == (4, 3, 0, 1)


def test_records_from_objects_refuses_non_objects() -> None:
    recs = list(records_from_objects([1, {"a": 1}]))
    assert recs[0].error and recs[1].parsed == {"a": 1}


@pytest.mark.postgres
def test_postgres_ingest(pg_session: Session) -> None:
    recs = list(records_from_objects([event(i) for i in range(70, 75)] + [event(70)]))
    recon = event_store.ingest_events(session=pg_session, actor=system_principal(), records=recs, source="pg")
    assert (recon.stored, recon.duplicates) == (5, 1)
