"""Insider ranking: the pure signals, and the service over the database (scoped, audited, alerts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from mainport.audit.models import AuditEntry
from mainport.cases.models import Alert
from mainport.database import utcnow
from mainport.errors import NotFound, PermissionDenied
from mainport.identity.principal import system_principal
from mainport.insider import analytics, ranking
from mainport.insider.models import StaffLookup
from mainport.shipments.models import Inspection
from tests.screening.helpers import actors


def _frame(rows: list[tuple[str, str, str, int, str, str]]) -> pd.DataFrame:
    base = datetime(2026, 3, 1, tzinfo=UTC)
    return pd.DataFrame(
        [
            {
                "user": u,
                "org": o,
                "facility": o,
                "hub": "rotterdam",
                "container": c,
                "kind": k,
                "at": base + timedelta(hours=h),
                "device": d or f"ws-{u}",
                "place": f"site:{o}",
            }
            for u, o, c, h, k, d in rows
        ]
    )


def _port(insider_night: bool = True) -> list[tuple[str, str, str, int, str, str]]:
    rows = []
    for day in range(30):  # ten staff at ECTDE, day shift, own workstation
        for n in range(10):
            rows.append((f"s{n}", "ECTDE", f"BOX{day:03d}{n}", day * 24 + 8 + n % 6, "status", ""))
    # The insider looks up the box that is seized later, at night, from a phone, and its release code.
    h = 30 * 24 + (3 if insider_night else 10)
    rows += [
        ("s3", "ECTDE", "DIRTY01", h, "position", "mob-1"),
        ("s3", "ECTDE", "DIRTY01", h, "release_code", "mob-1"),
    ]
    return rows


def test_signals_against_own_baseline_and_peers() -> None:
    out = analytics.rank(_frame(_port()), pd.DataFrame({"container": ["DIRTY01"], "flag": ["seized"]}))
    top = out.people.iloc[0]
    assert top["user"] == "s3" and top["rank"] == 1
    signals = {e.signal for e in out.evidence["s3"]}
    assert {"seized", "off_shift", "release_code"} <= signals
    assert any("later seized" in e.text for e in out.evidence["s3"])
    assert out.people.set_index("user").loc["s1", "score"] < 1.0
    assert set(out.organisations["org"]) == {"ECTDE"}


def test_careful_insider_is_found_by_the_box_alone() -> None:
    rows = _port(insider_night=False)
    rows = [r for r in rows if r[2] != "DIRTY01"] + [("s3", "ECTDE", "DIRTY01", 30 * 24 + 11, "status", "")]
    out = analytics.rank(_frame(rows), pd.DataFrame({"container": ["DIRTY01"], "flag": ["seized"]}))
    assert out.people.iloc[0]["user"] == "s3"
    assert [e.signal for e in out.evidence["s3"]] == ["seized"]


def test_empty_input() -> None:
    out = analytics.rank(_frame([]).reindex(columns=["user", "org", "hub", "kind", "at"]), pd.DataFrame())
    assert out.people.empty


def _store(session: Session) -> None:
    now = utcnow()
    rows = []
    for day in range(20):
        for n in range(8):
            for org in ("ECTDE", "APMII"):
                rows.append(
                    {
                        "key": f"{org}{day}{n}",
                        "at": now - timedelta(days=day, hours=n),
                        "username": f"{org.lower()}.{n:03d}",
                        "org_code": org,
                        "hub": "rotterdam",
                        "facility_code": org,
                        "container_number": f"MSCU{day:03d}{n:03d}0"[:11],
                        "kind": "status",
                        "source": "t",
                    }
                )
    rows.append(
        {
            "key": "dirty",
            "at": now - timedelta(days=1, hours=21),
            "username": "ectde.003",
            "org_code": "ECTDE",
            "hub": "rotterdam",
            "facility_code": "ECTDE",
            "container_number": "TGHU1234567",
            "kind": "release_code",
            "device": "mob-77",
            "source": "t",
        }
    )
    session.execute(insert(StaffLookup), rows)
    session.add(
        Inspection(
            container_number="TGHU1234567",
            hub="rotterdam",
            kind="physical",
            inspected_at=now,
            result="found",
            kg_found=120.0,
            recorded_by="customs",
        )
    )
    session.flush()


def test_run_scope_drill_down_alert_and_targeting_flag(session: Session, principal_factory: Any) -> None:
    who = actors(principal_factory)
    _store(session)
    with pytest.raises(PermissionDenied):
        ranking.run_ranking(session=session, actor=who["pso"])
    found = ranking.run_ranking(session=session, actor=system_principal())
    assert found.people == 16 and found.flagged >= 1
    police = ranking.ranked_list(session=session, actor=who["police"])
    assert police[0].shown == "ectde.003" and police[0].score.flagged
    assert any(a.kind == "insider.risk" for a in session.scalars(select(Alert)))
    mine = ranking.ranked_list(session=session, actor=who["pso"])  # TERM-ECT, facility ECTDE
    assert {r.score.org_code for r in mine} == {"ECTDE"}
    assert {r.score.org_code for r in ranking.ranked_list(session=session, actor=who["other_pso"])} == {
        "APMII"
    }
    with pytest.raises(NotFound):
        ranking.drill_down(session=session, actor=who["other_pso"], user="ectde.003")
    with pytest.raises(PermissionDenied):
        ranking.ranked_list(session=session, actor=who["customs"])
    d = ranking.drill_down(session=session, actor=who["police"], user="ectde.003")
    assert d.flagged_boxes["TGHU1234567"] == ["selected", "seized"] or set(
        d.flagged_boxes["TGHU1234567"]
    ) == {"selected", "seized"}
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"insider.ranking.run", "insider.ranking.read", "insider.ranking.drill_down"} <= actions
    flags = ranking.flagged_lookups(
        session, ["TGHU1234567", "MSCU0000000"], since=utcnow() - timedelta(days=7)
    )
    assert set(flags) == {"TGHU1234567"}
