"""What a person sees: times in the browser's own time zone, and no page wider than the window however long
a value is (a quarantined record of one 20,000-character line)."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from mainport.ingest.models import QuarantinedRecord
from tests.conftest import LiveServer
from tests.shipments.factories import T0, journey

pytestmark = pytest.mark.browser


@pytest.fixture
def amsterdam_page(_browser: object) -> Iterator[object]:
    context = _browser.new_context(timezone_id="Europe/Amsterdam", viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_times_in_the_users_zone_and_long_values_wrap(
    live_server: LiveServer, amsterdam_page: object
) -> None:
    page = amsterdam_page
    with live_server.session_factory.begin() as s:
        journey(s)  # the first event at factories.T0
        record = QuarantinedRecord(
            key="wide-1", kind="event", source="x" * 290, locator="line 1", raw="{" + "A" * 20_000 + "}",
            raw_size=20_002, reason="B" * 3000,
        )  # fmt: skip
        s.add(record)
        s.flush()
        record_id = record.id
    live_server.login(page, "customs_analyst")
    page.goto(f"{live_server.url}/containers/CSQU3054383")  # type: ignore[attr-defined]
    first = page.locator("[data-testid=timeline] time").first  # type: ignore[attr-defined]
    assert first.get_attribute("data-zone") == "Europe/Amsterdam"
    local = T0.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%Y-%m-%d %H:%M")
    assert first.inner_text().startswith(local), (first.inner_text(), local)
    assert first.get_attribute("title") == T0.strftime("%Y-%m-%d %H:%M UTC")
    for path in (f"/quarantine/{record_id}", "/quarantine", "/containers/CSQU3054383"):
        page.goto(f"{live_server.url}{path}")  # type: ignore[attr-defined]
        width = page.evaluate("() => document.documentElement.scrollWidth")  # type: ignore[attr-defined]
        assert width <= 1280, (path, width)
