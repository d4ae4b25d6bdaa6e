"""The attack suite: every route and page of the app (from its route table), tried by every role of every kind
of organisation, without credentials, against other organisations' objects, with forged and replayed
credentials, CSRF, stored XSS, SQL injection, oversized and malformed bodies and huge integers. Every
attempt is counted by category; any success fails the suite. It also checks that what each party does see is
exactly what it may see. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mainport.api import deps
from mainport.api.middleware import DEFAULT_BODY_LIMIT, body_limit
from mainport.cases.models import Alert, Case
from mainport.config import Settings
from mainport.identity import service as identity
from mainport.identity.models import Role, User
from mainport.ingest.models import QuarantinedRecord
from mainport.shipments.models import ContainerEvent, Declaration
from tests.conftest import PASSWORD, FreshDatabase
from tests.security import harness
from tests.security.harness import Route, Tally, example_request, fill, needed, routes
from tests.security.world import ORGS, Actor, World, build

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

SQLI = [
    "' OR '1'='1",
    "' OR 1=1 --",
    '" OR ""="',
    "1; DROP TABLE app_user; --",
    "' UNION SELECT username, password_hash FROM app_user --",
    "%' --",
    "%",
    "' || (SELECT password_hash FROM app_user LIMIT 1) || '",
    "\x00",
]
XSS = [
    "<script>alert('zq1')</script>",
    '"><img src=x onerror=alert("zq2")>',
    "'><svg onload=alert('zq3')>",
    "javascript:alert('zq4')",
    "</textarea><script>alert('zq5')</script>",
]
XSS_RAW = [
    "<script>alert('zq1')",
    '<img src=x onerror=alert("zq2")',
    "<svg onload=alert('zq3')",
    "href=\"javascript:alert('zq4')",
    "</textarea><script>alert('zq5')",
]
HUGE = ["9223372036854775808", "18446744073709551616", "-9223372036854775809", "1" + "0" * 40]
SINGLE_OBJECT = {"plan_id", "record_id", "declaration_id", "alert_id", "case_id", "scan_id", "comparison_id"}
SINGLE_OBJECT |= {"user_id", "token_id", "number", "facility_code"}


@pytest.fixture
def attack(fresh_db: FreshDatabase, tmp_path: Any) -> Iterator[Any]:
    """The world in a database of its own (each request commits for real: thousands of requests in one
    rolled-back transaction would pile up PostgreSQL's locks), an app on it, and the tally."""
    from mainport.api.app import create_app

    session = fresh_db.factory()
    world = build(session)
    session.commit()
    settings = Settings(environment="test", secret_key="s" * 40, data_dir=tmp_path, database_url="sqlite://")
    app = create_app(settings, session_factory=fresh_db.factory)
    deps.token_failures.clear()
    # A server error is an answer to count (a success of the attack), not an exception in the test.
    with TestClient(app, raise_server_exceptions=False) as client:
        yield app, client, world, Tally(world), session
    deps.token_failures.clear()
    session.close()


def _values(w: World, a: Actor | None) -> dict[str, str]:
    """Path parameter values naming objects the actor has no business with."""
    gov = a is not None and a.kind == "government"
    seen = w.visible_containers(a) if a else set()
    foreign = [c for c in "BADC" if c not in seen] or ["C"]
    plans = [p for p in ("P-A", "P-D") if a is None or p not in w.visible_plans(a)] or ["P-A"]
    rights = [r for r in ("R-A", "R-B") if a is None or r not in w.visible_rights(a)] or ["R-A"]
    qs = [q for q in ("Q-T1", "Q-T2", "Q-GOV") if a is None or q not in w.visible_quarantine(a)] or ["Q-GOV"]
    own_org = ORGS[(a.kind, a.org_no)]["code"] if a else ""
    other_user = next(
        u for u, uid in w.users.items() if a is None or not u.startswith(f"zq_{a.kind[:4]}{a.org_no}_")
    )
    del own_org
    facility = "APMII" if a is not None and a.kind == "terminal" and a.org_no == 1 else "ECTDE"
    return {
        "number": w.containers[foreign[0]],
        "container_number": w.containers[foreign[0]],
        "plan_id": str(w.ids[f"plan:{plans[0]}"]),
        "right_id": str(w.ids[f"right:{rights[0]}"]),
        "record_id": str(w.ids[f"quarantine:{qs[0]}"]),
        "declaration_id": str(w.ids["declaration:B"]),
        "alert_id": str(w.ids["alert:1"]),
        "case_id": str(w.ids["case:1"]),
        "scan_id": str(w.ids["scan:1"]),
        "comparison_id": "1",
        "user_id": str(w.users[other_user]),
        "token_id": str(w.ids[f"token:{other_user}"]),
        "facility_code": facility,
        "hub": "rotterdam",
        "name": "series",
        "chart": "timeseries",
        "entry_id": "1",
        "tip_id": "1",
    } | ({"declaration_id": str(w.ids["declaration:B"])} if gov else {})


def _foreign_for(w: World, a: Actor, route: Route) -> bool:
    """Does the path name an object this actor may not see (so that the request must be refused)?"""
    params = set(route.params)
    if route.path.startswith("/api/v1/reference/"):
        return False  # pure look-ups (check digits, places): no one's objects
    if a.kind == "government":
        return bool(params & {"user_id", "token_id"})
    return bool(params & (SINGLE_OBJECT | {"right_id", "record_id"}))


def _call(client: TestClient, route: Route, path: str, headers: dict[str, str], **kw: Any) -> Any:
    return client.request(route.method, path, headers=headers, **kw)


# -- categories ---------------------------------------------------------------------------------------------


def no_credentials(client: TestClient, all_routes: list[Route], w: World, t: Tally) -> None:
    forged = [
        {},
        {"Authorization": "Bearer mpt_" + "A" * 43},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Cookie": "mainport_session=eyJzaWQiOiAiZm9yZ2VkIn0=.forged.sig"},
        {"Accept": "text/html"},
    ]
    values = _values(w, None)
    for route in all_routes:
        if (route.method, route.path) in harness.PUBLIC:
            continue
        path = fill(route, values)
        for h in forged:
            r = _call(client, route, path, h, **example_request(route), follow_redirects=False)
            t.judge("no_credentials", None, r, refuse=True)


def authorisation_matrix(client: TestClient, all_routes: list[Route], w: World, t: Tally) -> None:
    """Every role of every kind on every route it lacks the permission for; the other organisation's objects
    by id on every route that names one."""
    # Organisation 1 of every kind in every role, and the other organisations' admins.
    for a in [x for x in w.all_actors() if x.org_no == 1 or x.role == Role.admin]:
        values = _values(w, a)
        for route in all_routes:
            if (route.method, route.path) in harness.PUBLIC:
                continue
            permission = needed(route.method, route.path)
            lacks = permission is not None and not a.principal.can(permission)
            viewer_write = (
                a.role == Role.viewer
                and route.method not in harness.SAFE
                and not harness.SELF_SERVICE.search(route.path)
            )
            foreign = _foreign_for(w, a, route)
            own_scope_read = route.method in harness.SAFE and a.role in (Role.admin, Role.viewer)
            if not (lacks or viewer_write or foreign or own_scope_read):
                continue
            path = fill(route, values)
            kw = example_request(route)
            r = _call(client, route, path, a.headers, **kw)
            category = (
                "higher_role_or_kind"
                if lacks or viewer_write
                else ("other_org_by_id" if foreign else "reads_of_own_scope")
            )
            refuse = (
                lacks or viewer_write or (foreign and (route.method not in harness.SAFE or _single(route)))
            )
            t.judge(category, a, r, refuse=refuse, sent=str(kw))


def _single(route: Route) -> bool:
    return bool(set(route.params) & SINGLE_OBJECT)


def escalation(client: TestClient, w: World, t: Tally) -> None:
    """Through user and token management: act on other organisations' users and tokens, give oneself a higher
    role, make tokens for others."""
    for a in [x for x in w.all_actors() if x.org_no == 1]:
        # A user of the same kind's other organisation, and one of another kind.
        targets = {
            f"zq_{a.kind[:4]}2_admin",
            "zq_term1_admin" if a.kind == "government" else "zq_gove1_analyst",
        }
        others = [(u, uid) for u, uid in w.users.items() if u in targets]
        for username, uid in others:
            tok = w.ids[f"token:{username}"]
            attempts = [
                ("post", f"/api/v1/users/{uid}/role", {"json": {"role": "admin"}}),
                ("post", f"/api/v1/users/{uid}/password", {"json": {"password": "pwned pwned pwned"}}),
                ("post", f"/api/v1/users/{uid}/deactivate", {}),
                ("post", f"/api/v1/users/{uid}/lock", {"json": {"hours": 1}}),
                ("post", f"/api/v1/users/{uid}/second-factor/reset", {}),
                ("get", f"/api/v1/users/{uid}/tokens", {}),
                ("post", f"/api/v1/tokens/{tok}/revoke", {}),
                ("post", f"/account/tokens/{tok}/revoke", {}),
                ("post", f"/admin/users/{uid}/role", {"data": {"role": "admin"}}),
                ("post", f"/admin/users/{uid}/password", {"data": {"password": "pwned pwned pwned"}}),
                ("post", f"/admin/users/{uid}/active", {"data": {"active": "false"}}),
            ]
            for method, path, kw in attempts:
                r = client.request(method.upper(), path, headers=a.headers, **kw)
                t.judge("escalation", a, r, refuse=True)
        if a.role != Role.admin:
            me = w.users[a.name]
            for method, path, kw in [
                ("post", f"/api/v1/users/{me}/role", {"json": {"role": "admin"}}),
                ("post", "/api/v1/users", {"json": {"username": f"{a.name}_x", "password": PASSWORD}}),
                ("post", "/admin/users", {"data": {"username": f"{a.name}_y", "password": PASSWORD}}),
                ("post", f"/admin/users/{me}/role", {"data": {"role": "admin"}}),
            ]:
                r = client.request(method.upper(), path, headers=a.headers, **kw)
                t.judge("escalation", a, r, refuse=True)
    # Nobody ended up with a role or in an organisation they did not have.
    with_admin = {u for (k, n, role), x in w.actors.items() if role == Role.admin for u in [x.name]}
    session = client.app.state.session_factory()  # type: ignore[attr-defined]
    try:
        for user in session.scalars(select(User).where(User.username.like("zq\\_%", escape="\\"))):
            t.check(
                "escalation",
                (user.role == Role.admin) == (user.username in with_admin) and user.active,
                f"{user.username} is {user.role.value}, active={user.active}",
            )
    finally:
        session.close()


def _login(client: TestClient, username: str) -> dict[str, str]:
    """A fresh browser session: returns its cookies and CSRF token."""
    client.cookies.clear()
    html = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    r = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/account").text).group(1)  # type: ignore[union-attr]
    jar = dict(client.cookies)
    client.cookies.clear()
    return {"cookie": "; ".join(f"{k}={v}" for k, v in jar.items()), "csrf": csrf}


def csrf(client: TestClient, all_routes: list[Route], w: World, t: Tally) -> None:
    """Every write of every form and API route with a browser session but without the session's CSRF token."""
    actors = [w.actor("government", 1, Role.admin), w.actor("terminal", 1, Role.admin)]
    sessions = {a.name: _login(client, a.name) for a in actors}
    other = _login(client, w.actor("line", 1, Role.admin).name)
    for a in actors:
        s = sessions[a.name]
        values = _values(w, a) | {
            "plan_id": str(w.ids["plan:P-A"]),
            "record_id": str(w.ids["quarantine:Q-T1"]),
            "user_id": str(w.users[a.name]),
            "token_id": str(w.ids[f"token:{a.name}"]),
        }
        for route in all_routes:
            if route.method in harness.SAFE or route.path in ("/login", "/login/second-factor"):
                continue
            path = fill(route, values)
            kw = example_request(route)
            for variant in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": other["csrf"]}):
                kw2 = dict(kw)
                if "data" in kw2 and variant:
                    kw2["data"] = {**kw2["data"], "csrf_token": variant["X-CSRF-Token"]}
                    variant = {}
                r = client.request(
                    route.method,
                    path,
                    headers={"Cookie": s["cookie"], "Origin": "https://evil.example", **variant},
                    follow_redirects=False,
                    **kw2,
                )
                t.judge("csrf", a, r, refuse=True)
    # The login form too: without its token, a log-in is refused.
    r = client.post("/login", data={"username": actors[0].name, "password": PASSWORD, "csrf_token": "x"})
    t.judge("csrf", None, r, refuse=True)


def replay(client: TestClient, all_routes: list[Route], w: World, t: Tally, session: Session) -> None:
    """Cookies and tokens after logout, revocation, deactivation, lock, role and password changes."""
    gets = [r for r in all_routes if r.method == "GET" and (r.method, r.path) not in harness.PUBLIC][:60]
    admin = w.actor("government", 1, Role.admin)

    def replay_all(headers: dict[str, str], who: str) -> None:
        for route in gets:
            r = client.get(fill(route, _values(w, None)), headers=headers, follow_redirects=False)
            t.judge("replay", None, r, refuse=True, note=who)

    # 1. logout
    a = w.actor("terminal", 2, Role.analyst)
    s = _login(client, a.name)
    assert client.get("/api/v1/me", headers={"Cookie": s["cookie"]}).status_code == 200
    client.post("/logout", headers={"Cookie": s["cookie"]}, data={"csrf_token": s["csrf"]})
    replay_all({"Cookie": s["cookie"]}, "after logout")
    # 2. token revoked by its user
    b = w.actor("line", 2, Role.officer)
    r = client.post("/api/v1/tokens", headers=b.headers, json={"name": "zq-replay", "days": 1})
    fresh = r.json()["token"]
    client.post(f"/api/v1/tokens/{r.json()['id']}/revoke", headers=b.headers)
    replay_all({"Authorization": f"Bearer {fresh}"}, "revoked token")
    # 3. deactivated, 4. locked, 5. role changed, 6. password reset: cookie and token of each
    cases = [
        ("forwarder", 2, Role.officer, "deactivate", {}),
        ("haulier", 2, Role.analyst, "lock", {"json": {"hours": 2}}),
        ("government", 2, Role.analyst, "role", {"json": {"role": "viewer"}}),
        ("municipality", 2, Role.viewer, "password", {"json": {"password": "another long passphrase"}}),
    ]
    for kind, no, role, action, kw in cases:
        victim = w.actor(kind, no, role)
        s = _login(client, victim.name)
        org_admin = w.actor(kind, no, Role.admin)
        r = client.post(f"/api/v1/users/{w.users[victim.name]}/{action}", headers=org_admin.headers, **kw)
        assert r.status_code == 200, r.text
        replay_all({"Cookie": s["cookie"]}, f"cookie after {action}")
        if action in ("deactivate", "lock"):
            replay_all(victim.headers, f"token after {action}")
    # The gate's cached principal is dropped at once too (no 30 s grace after a revocation).
    assert admin


def stored_xss(client: TestClient, all_routes: list[Route], w: World, t: Tally, session: Session) -> None:
    """Payloads in every free-text field the pages show, then every page read by several parties."""
    payload = " ".join(XSS)
    a_number = w.containers["A"]
    session.execute(update(Alert).values(title=Alert.title + payload, note=payload))
    session.execute(update(Case).values(notes=payload, assignee=payload[:64]))
    session.execute(update(Declaration).values(goods_description=Declaration.goods_description + payload))
    session.execute(
        update(QuarantinedRecord).values(
            reason=payload, source=QuarantinedRecord.source, locator=payload[:64]
        )
    )
    session.execute(update(User).where(User.username.like("zq%")).values(full_name=User.full_name + payload))
    from mainport.custody.models import CustodyPlan
    from mainport.identity.models import ApiToken
    from mainport.shipments.models import Party, Scan

    session.execute(update(ApiToken).values(name=ApiToken.name + payload[:40]))
    session.execute(update(CustodyPlan).values(reason=CustodyPlan.reason + payload, location=payload[:64]))
    session.execute(update(Party).values(name=payload[:200]))
    session.execute(update(Scan).values(scanner_id=payload[:64]))
    session.execute(
        update(ContainerEvent)
        .where(ContainerEvent.equipment_reference == a_number)
        .values(payload={"eventLocation": {"locationName": payload}})
    )
    session.commit()
    readers = [
        w.actor("government", 1, Role.admin),
        w.actor("terminal", 1, Role.admin),
        w.actor("line", 1, Role.analyst),
    ]
    pages = [
        r
        for r in all_routes
        if not r.is_api and r.method == "GET" and (r.method, r.path) not in harness.PUBLIC
    ]
    for a in readers:
        values = _values(w, a) | {
            "number": a_number,
            "container_number": a_number,
            "record_id": str(w.ids["quarantine:Q-T1"]),
            "facility_code": "ECTDE",
            "declaration_id": str(w.ids["declaration:A"]),
        }
        for route in pages:
            r = client.get(fill(route, values), headers={**a.headers, "Accept": "text/html"})
            for raw in XSS_RAW:
                t.check(
                    "stored_xss",
                    r.status_code < 500 and raw not in r.text,
                    f"{a.name} GET {route.path}: {raw!r} rendered unescaped ({r.status_code})",
                )
    # The alert's evidence link to /\evil.example/ is not shown as a link.
    page = client.get("/alerts", headers=readers[0].headers).text
    t.check("stored_xss", 'href="/\\evil' not in page, "alert evidence link leads off-site")


def sql_injection(client: TestClient, all_routes: list[Route], w: World, t: Tally) -> None:
    actors = [w.actor("terminal", 1, Role.analyst), w.actor("government", 1, Role.admin)]
    for route in all_routes:
        if route.method != "GET":
            continue
        fields = [(n, ann) for n, ann in harness.query_fields(route)]
        for a in actors:
            base = fill(route, _values(w, a))
            for name, _ann in fields:
                for p in SQLI:
                    r = client.get(base, params={name: p}, headers=a.headers)
                    t.judge("sql_injection", a, r, refuse=False, sent=p)
            if "number" in route.params or "container_number" in route.params:
                for p in SQLI[:8]:
                    values = _values(w, a) | {"number": p, "container_number": p}
                    r = client.get(fill(route, values).replace("#", "%23"), headers=a.headers)
                    t.judge("sql_injection", a, r, refuse=False, sent=p)
    # Search takes % and _ literally: a prefix of % finds nothing, not everything.
    gov = actors[1]
    for p in ("%", "_", "%%", "M_C%"):
        r = client.get("/api/v1/containers", params={"q": p}, headers=gov.headers)
        t.check(
            "sql_injection", r.status_code == 200 and r.json()["total"] == 0, f"containers q={p!r} matched"
        )
        r = client.get("/api/v1/declarations", params={"q": p}, headers=gov.headers)
        t.check("sql_injection", r.status_code == 200 and r.json()["total"] == 0, f"declarations q={p!r}")


def bodies(client: TestClient, all_routes: list[Route], w: World, t: Tally) -> None:
    """Oversized (declared and real), malformed, deeply nested and wrongly typed bodies on every write."""
    a = w.actor("government", 1, Role.admin)
    values = _values(w, a)
    for route in all_routes:
        if route.method in harness.SAFE:
            continue
        path = fill(route, values)
        limit = body_limit(path)
        variants: list[dict[str, Any]] = [
            {
                "content": b"{}",
                "headers": {"Content-Length": str(limit + 1), "Content-Type": "application/json"},
            },
            {"content": b'{"a": ', "headers": {"Content-Type": "application/json"}},
            {"content": b"\xff\xfe\x00garbage", "headers": {"Content-Type": "application/json"}},
            {"content": b"[" * 50_000 + b"]" * 50_000, "headers": {"Content-Type": "application/json"}},
            {"content": b"a=1&" * 10, "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
            {"content": b"--x\r\n\r\n", "headers": {"Content-Type": "multipart/form-data; boundary=x"}},
            {"json": {"title": "x" * 100_000, "name": "x" * 100_000, "reason": "x" * 100_000}},
        ]
        if limit == DEFAULT_BODY_LIMIT:
            variants.append({"content": b"x" * (limit + 1), "headers": {"Content-Type": "application/json"}})
        for kw in variants:
            headers = {**a.headers, **kw.pop("headers", {})}
            r = client.request(route.method, path, headers=headers, **kw)
            # Oversized must be refused; the rest must be refused or handled, never crash.
            declared = int(headers.get("Content-Length", "0") or 0) > limit
            t.judge("oversized_malformed", a, r, refuse=declared)
        # Anonymous big bodies: refused before they are read.
        r = client.request(
            route.method, path, content=b"x" * 70_000, headers={"Content-Type": "application/octet-stream"}
        )
        t.judge("oversized_malformed", None, r, refuse=True)


def huge_integers(client: TestClient, all_routes: list[Route], w: World, t: Tally) -> None:
    a = w.actor("government", 1, Role.admin)
    for route in all_routes:
        int_names = {
            n for n, ann in harness.query_fields(route) if ann is int or int in getattr(ann, "__args__", ())
        }
        path_ints = {p for p in route.params if p.endswith("_id")}
        for value in HUGE:
            for name in path_ints:
                path = fill(route, _values(w, a) | {name: value})
                r = client.request(route.method, path, headers=a.headers, **example_request(route))
                t.judge("huge_integers", a, r, refuse=True, note=f"{name}={value}")
            for name in int_names:
                r = client.request(
                    route.method, fill(route, _values(w, a)), params={name: value}, headers=a.headers
                )
                t.judge("huge_integers", a, r, refuse=True, note=f"{name}={value}")
            fields = harness.int_body_fields(route)
            if fields and route.method not in harness.SAFE:
                kw = example_request(route)
                body = dict(kw.get("json") or {})
                for name in fields:
                    r = client.request(
                        route.method,
                        fill(route, _values(w, a)),
                        headers=a.headers,
                        json={**body, name: int(value)},
                    )
                    t.judge("huge_integers", a, r, refuse=False, note=f"body {name}={value}")


def exact_visibility(client: TestClient, w: World, t: Tally) -> None:
    """What each party sees is exactly what it may: containers, journeys, quarantine, release rights."""
    number_of = {v: k for k, v in w.containers.items()}
    for a in w.all_actors():
        r = client.get("/api/v1/containers", params={"limit": 500}, headers=a.headers)
        seen = {number_of.get(c["number"], c["number"]) for c in r.json()["items"]}
        t.check("exact_visibility", seen == w.visible_containers(a), f"{a.name} lists {seen}")
        for label, number in w.containers.items():
            r = client.get(f"/api/v1/containers/{number}/journey", headers=a.headers)
            if label in w.visible_containers(a):
                shown = {e["event_id"][5:] for e in r.json()["events"]}
                expected = {e for e in w.visible_events(a) if e.startswith(f"{label}-")}
                t.check("exact_visibility", shown == expected, f"{a.name} journey {label}: {shown}")
                t.check(
                    "exact_visibility",
                    bool(r.json()["declarations"]) == a.principal.can("declarations:read"),
                    f"{a.name} journey {label} declarations",
                )
            else:
                t.judge("exact_visibility", a, r, refuse=True)
            r = client.get(f"/api/v1/release/containers/{number}", headers=a.headers)
            rights = {
                f"R-{lab}" for lab in "AB" if w.ids.get(f"right:R-{lab}") in {x["id"] for x in r.json()}
            }
            expected_rights = {x for x in w.visible_rights(a) if x.endswith(label)}
            t.check("exact_visibility", rights == expected_rights, f"{a.name} rights of {label}: {rights}")
        if a.principal.can("quarantine:read"):
            r = client.get("/api/v1/quarantine", params={"limit": 500}, headers=a.headers)
            ids = {x["id"] for x in r.json()["items"]}
            shown_q = {q for q in ("Q-T1", "Q-T2", "Q-GOV") if w.ids[f"quarantine:{q}"] in ids}
            t.check("exact_visibility", shown_q == w.visible_quarantine(a), f"{a.name} quarantine {shown_q}")
        r = client.get("/api/v1/overview", headers=a.headers)
        events = sum(h["events"] for h in r.json()["hubs"])
        t.check("exact_visibility", events == len(w.visible_events(a)), f"{a.name} overview counts {events}")


def write_scope(client: TestClient, w: World, t: Tally, session: Session) -> None:
    """Writes only for the writer's own facility and objects; and a write never opens what it may not read."""

    def event(number: str, code: str, facility: str, carrier: str, marker: str) -> dict[str, Any]:
        return {
            "eventID": marker,
            "eventType": "EQUIPMENT",
            "eventClassifierCode": "ACT",
            "equipmentEventTypeCode": code,
            "eventDateTime": "2026-09-18T10:00:00Z",
            "eventCreatedDateTime": "2026-09-18T10:00:01Z",
            "equipmentReference": number,
            "emptyIndicatorCode": "LADEN",
            "eventLocation": {
                "UNLocationCode": "NLRTM",
                "facilityCode": facility,
                "facilityCodeListProvider": "SMDG",
            },
            "transportCall": {
                "transportCallID": "zq-call",
                "UNLocationCode": "NLRTM",
                "facilityTypeCode": "POTE",
                "modeOfTransport": "VESSEL",
                "vessel": {"vesselIMONumber": "9321483", "vesselOperatorCarrierCode": carrier},
            },
        }

    def stored(marker: str) -> bool:
        found = session.scalar(select(func.count()).where(ContainerEvent.event_id == marker)) == 1
        session.rollback()  # end the read: SQLite's transactions hold the write lock the app needs
        return found

    forged = [
        # who, the event, must it be refused
        (w.actor("terminal", 1, Role.officer), ("B", "GTOT", "APMII", "MAEU"), True),
        (w.actor("terminal", 1, Role.analyst), ("A", "GTOT", "APMII", "MSCU"), True),
        (w.actor("line", 1, Role.officer), ("B", "DISC", "APMII", "MSCU"), True),
        (w.actor("line", 1, Role.admin), ("A", "DISC", "ECTDE", "MAEU"), True),
        (w.actor("line", 2, Role.officer), ("A", "DISC", "ECTDE", "MAEU"), True),
        (w.actor("terminal", 2, Role.officer), ("A", "DISC", "ECTDE", "MSCU"), True),
        # At its own facility a terminal may report any box (a first sighting): stored, but it opens nothing.
        (w.actor("terminal", 1, Role.officer), ("B", "GTIN", "ECTDE", "MAEU"), False),
    ]
    for i, (a, (label, code, facility, carrier), refuse) in enumerate(forged):
        marker = f"ZQFORGED-{i}-{label}"
        session.commit()
        r = client.post(
            "/api/v1/events",
            headers=a.headers,
            json=[event(w.containers[label], code, facility, carrier, marker)],
        )
        session.expire_all()
        ok = r.status_code < 500 and (stored(marker) != refuse)
        t.check(
            "write_scope", ok, f"{a.name} event {code} for {label} at {facility}: stored={stored(marker)}"
        )
        if not refuse:
            # The terminal now sees B and its own event, but none of B's other events, declaration or right.
            w.markers.pop(w.containers[label], None)
            j = client.get(f"/api/v1/containers/{w.containers[label]}/journey", headers=a.headers)
            shown = {e["event_id"] for e in j.json().get("events", [])} if j.status_code == 200 else set()
            t.check("write_scope", shown == {marker}, f"{a.name} fake event opened {shown}")
            t.judge("write_scope", a, j, refuse=False)
            w.markers[w.containers[label]] = f"container:{label}"
    # Release rights: a line issues for the boxes it carries only; others never.
    for a, label in (
        (w.actor("line", 1, Role.officer), "B"),
        (w.actor("line", 2, Role.admin), "A"),
        (w.actor("line", 1, Role.officer), "C"),
        (w.actor("terminal", 1, Role.admin), "A"),
        (w.actor("forwarder", 1, Role.officer), "A"),
    ):
        r = client.post(
            "/api/v1/release/rights",
            headers=a.headers,
            json={
                "container_number": w.containers[label],
                "facility_code": "ECTDE",
                "release_party": "ZQFWD-1",
            },
        )
        t.judge("write_scope", a, r, refuse=True, note=f"issue right for {label}")
    # The gate: a terminal asks only for its own facility.
    r = client.post(
        "/api/v1/gate/check",
        headers=w.actor("terminal", 2, Role.officer).headers,
        json={
            "container_number": w.containers["A"],
            "carrier_id": "ZQHAUL-1",
            "driver_id": "ZQDRV-A",
            "token": "x.y.z",
        },
    )
    t.check(
        "write_scope", r.status_code == 200 and not r.json()["allowed"], f"gate of another terminal: {r.text}"
    )


# -- the suite ----------------------------------------------------------------------------------------------


def test_attack_suite(attack: Any, capsys: pytest.CaptureFixture[str]) -> None:
    app, client, w, t, session = attack
    all_routes = routes(app)
    assert len(all_routes) > 100  # the whole app, read from its route table
    t.timed("visibility", exact_visibility, client, w, t)
    t.timed("service", service_layer, w, t, session)
    t.timed("no_credentials", no_credentials, client, all_routes, w, t)
    t.timed("matrix", authorisation_matrix, client, all_routes, w, t)
    t.timed("escalation", escalation, client, w, t)
    t.timed("csrf", csrf, client, all_routes, w, t)
    t.timed("sqli", sql_injection, client, all_routes, w, t)
    t.timed("huge", huge_integers, client, all_routes, w, t)
    t.timed("bodies", bodies, client, all_routes, w, t)
    t.timed("write_scope", write_scope, client, w, t, session)
    t.timed("xss", stored_xss, client, all_routes, w, t, session)
    t.timed("replay", replay, client, all_routes, w, t, session)
    report = t.report()
    with capsys.disabled():
        print(f"\nattack suite ({session.get_bind().dialect.name}, {len(all_routes)} routes):\n{report}")
    shown = sorted(set(t.successes), key=lambda x: x.split("]")[0])
    by_category: dict[str, list[str]] = {}
    for line in shown:
        by_category.setdefault(line.split("]")[0], []).append(line)
    sample = [x for lines in by_category.values() for x in lines[:8]]
    assert not t.successes, f"{len(t.successes)} attacks succeeded:\n" + "\n".join(sample)
    assert sum(t.attempts.values()) > 10_000
    assert identity  # the service under attack


def service_layer(w: World, t: Tally, session: Session) -> None:
    """The same need-to-know straight at the services, for every actor and every object (cheap, so all of
    them): reads, writes, and user and token management across organisations."""
    for a in w.all_actors():
        _services_for(w, t, session, a)
        session.rollback()  # every attempt ran in a savepoint; hold nothing open for the HTTP requests


def _services_for(w: World, t: Tally, session: Session, a: Actor) -> None:
    from mainport.cases import service as cases
    from mainport.custody import release
    from mainport.custody import service as custody
    from mainport.identity import totp
    from mainport.imaging import service as imaging
    from mainport.ingest import service as ingest
    from mainport.shipments import service as shipments

    p = a.principal
    gov = a.kind == "government"
    for label, number in w.containers.items():
        visible = label in w.visible_containers(a)
        j = t.service(
            "service_reads",
            a,
            session,
            lambda n=number: shipments.container_journey(session=session, actor=p, number=n),
            refuse=not visible,
            what=f"journey {label}",
        )
        if j is not None:
            shown = {e.event_id[5:] for e in j.events}
            expected = {e for e in w.visible_events(a) if e.startswith(f"{label}-")}
            t.check("service_reads", shown == expected, f"{a.name} journey {label} shows {shown}")
        t.service(
            "service_reads",
            a,
            session,
            lambda n=number: custody.plans_for_container(session=session, actor=p, container_number=n),
            refuse=False,
            what=f"custody of {label}",
            shaped="reason:",
        )
        t.service(
            "service_reads",
            a,
            session,
            lambda n=number: release.lookup_rights(session=session, actor=p, container_number=n),
            refuse=False,
            what=f"rights of {label}",
        )
        t.service(
            "service_reads",
            a,
            session,
            lambda n=number: shipments.search_containers(session=session, actor=p, q=n[:4]),
            refuse=False,
            what=f"search {number[:4]}",
        )
        t.service(
            "service_reads",
            a,
            session,
            lambda n=number: imaging.container_scans(session=session, actor=p, container_number=n),
            refuse=not p.can("imaging:read"),
            what=f"scans of {label}",
        )
        t.service(
            "service_reads",
            a,
            session,
            lambda i=w.ids[f"declaration:{label}"]: shipments.get_declaration(
                session=session, actor=p, declaration_id=i
            ),
            refuse=not p.can("declarations:read"),
            what=f"declaration of {label}",
        )
        t.service(
            "service_writes",
            a,
            session,
            lambda n=number: release.issue_right(
                session=session,
                actor=p,
                container_number=n,
                facility_code="ECTDE",
                release_party="ZQFWD-1",
            ),
            refuse=not (
                a.kind == "line"
                and label in w.visible_containers(a)
                and label != "C"
                and a.role != Role.viewer
            ),
            what=f"issue a right for {label}",
        )
    for plan in ("P-A", "P-D"):
        pid = w.ids[f"plan:{plan}"]
        seen = plan in w.visible_plans(a)
        for name, fn in (
            ("plan", lambda i=pid: custody.get_plan(session=session, actor=p, plan_id=i)),
            ("verify", lambda i=pid: custody.verify_plan(session=session, actor=p, plan_id=i)),
        ):
            t.service(
                "service_reads", a, session, fn, refuse=not seen, what=f"{name} {plan}", shaped="reason:"
            )
        t.service(
            "service_writes",
            a,
            session,
            lambda i=pid: custody.record_step(
                session=session, actor=p, plan_id=i, step="moved", location="X"
            ),
            refuse=not (seen and p.can("custody:write")),
            what=f"step on {plan}",
        )
    for facility in ("ECTDE", "APMII"):
        own = gov or (a.kind == "terminal" and ORGS[(a.kind, a.org_no)].get("facility") == facility)
        t.service(
            "service_reads",
            a,
            session,
            lambda f=facility: custody.board(session=session, actor=p, facility_code=f),
            refuse=not own,
            what=f"board {facility}",
        )
    for right in ("R-A", "R-B"):
        rid = w.ids[f"right:{right}"]
        t.service(
            "service_writes",
            a,
            session,
            lambda i=rid: release.nominate(session=session, actor=p, right_id=i, nominee="ZQHAUL-2"),
            refuse=True,  # the chain is complete (a driver is named): nobody nominates again
            what=f"nominate on {right}",
        )
        issuer = a.kind == "line" and right.endswith("AB"[a.org_no - 1])
        t.service(
            "service_writes",
            a,
            session,
            lambda i=rid: release.revoke_right(session=session, actor=p, right_id=i, reason="zq"),
            refuse=not ((gov or issuer) and p.can("custody:write")),
            what=f"revoke {right}",
        )
    for q in ("Q-T1", "Q-T2", "Q-GOV"):
        qid = w.ids[f"quarantine:{q}"]
        seen = q in w.visible_quarantine(a)
        t.service(
            "service_reads",
            a,
            session,
            lambda i=qid: ingest.get_quarantined(session=session, actor=p, record_id=i),
            refuse=not seen,
            what=f"quarantined {q}",
        )
        t.service(
            "service_writes",
            a,
            session,
            lambda i=qid: ingest.discard_quarantined(session=session, actor=p, record_id=i),
            refuse=not seen,
            what=f"discard {q}",
        )
    for name, fn, allowed in (
        (
            "alert",
            lambda: cases.get_alert(session=session, actor=p, alert_id=w.ids["alert:1"]),
            "intel:read",
        ),
        ("case", lambda: cases.get_case(session=session, actor=p, case_id=w.ids["case:1"]), "intel:read"),
        (
            "scan",
            lambda: imaging.get_scan(session=session, actor=p, scan_id=w.ids["scan:1"]),
            "imaging:read",
        ),
        ("alerts", lambda: cases.list_alerts(session=session, actor=p), "intel:read"),
        (
            "quarantine list",
            lambda: ingest.list_quarantine(session=session, actor=p, limit=500),
            "quarantine:read",
        ),
        ("overview", lambda: shipments.overview(session=session, actor=p), "overview:read"),
    ):
        t.service("service_reads", a, session, fn, refuse=not p.can(allowed), what=name)
    if a.org_no != 1:
        return  # management is tried by organisation 1 of each kind in each role, on everyone
    # User and token management across organisations: every other user, every action.
    own_org = a.principal.org_id
    for username, uid in w.users.items():
        if username == a.name:
            continue
        other = w.actor_by_name(username)
        manages = a.role == Role.admin and other.principal.org_id == own_org
        for what, fn in (
            (
                "reset",
                lambda i=uid: identity.reset_password(
                    session=session, actor=p, user_id=i, new="zq long password 1"
                ),
            ),
            (
                "deactivate",
                lambda i=uid: identity.set_active(session=session, actor=p, user_id=i, active=False),
            ),
            (
                "role",
                lambda i=uid: identity.set_role(session=session, actor=p, user_id=i, role=Role.admin),
            ),
            ("lock", lambda i=uid: identity.lock_user(session=session, actor=p, user_id=i, hours=1)),
            (
                "revoke token",
                lambda i=w.ids[f"token:{username}"]: identity.revoke_token(
                    session=session, actor=p, token_id=i
                ),
            ),
            ("tokens", lambda u=username: identity.list_tokens(session=session, actor=p, username=u)),
        ):
            # the last admin of an organisation cannot be removed: refused even for its own admins
            last_admin = other.role == Role.admin and what in ("deactivate", "role", "lock")
            t.service(
                "service_user_management",
                a,
                session,
                fn,
                refuse=not manages or last_admin,
                what=f"{what} {username}",
            )
        t.service(
            "service_user_management",
            a,
            session,
            lambda u=uid: totp.disable(
                session=session,
                actor=p,
                user=session.get(User, u),  # type: ignore[arg-type]
            ),
            refuse=not manages,
            what=f"second factor of {username}",
        )
