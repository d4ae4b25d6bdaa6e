from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.identity.principal import system_principal
from mainport.ingest.models import QuarantinedRecord
from mainport.monitoring import service
from mainport.monitoring.models import PublicSeizureFigure
from mainport.monitoring.public import packaged_text, read_public_series

HEADER = "port,unlocode,year,cocaine_kg,basis,confidence,source\n"


def test_packaged_series_parses_with_sources_and_estimates_marked() -> None:
    rows, rejected = read_public_series(packaged_text())
    assert rejected == []
    assert len(rows) == 41
    by_key = {(r.port, r.year): r for r in rows}
    assert by_key[("Rotterdam", 2021)].kg == 70751 and by_key[("Rotterdam", 2021)].hub == "rotterdam"
    assert by_key[("Schiphol", 2023)].hub == "schiphol"  # shares NLAMS with the port of Amsterdam
    assert by_key[("Amsterdam port", 2022)].hub == "north_sea_canal"
    assert by_key[("Antwerp", 2022)].hub is None  # a neighbouring port, kept for comparison
    assert by_key[("Rotterdam", 2016)].estimate  # 'press estimate'
    assert by_key[("Hamburg", 2020)].estimate and by_key[("Hamburg", 2024)].estimate  # derived, partial year
    assert not by_key[("Rotterdam", 2018)].estimate
    assert all(r.source.startswith("http") for r in rows)


def test_tilde_rows_are_estimates_and_bad_rows_come_back_with_reasons() -> None:
    text = HEADER + (
        "Rotterdam,NLRTM,2025,~30000,press,low,http://x\n"
        "Rotterdam,NLRTM,20x5,100,press,low,http://x\n"
        "Rotterdam,NLRTM,2019,lots,press,low,http://x\n"
        "Rotterdam,NLRTM,2018,1,press,certain,http://x\n"
        "Nowhere,XX,2018,1,press,low,http://x\n"
        "Rotterdam,NLRTM,2017,1,press,low,\n"
        "Rotterdam,NLRTM,2025,5,press,low,http://x\n"
    )
    rows, rejected = read_public_series(text)
    assert [(r.year, r.kg, r.estimate) for r in rows] == [(2025, 30000.0, True)]
    reasons = [r.reason for r in rejected]
    assert len(reasons) == 6
    assert "not a year" in reasons[0] and "not a number" in reasons[1] and "confidence" in reasons[2]
    assert "UN/LOCODE" in reasons[3] and "source is empty" in reasons[4] and "duplicate" in reasons[5]
    assert rejected[0].line == 3 and "20x5" in rejected[0].raw


def test_load_upserts_and_quarantines_once(session: Session) -> None:
    actor = system_principal()
    first = service.load_public_series(session=session, actor=actor)
    assert (first.stored, first.updated, first.quarantined) == (41, 0, 0)
    again = service.load_public_series(session=session, actor=actor)
    assert (again.stored, again.updated) == (0, 0)
    bad = HEADER + "Rotterdam,NLRTM,2021,71000,revised,high,http://y\nRotterdam,NLRTM,year,1,a,low,http://x\n"
    for _ in range(2):
        result = service.load_public_series(session=session, actor=actor, text=bad, source="test.csv")
        assert (result.received, result.updated, result.quarantined) == (2, result.updated, 1)
    fig = session.scalar(
        select(PublicSeizureFigure).where(
            PublicSeizureFigure.port == "Rotterdam", PublicSeizureFigure.year == 2021
        )
    )
    assert fig is not None and fig.kg == 71000 and fig.source == "http://y"
    quarantined = session.scalars(
        select(QuarantinedRecord).where(QuarantinedRecord.source == "test.csv")
    ).all()
    assert (
        len(quarantined) == 1 and "not a year" in quarantined[0].reason
    )  # kept once, not dropped, not doubled
    assert service.ensure_public_series(session=session) is None  # already loaded: bootstrap does nothing
