"""`make run`'s first start: migrate, create the first admin once, generate a world that ends today, load it
through ingest (everything reconciles, nothing quarantined) and use the product on it as its users would, so
that every main page opens on data. The port is checked before any of it."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from mainport.database import session_scope
from mainport.database.runtime import get_session_factory
from mainport.demo import DemoPlan
from mainport.targeting.selection import Capacity
from tests.conftest import FreshDatabase

HUBS = ("rotterdam", "zeeland_west_brabant", "north_sea_canal", "schiphol", "flower_auctions")
# The first start at a fraction of its size: every step runs, in seconds.
SMALL = DemoPlan(
    weeks_before=2,
    weeks_after=2,
    horizon_days=4,
    scale=0.001,
    boost=1200.0,
    live_days={
        "rotterdam": 4,
        "zeeland_west_brabant": 2,
        "north_sea_canal": 1,
        "schiphol": 3,
        "flower_auctions": 1,
    },
    capacity={h: Capacity(scan=2, physical=1) for h in HUBS},
    scan_pairs=1,
    seal_check_days=3,
    cases_from_alerts=2,
    release_rights=3,
)


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def test_a_busy_port_is_named_with_the_fix(listening: int) -> None:
    from mainport.serve import port_taken

    why = port_taken("127.0.0.1", listening)
    assert why and f"port {listening}" in why and f"PORT={listening + 1}" in why
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = int(s.getsockname()[1])
    assert port_taken("127.0.0.1", free) is None


def test_serve_on_a_busy_port_says_so_in_one_line_and_exits_2(listening: int) -> None:
    from mainport.cli import app

    result = CliRunner().invoke(app, ["serve", "--bootstrap", "--port", str(listening)])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "already in use" in lines[0] and "Traceback" not in result.output


class _TruthWatch:
    """Every file under a truth/ folder opened while watching, with the mainport module that opened it."""

    def __init__(self) -> None:
        self.active = False
        self.opened: list[tuple[str, str]] = []

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.active or event != "open" or not isinstance(args[0], str | Path):
            return
        path = str(args[0])
        if "/truth/" not in path:
            return
        frame = sys._getframe(1)
        while frame is not None and "/mainport/" not in frame.f_code.co_filename.replace("\\", "/"):
            frame = frame.f_back  # type: ignore[assignment]
        opener = frame.f_code.co_filename.split("/mainport/")[-1] if frame is not None else "?"
        self.opened.append((path, opener))


_WATCH = _TruthWatch()
sys.addaudithook(_WATCH)  # audit hooks cannot be removed: this one only records while `active`


def _first_start(plan: DemoPlan) -> tuple[str | None, Any]:
    from mainport import serve

    seen: dict[str, Any] = {}
    real = serve._first_start

    def keep(factory: Any, p: Any) -> Any:
        seen["done"] = real(factory, p)
        return seen["done"]

    serve._first_start = keep  # type: ignore[assignment]
    try:
        return serve.bootstrap(plan=plan), seen.get("done")
    finally:
        serve._first_start = real  # type: ignore[assignment]


def _check_first_start(done: Any, data_dir: Path) -> None:
    from mainport.audit.service import verify
    from mainport.cases.models import Alert
    from mainport.custody.models import CustodyPlan, ReleaseRight
    from mainport.ingest.models import IngestRun
    from mainport.monitoring.models import Measure
    from mainport.shipments.models import Inspection, Seizure
    from mainport.targeting.models import Selection, SelectionItem

    for kind, rec in done.ingest.items():
        f = rec.summary()
        assert f["balanced"] and f["quarantined"] == 0, (kind, f)
    assert {"declarations", "events", "inspections", "seizures", "eseal", "access"} <= set(done.ingest)
    today = datetime.now(UTC).date()
    with session_scope(get_session_factory()) as s:
        runs = s.scalars(select(IngestRun)).all()
        assert runs and all(r.received == r.stored + r.duplicates + r.quarantined for r in runs)
        # Today's selection exists for every hub: the targeting page opens on it.
        today_hubs = set(s.scalars(select(Selection.hub).where(Selection.day == today)))
        assert today_hubs == set(HUBS)
        items = s.scalars(select(SelectionItem)).all()
        assert items and any(i.inspection_id for i in items)  # outcomes came back
        assert s.scalar(select(func.count()).select_from(Inspection)) > 0
        assert s.scalar(select(func.count()).select_from(Seizure)) > 0
        sources = set(s.scalars(select(Alert.source)))
        assert "targeting" in sources and len(sources) >= 2, sources
        assert s.scalar(select(func.count()).select_from(CustodyPlan)) > 0
        rights = s.scalars(select(ReleaseRight.status)).all()
        assert "used" in rights and "revoked" in rights
        assert s.scalar(select(func.count()).select_from(Measure)) == 1
        report = verify(session=s)
        assert report.ok, report
    # The world's present is now: its last past day is today, and nothing after now was reported.
    assert done.timeline.today == today
    assert (data_dir / "sample-world" / "truth").is_dir()


@pytest.mark.slow
def test_first_start_loads_a_world_ending_today_and_uses_the_product(
    configured_db: FreshDatabase, tmp_path: Path
) -> None:
    from mainport.identity.models import User

    # Files an earlier first start left (another date range, a database since deleted) are not loaded.
    stale = tmp_path / "var" / "sample-world" / "declarations" / "declarations-2000-01-03.jsonl"
    stale.parent.mkdir(parents=True)
    stale.write_text('{"reference": "stale"}\n')
    _WATCH.opened.clear()
    _WATCH.active = True
    try:
        password, done = _first_start(SMALL)
    finally:
        _WATCH.active = False
    assert password and len(password) >= 12
    assert done is not None
    _check_first_start(done, tmp_path / "var")
    _pages_open_on_data()
    # Ground truth is opened by the world alone (it writes it, and plays the officers who open the boxes).
    assert _WATCH.opened and all(opener.startswith("world/") for _, opener in _WATCH.opened), {
        o for _, o in _WATCH.opened
    }
    # A second start changes nothing: no second admin, no second world.
    before = done.world["counts"]["declarations"]
    assert _first_start(SMALL) == (None, None)
    with session_scope(get_session_factory()) as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.username == "admin")) == 1
        from mainport.shipments.models import Declaration

        assert s.scalar(select(func.count()).select_from(Declaration)) == before


PAGES = (
    ("/", "rotterdam"),
    ("/targeting/rotterdam", 'data-testid="selection"'),
    ("/monitoring", "Monitoring"),
    ("/alerts", "selected_for_inspection"),
    ("/custody/board", "/custody/board/"),
    ("/containers", "/containers/"),
    ("/declarations", "/containers/"),
)


def _pages_open_on_data() -> None:
    from mainport.api.app import create_app
    from mainport.cases.models import Case
    from mainport.custody.models import CustodyPlan
    from mainport.identity import service as identity
    from mainport.identity.models import User
    from mainport.shipments.models import Scan

    with session_scope(get_session_factory()) as s:
        admin = s.scalar(select(User).where(User.username == "admin"))
        assert admin is not None
        _tok, token = identity.create_token(
            session=s, actor=identity.principal_for(admin), user=admin, name="pages"
        )
        case_id = s.scalar(select(Case.id).order_by(Case.id))
        facility = s.scalar(
            select(CustodyPlan.facility_code)
            .group_by(CustodyPlan.facility_code)
            .order_by(func.count().desc())
        )
        scanned = s.scalar(select(Scan.container_number).where(Scan.phase == "arrival"))
    pages = [
        *PAGES,
        (f"/custody/board/{facility}", "planned"),
    ]
    if case_id:
        pages.append((f"/cases/{case_id}", "Case"))
    if scanned:
        pages.append((f"/scans/{scanned}", scanned))
    with TestClient(create_app(session_factory=get_session_factory())) as client:
        for path, marker in pages:
            r = client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200, (path, r.status_code)
            assert marker in r.text, (path, marker)
        overview = client.get(
            "/api/v1/monitoring/overview", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert overview, "the dashboard's charts read this"


@pytest.mark.slow
def test_full_first_start_shows_the_whole_picture(configured_db: FreshDatabase, tmp_path: Path) -> None:
    """The size `make run` uses: within the time budget's order, with a waterbed signal on the dashboard."""
    from mainport.monitoring.models import WaterbedSignal

    password, done = _first_start(DemoPlan())
    assert password and done is not None
    _check_first_start(done, tmp_path / "var")
    counts = done.counts
    assert counts["outcome_found"] >= 1 and counts["cases_investigating"] >= 1
    assert counts["scan_comparisons"] >= 1 and counts["custody_plans"] >= 10
    with session_scope(get_session_factory()) as s:
        signals = s.scalars(select(WaterbedSignal)).all()
        assert any((x.source_hub, x.target_hub) == ("rotterdam", "zeeland_west_brabant") for x in signals), [
            (x.source_hub, x.target_hub) for x in signals
        ]
        assert all(x.change_start >= done.timeline.start for x in signals)
    _pages_open_on_data()
    assert done.timeline.now > datetime.now(UTC) - timedelta(hours=1)
