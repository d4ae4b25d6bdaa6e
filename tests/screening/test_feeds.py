"""Screening feeds: a CSV staff list and JSON Lines certificates through ingest; bad records quarantined."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from mainport.ingest.models import QuarantinedRecord
from mainport.screening import cli
from mainport.screening.models import Certificate, Person


@pytest.fixture
def runner(session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    return CliRunner()


def test_csv_people_and_jsonl_certificates(runner: CliRunner, tmp_path: Path, session: Session) -> None:
    people = tmp_path / "staff.csv"
    people.write_text(
        "reference,employer,hub,role,account,gate_id,name\n"
        "ECT-1,TERM-ECT,rotterdam,planner,ectde.001,DRV-1,Anna de Vries\n"
        "ECT-2,TERM-ECT,rotterdam,checker,ectde.002,,Bram Bakker\n"
        ",TERM-ECT,rotterdam,planner,,,No Reference\n"
        "ECT-1,TERM-ECT,rotterdam,planner,ectde.001,DRV-1,Anna de Vries\n"
    )
    r = runner.invoke(cli.app, ["import", "people", str(people)])
    assert r.exit_code == 0, r.output
    assert "received 4 = stored 2 + duplicates 1 + quarantined 1" in r.output
    certs = tmp_path / "certs.jsonl"
    rows = [
        {
            "reference": "ECT-1",
            "kind": "port_vog",
            "issuer": "Justis",
            "issued_at": "2026-01-01T00:00:00Z",
            "valid_until": "2031-01-01T00:00:00Z",
        },
        {
            "reference": "ECT-9",
            "kind": "port_vog",
            "issuer": "Justis",
            "issued_at": "2026-01-01T00:00:00Z",
            "valid_until": "2031-01-01T00:00:00Z",
        },
        {
            "reference": "ECT-2",
            "kind": "vog",
            "issuer": "Justis",
            "issued_at": "2026-01-01T00:00:00Z",
            "valid_until": "2031-01-01T00:00:00Z",
        },
    ]
    certs.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in rows))
    r = runner.invoke(cli.app, ["import", "certificates", str(certs)])
    assert r.exit_code == 0, r.output
    assert "received 3 = stored 1 + duplicates 0 + quarantined 2" in r.output
    reasons = " ".join(session.scalars(select(QuarantinedRecord.reason)))
    assert "no person registered" in reasons and "kind" in reasons and "reference" in reasons
    assert session.scalar(select(Certificate.kind)) == "port_vog"
    bans = tmp_path / "bans.jsonl"
    bans.write_bytes(
        orjson.dumps(
            {"reference": "ECT-1", "reason": "mayor's order 2026/3", "starts_at": "2026-01-01T00:00:00Z"}
        )
        + b"\n"
        + orjson.dumps(
            {
                "reference": "ECT-1",
                "reason": "x",
                "starts_at": "2026-02-01T00:00:00Z",
                "ends_at": "2026-01-01T00:00:00Z",
            }
        )
        + b"\n"
    )
    r = runner.invoke(cli.app, ["import", "bans", str(bans)])
    assert r.exit_code == 0 and "received 2 = stored 1 + duplicates 0 + quarantined 1" in r.output, r.output
    assert session.scalar(select(Person.status).where(Person.account == "ectde.001")) == "port_ban"
    names = {p.alias: p for p in session.scalars(select(Person))}
    assert len(names) == 2 and all("de Vries" not in a for a in names)


def test_user_mistakes_are_one_line_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    r = runner.invoke(cli.app, ["import", "folks", str(tmp_path / "x.csv")])
    assert r.exit_code == 2 and "kind: one of people" in r.output
    r = runner.invoke(cli.app, ["import", "people", str(tmp_path / "missing.csv")])
    assert r.exit_code == 2 and "no such file" in r.output and "Traceback" not in r.output
    r = runner.invoke(cli.app, ["ban", "P-NOBODY12", "--reason", "court order", "--ends", "tomorrow"])
    assert r.exit_code == 2 and "--ends: not a date" in r.output
    r = runner.invoke(cli.app, ["ban", "P-NOBODY12", "--reason", "court order"])
    assert r.exit_code == 2 and "no person" in r.output
