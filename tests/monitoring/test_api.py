from __future__ import annotations

import csv
import io
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit.models import AuditEntry
from mainport.identity.models import OrgKind, Role
from mainport.identity.principal import Principal

Q3 = {"period": "2026-Q3"}
Headers = Callable[[Principal], dict[str, str]]


def test_terminal_sees_aggregates_but_not_single_seizures(
    app_client: TestClient,
    seeded: dict[str, int],
    principal_factory: Callable[..., Principal],
    token_for: Headers,
) -> None:
    terminal = token_for(principal_factory(Role.officer, OrgKind.terminal, node_code="rotterdam"))
    r = app_client.get("/api/v1/monitoring/overview", params=Q3, headers=terminal)
    assert r.status_code == 200, r.text
    body = r.json()
    totals = {row["hub"]: row for row in body["totals"]}
    assert totals["rotterdam"]["seizures"] == 4 and totals["rotterdam"]["kg"] == 6000
    assert totals["rotterdam"]["inspections"] == 28 and abs(totals["rotterdam"]["hit_rate"] - 4 / 28) < 1e-9
    assert (
        totals["rotterdam"]["custody_deviations"] == 1 and totals["rotterdam"]["mean_hours_to_decision"] == 3
    )
    assert totals["schiphol"]["seizures"] == 0
    assert body["may_see_detail"] is False
    assert "container_number" not in str(body)  # aggregates only
    for path in ("/api/v1/monitoring/seizures", "/api/v1/monitoring/export/seizures.csv"):
        assert app_client.get(path, params=Q3, headers=terminal).status_code == 403
    assert (
        app_client.post(
            "/api/v1/monitoring/measures",
            headers=terminal,
            json={"hub": "rotterdam", "year": 2026, "name": "x", "budget_eur_m": 1, "spent_eur_m": 1},
        ).status_code
        == 403
    )
    assert app_client.post("/api/v1/monitoring/waterbed/run", headers=terminal, json=Q3).status_code == 403


def test_unauthenticated_is_refused_everywhere(app_client: TestClient) -> None:
    for path in ("overview", "seizures", "export/totals.csv", "charts/sizes.png", "measures", "signals"):
        assert app_client.get(f"/api/v1/monitoring/{path}").status_code == 401
    assert app_client.post("/api/v1/monitoring/waterbed/run", json={}).status_code == 401
    page = app_client.get("/monitoring", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert app_client.get("/monitoring/static/dashboard.js").status_code == 401


def test_customs_gets_detail_audited_exports_and_filters(
    app_client: TestClient,
    seeded: dict[str, int],
    session: Session,
    principal_factory: Callable[..., Principal],
    token_for: Headers,
) -> None:
    customs = token_for(principal_factory(Role.analyst, OrgKind.customs))
    r = app_client.get(
        "/api/v1/monitoring/seizures", params={**Q3, "hub": "zeeland_west_brabant"}, headers=customs
    )
    assert r.status_code == 200
    assert len(r.json()) == 4 and {s["kg"] for s in r.json()} == {40.0} and r.json()[0]["container_number"]
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "monitoring.detail_read")) is not None
    csv_r = app_client.get(
        "/api/v1/monitoring/export/totals.csv", params={**Q3, "hub": "rotterdam"}, headers=customs
    )
    assert csv_r.status_code == 200 and csv_r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_r.text)))
    assert [row["hub"] for row in rows] == ["rotterdam"] and float(rows[0]["kg"]) == 6000
    png = app_client.get(
        "/api/v1/monitoring/charts/timeseries.png", params={**Q3, "metric": "seizures"}, headers=customs
    )
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert app_client.get("/api/v1/monitoring/charts/nope.png", headers=customs).status_code == 422
    assert (
        app_client.get("/api/v1/monitoring/overview", params={"hub": "atlantis"}, headers=customs).status_code
        == 422
    )
    assert (
        app_client.get(
            "/api/v1/monitoring/overview", params={"period": "2026-Q9"}, headers=customs
        ).status_code
        == 422
    )


def test_measures_public_series_and_waterbed_run(
    app_client: TestClient,
    seeded: dict[str, int],
    principal_factory: Callable[..., Principal],
    token_for: Headers,
) -> None:
    customs = token_for(principal_factory(Role.analyst, OrgKind.customs))
    m = {
        "hub": "rotterdam",
        "year": 2026,
        "name": "Scanner lane 3",
        "budget_eur_m": 2.0,
        "spent_eur_m": 0.5,
        "results": "lane in use",
        "started_on": "2026-07-13",
    }
    r = app_client.post("/api/v1/monitoring/measures", json=m, headers=customs)
    assert r.status_code == 201 and r.json()["recorded_by"]
    bad = app_client.post("/api/v1/monitoring/measures", json={**m, "hub": "atlantis"}, headers=customs)
    assert bad.status_code == 422
    assert app_client.post("/api/v1/monitoring/public/load", headers=customs).json()["stored"] == 41
    body = app_client.get("/api/v1/monitoring/overview", params=Q3, headers=customs).json()
    budget = {b["hub"]: b for b in body["budget"]}
    assert budget["rotterdam"]["spent_eur_m"] == 0.5 and budget["rotterdam"]["plan_budget_eur_m"] > 4
    assert "cross_cutting" in budget
    public = [p for p in body["public"] if p["port"] == "Rotterdam" and p["year"] == 2016]
    assert public[0]["estimate"] is True and public[0]["source"].startswith("http")
    run = app_client.post("/api/v1/monitoring/waterbed/run", json=Q3, headers=customs)
    assert run.status_code == 200
    # Four weeks of data cannot show displacement: the measure is tested, nothing is flagged.
    assert all(not f["flagged"] for f in run.json())


def test_dashboard_page_for_terminal_and_customs(
    app_client: TestClient, session: Session, principal_factory: Callable[..., Principal]
) -> None:
    from mainport.identity.passwords import hash_password  # noqa: F401  (fixture password is cached)

    for role, kind, sees_detail in (
        (Role.officer, OrgKind.terminal, False),
        (Role.analyst, OrgKind.customs, True),
    ):
        p = principal_factory(role, kind)
        session.commit()
        app_client.cookies.clear()
        login = app_client.get("/login")
        token = login.text.split('name="csrf_token" value="')[1].split('"')[0]
        r = app_client.post(
            "/login",
            data={"username": p.username, "password": "correct horse battery staple", "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        page = app_client.get("/monitoring")
        assert page.status_code == 200 and 'data-testid="chart-timeseries"' in page.text
        assert ('id="export-seizures"' in page.text) is sees_detail
        assert app_client.get("/monitoring/static/dashboard.js").status_code == 200
