"""On a loaded world (the first start at a small size): every main page of each role has no serious or
critical axe-core violation, and renders in under 1 s at the 95th percentile (Chromium's own navigation
timing, several loads per page). The figures are written to $MAINPORT_UI_FIGURES when set."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import LiveServer
from tests.web.pages_tour import axe_violations, load_time_ms, p95, plan_tour

# The first start at its test size takes about two minutes of the budget on a busy machine.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]
LOADS = 5  # per page: the first load of a page warms its queries, the p95 covers it


@pytest.fixture
def world(live_server: LiveServer, tmp_path: Path) -> LiveServer:
    from mainport.demo.first_start import run_first_start
    from tests.test_bootstrap import SMALL

    run_first_start(live_server.session_factory, tmp_path / "world", plan=SMALL)
    return live_server


def test_main_pages_are_accessible_and_render_within_a_second(
    world: LiveServer, browser_page: object
) -> None:
    page = browser_page
    tour = plan_tour(world.session_factory)
    found: dict[str, list[dict[str, object]]] = {}
    times: dict[str, list[float]] = {}
    for user, paths in tour.by_user.items():
        world.login(page, user)
        for path in paths:
            for _ in range(LOADS):
                response = page.goto(f"{world.url}{path}")  # type: ignore[attr-defined]
                assert response.status == 200, (user, path, response.status)
                times.setdefault(f"{user} {path}", []).append(load_time_ms(page))
            bad = axe_violations(page)
            if bad:
                found[f"{user} {path}"] = bad
        page.click("button:has-text('Log out')")  # type: ignore[attr-defined]
        page.wait_for_selector("input[name=username]")  # type: ignore[attr-defined]
    every = [t for ts in times.values() for t in ts]
    figures = {
        "pages": len(times),
        "loads": len(every),
        "p50_ms": round(sorted(every)[len(every) // 2], 1),
        "p95_ms": round(p95(every), 1),
        "max_ms": round(max(every), 1),
        "slowest": sorted(
            ((round(p95(v), 1), k, [round(x) for x in v]) for k, v in times.items()), reverse=True
        )[:6],
        "per_page_p95_ms": {k: round(p95(v), 1) for k, v in times.items()},
        "axe_serious_or_critical": found,
    }
    out = os.environ.get("MAINPORT_UI_FIGURES")
    if out:
        Path(out).write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))  # the figure the issue asks for, in the test log
    assert found == {}, json.dumps(found, indent=1)
    assert figures["p95_ms"] < 1000, figures
