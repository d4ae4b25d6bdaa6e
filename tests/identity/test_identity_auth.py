from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.orm import Session

from mainport.audit.models import AuditEntry
from mainport.config import Settings
from mainport.database import utcnow
from mainport.errors import Conflict, NotAuthenticated, PermissionDenied, TooManyRequests, ValidationFailed
from mainport.identity import service, sessions, throttle
from mainport.identity.models import OrgKind, Role
from tests.conftest import PASSWORD, PrincipalFactory


def _csrf(client: TestClient, path: str = "/login") -> str:
    html = client.get(path).text
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "page has no CSRF token"
    return m.group(1)


def test_secret_default_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="MAINPORT_SECRET_KEY"):
        Settings(environment="production")
    assert Settings(environment="production", secret_key="x" * 40).secure_cookies


def test_password_login_logout_and_csrf(app_client: TestClient, principal_factory: PrincipalFactory) -> None:
    p = principal_factory(Role.analyst, username="anna")
    # Wrong password: refused, no session.
    token = _csrf(app_client)
    r = app_client.post("/login", data={"username": "anna", "password": "nope", "csrf_token": token})
    assert r.status_code == 401 and "wrong password" in r.text
    # No CSRF token: refused.
    r = app_client.post("/login", data={"username": "anna", "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403
    # Right password: redirected, then pages and API work through the cookie.
    token = _csrf(app_client)
    r = app_client.post(
        "/login", data={"username": "anna", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    me = app_client.get("/api/v1/me").json()
    assert me == {
        "username": "anna",
        "role": "analyst",
        "organisation": p.org_code,
        "organisation_kind": "customs",
        "node": None,
    }
    # A cookie-authenticated write without the CSRF header is refused.
    assert app_client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    token = _csrf(app_client, "/")
    r = app_client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert app_client.get("/api/v1/me").status_code == 401


def test_session_cookie_flags(app_client: TestClient, principal_factory: PrincipalFactory) -> None:
    principal_factory(Role.analyst, username="bea")
    token = _csrf(app_client)
    r = app_client.post(
        "/login", data={"username": "bea", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_open_redirect_refused(app_client: TestClient, principal_factory: PrincipalFactory) -> None:
    principal_factory(Role.analyst, username="cas")
    token = _csrf(app_client)
    r = app_client.post(
        "/login",
        data={"username": "cas", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_bearer_tokens(app_client: TestClient, session: Session, principal_factory: PrincipalFactory) -> None:
    p = principal_factory(Role.officer)
    user = service.get_user(session=session, user_id=p.user_id)
    tok, plain = service.create_token(session=session, actor=p, user=user, name="feed")
    session.commit()
    assert plain.startswith("mpt_") and tok.token_hash != plain  # only a digest is stored
    assert app_client.get("/api/v1/me").status_code == 401
    assert app_client.get("/api/v1/me", headers={"Authorization": "Bearer mpt_guess"}).status_code == 401
    ok = app_client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
    assert ok.status_code == 200 and ok.json()["username"] == p.username
    tok.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    r = app_client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"


def test_user_admin_needs_admin_role(session: Session, principal_factory: PrincipalFactory) -> None:
    analyst = principal_factory(Role.analyst, org_code="KMAR")
    admin = principal_factory(Role.admin, org_code="KMAR")
    org = service.get_or_create_organisation(
        session=session, code="KMAR", name="KMar", kind=OrgKind.border_police
    )
    with pytest.raises(PermissionDenied):
        service.create_user(
            session=session,
            actor=analyst,
            username="x1",
            password=PASSWORD,
            role=Role.viewer,
            organisation=org,
        )
    with pytest.raises(ValidationFailed, match="at least 12 characters"):
        service.create_user(
            session=session, actor=admin, username="x1", password="short", role=Role.viewer, organisation=org
        )
    u = service.create_user(
        session=session, actor=admin, username="x1", password=PASSWORD, role=Role.viewer, organisation=org
    )
    assert u.password_hash.startswith("$argon2")
    with pytest.raises(Conflict):
        service.create_user(
            session=session, actor=admin, username="x1", password=PASSWORD, role=Role.viewer, organisation=org
        )
    with pytest.raises(NotAuthenticated):
        service.authenticate_password(session=session, username="x1", password="wrong password!")
    assert service.authenticate_password(session=session, username="x1", password=PASSWORD).id == u.id
    # An admin of another organisation may not create users here.
    other = principal_factory(Role.admin, kind=OrgKind.terminal, facility_code="ECTDE")
    with pytest.raises(PermissionDenied):
        service.create_user(
            session=session, actor=other, username="x2", password=PASSWORD, role=Role.admin, organisation=org
        )


def test_pages_redirect_to_login_without_session(app_client: TestClient) -> None:
    for path in ("/", "/declarations", "/containers", "/containers/CSQU3054383"):
        r = app_client.get(path, headers={"accept": "text/html"}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path


def test_every_api_route_requires_authentication(app_client: TestClient) -> None:
    """Walk the OpenAPI document: every route answers 401 without credentials."""
    spec = app_client.get("/api/v1/openapi.json").json()
    checked = 0
    for path, methods in spec["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        for method in methods:
            r = app_client.request(method.upper(), concrete)
            assert r.status_code == 401, f"{method.upper()} {path} answered {r.status_code} without a user"
            checked += 1
    assert checked >= 5


def test_security_headers_on_pages(app_client: TestClient) -> None:
    r = app_client.get("/login")
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-request-id"]


def test_failed_logins_are_audited_and_throttled_per_address_and_user(
    session: Session, principal_factory: PrincipalFactory
) -> None:
    principal_factory(Role.analyst, username="dirk")
    for _ in range(throttle.PER_USER_ADDRESS):
        with pytest.raises(NotAuthenticated, match="wrong password"):
            sessions.login(session=session, username="dirk", password="guess guess guess", address="10.0.0.9")
    # Even the right password is refused from that address while the throttle holds ...
    with pytest.raises(TooManyRequests, match="too many"):
        sessions.login(session=session, username="dirk", password=PASSWORD, address="10.0.0.9")
    # ... but not from another address: an attacker cannot lock a user out.
    assert sessions.login(session=session, username="dirk", password=PASSWORD, address="10.0.0.1").user
    later = utcnow() + throttle.WINDOW + timedelta(seconds=1)
    again = sessions.login(session=session, username="dirk", password=PASSWORD, address="10.0.0.9", now=later)
    assert again.user.username == "dirk"
    failed = session.query(AuditEntry).filter(AuditEntry.action == "login.failed").count()
    assert failed == throttle.PER_USER_ADDRESS
