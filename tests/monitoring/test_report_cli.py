from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from mainport.errors import PermissionDenied
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal, system_principal
from mainport.monitoring import queries, report, service
from tests.conftest import FreshDatabase


def test_html_and_pdf_report(session: Session, seeded: dict[str, int], tmp_path: Path) -> None:
    actor = system_principal()
    service.load_public_series(session=session, actor=actor)
    service.record_measure(
        session=session,
        actor=actor,
        hub="rotterdam",
        year=2026,
        name="Guarded area",
        budget_eur_m=3.0,
        spent_eur_m=1.25,
        results="selected containers go straight in",
    )
    html = report.build_report(session=session, actor=actor, period="2026-Q3", out=tmp_path / "r.html")
    text = html.read_text()
    assert "Progress report 2026-Q3" in text and "Guarded area" in text and "1.25" in text
    assert text.count("data:image/png;base64,") == 7
    assert "6,000" in text  # kg seized at Rotterdam in the seeded quarter
    assert "(estimate)" in text and "press estimate" in text  # public estimates stay marked
    pdf = report.build_report(session=session, actor=actor, period="2026-Q3", out=tmp_path / "r.pdf")
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-" and data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") >= 9
    with pytest.raises(ValueError):
        report.build_report(session=session, actor=actor, period="2026-Q3", out=tmp_path / "r.docx")


def test_report_needs_monitoring_read_and_detail_needs_government(
    session: Session, principal_factory: Callable[..., Principal]
) -> None:
    terminal = principal_factory(Role.officer, OrgKind.terminal)
    filters = queries.make_filters(None, None, None, "week", "2026-Q3")
    assert (
        service.overview(session=session, actor=terminal, filters=filters).totals["hub"].tolist()
        == queries.HUBS
    )
    with pytest.raises(PermissionDenied):
        service.seizure_detail(session=session, actor=terminal, filters=filters)
    with pytest.raises(PermissionDenied):
        service.load_public_series(session=session, actor=terminal)


@pytest.mark.slow
def test_cli_load_public_and_report(configured_db: FreshDatabase, tmp_path: Path) -> None:
    from mainport.cli import app as root
    from mainport.database import Base
    from mainport.database.runtime import get_engine

    Base.metadata.create_all(get_engine())
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    bad.write_text("port,unlocode,year,cocaine_kg,basis,confidence,source\nX,NLRTM,1,1,a,low,http://x\n")
    r = runner.invoke(root, ["monitor", "load-public"])
    assert r.exit_code == 0 and "stored 41" in r.output
    r = runner.invoke(root, ["monitor", "load-public", "--csv", str(bad)])
    assert r.exit_code == 0 and "quarantined 1" in r.output
    r = runner.invoke(
        root, ["monitor", "report", "--period", "2026-Q3", "--out", str(tmp_path / "report.pdf")]
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "report.pdf").read_bytes()[:5] == b"%PDF-"
    r = runner.invoke(root, ["monitor", "report", "--period", "2026-Q7", "--out", str(tmp_path / "x.pdf")])
    assert r.exit_code == 2 and "not YYYY" in r.output and "Traceback" not in r.output
    r = runner.invoke(root, ["monitor", "waterbed", "--period", "2026"])
    assert r.exit_code == 0 and "nothing to test" in r.output and "signal: indicators" in r.output
    r = runner.invoke(root, ["monitor", "waterbed", "--period", "2026", "--metric", "seizures"])
    assert r.exit_code == 0 and "signal: seizures" in r.output
    r = runner.invoke(root, ["monitor", "waterbed", "--period", "2026", "--metric", "night_lookups"])
    assert r.exit_code == 2 and "is not one of indicators" in r.output
