from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from mainport.identity.principal import system_principal
from mainport.monitoring import service
from tests.monitoring.conftest import seed_monitoring


@pytest.mark.browser
def test_dashboard_draws_charts_filters_and_exports(live_server: Any, browser_page: Any) -> None:
    with live_server.session_factory.begin() as s:
        seed_monitoring(s)
        service.load_public_series(session=s, actor=system_principal())
    page = browser_page
    live_server.login(page, "terminal_officer")
    page.goto(f"{live_server.url}/monitoring?")
    expect(page.locator("#mon-status")).to_contain_text("5 hub(s)")  # the first load has finished
    page.fill("#f-start", "2026-07-01")
    page.fill("#f-end", "2026-10-01")
    page.select_option("#f-freq", "week")
    page.click("#f-apply")
    expect(page.locator("#mon-status")).to_contain_text("2026-07-01")
    for chart in ("timeseries", "comparison", "sizes", "modus", "budget", "public"):
        marks = page.locator(f"#chart-{chart} .mark").count()
        assert marks > 0, chart
    assert page.locator("#mon-public tr.estimate").count() == 3  # Rotterdam 2016, Hamburg 2020 and 2024
    assert page.locator("#export-seizures").count() == 0  # aggregates only for a terminal
    all_bars = page.locator("#chart-comparison rect.mark").count()
    page.select_option("#f-hub", "zeeland_west_brabant")
    page.click("#f-apply")
    expect(page.locator("#mon-status")).to_contain_text("1 hub(s)")
    assert page.locator("#chart-comparison rect.mark").count() < all_bars
    with page.expect_download() as download:
        page.locator("[data-chart=comparison] [data-export=csv]").click()
    text = Path(download.value.path()).read_text()
    assert (
        text.splitlines()[0].startswith("hub,") and "zeeland_west_brabant" in text and "rotterdam" not in text
    )
    with page.expect_download() as png:
        page.locator("[data-chart=sizes] [data-export=png]").click()
    assert Path(png.value.path()).read_bytes()[:4] == b"\x89PNG"
