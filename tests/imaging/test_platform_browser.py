"""In headless Chromium: a customs analyst opens the pair page; origin, arrival and overlay images load."""

from __future__ import annotations

from pathlib import Path

import pytest

from mainport.config import Settings
from mainport.identity.principal import system_principal
from mainport.imaging import service
from mainport.imaging.render import PairSample
from tests.conftest import LiveServer
from tests.imaging.helpers import write

pytestmark = pytest.mark.browser


def test_analyst_sees_pair_and_overlay(
    live_server: LiveServer, browser_page: object, door_pair: PairSample, tmp_path: Path
) -> None:
    # the live server's data_dir is this test's tmp_path: seed its image store directly
    settings = Settings(environment="test", data_dir=tmp_path)
    with live_server.session_factory.begin() as s:
        for name, scan in (("origin", door_pair.origin), ("arrival", door_pair.arrival)):
            service.ingest_scan_file(
                session=s,
                actor=system_principal(),
                path=write(scan, tmp_path / "in", name),
                settings=settings,
            )
    number = door_pair.origin.meta.container_id
    page = browser_page
    live_server.login(page, "customs_analyst")
    page.goto(f"{live_server.url}/scans/{number}")  # type: ignore[attr-defined]
    page.wait_for_load_state("load")  # type: ignore[attr-defined]
    for testid in ("origin-image", "arrival-image", "overlay-image"):
        width = page.eval_on_selector(  # type: ignore[attr-defined]
            f"[data-testid={testid}]", "img => img.complete ? img.naturalWidth : 0"
        )
        assert width > 0, testid
    assert "added" in page.locator("[data-testid=regions]").inner_text()  # type: ignore[attr-defined]
    score = float(page.locator("[data-testid=score]").inner_text())  # type: ignore[attr-defined]
    assert score >= settings.scan_alert_threshold
