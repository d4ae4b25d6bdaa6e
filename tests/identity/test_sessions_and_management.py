"""Server-side sessions end on the next request; user management; password policy; TOTP; the request guard."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from mainport.config import DEV_SECRET, Settings
from mainport.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mainport.identity import service, totp
from mainport.identity.models import OrgKind, Role
from mainport.identity.passwords import check_policy
from tests.conftest import PASSWORD, FreshDatabase, PrincipalFactory


def _login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    html = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get("/account").text).group(1)  # type: ignore[union-attr]


def test_logout_ends_the_session_on_the_next_request(
    app_client: TestClient, principal_factory: PrincipalFactory
) -> None:
    principal_factory(Role.analyst, username="lena")
    csrf = _login(app_client, "lena")
    kept = dict(app_client.cookies)
    assert app_client.get("/api/v1/me").status_code == 200
    app_client.post("/logout", data={"csrf_token": csrf})
    # The old cookie, replayed: refused (it names a session the server has ended).
    app_client.cookies.clear()
    for k, v in kept.items():
        app_client.cookies.set(k, v)
    assert app_client.get("/api/v1/me").status_code == 401
    assert app_client.get("/", headers={"accept": "text/html"}, follow_redirects=False).status_code == 303


@pytest.mark.parametrize("action", ["deactivate", "lock", "role", "password"])
def test_admin_actions_end_sessions_and_tokens_at_once(
    action: str,
    app_client: TestClient,
    session: Session,
    principal_factory: PrincipalFactory,
    token_for: object,
) -> None:
    admin = principal_factory(Role.admin, org_code="DOUANE-X")
    victim = principal_factory(Role.analyst, org_code="DOUANE-X", username="vic")
    token = token_for(victim)  # type: ignore[operator]
    _login(app_client, "vic")
    assert app_client.get("/api/v1/me").status_code == 200
    body = {
        "lock": {"hours": 1},
        "role": {"role": "viewer"},
        "password": {"password": "a new long passphrase"},
    }
    r = app_client.post(
        f"/api/v1/users/{victim.user_id}/{action}",
        json=body.get(action),
        headers=token_for(admin),  # type: ignore[operator]
    )
    assert r.status_code == 200, r.text
    assert app_client.get("/api/v1/me").status_code == 401  # the browser session: ended
    me = app_client.get("/api/v1/me", headers=token)
    if action in ("deactivate", "lock"):
        assert me.status_code == 401  # tokens of a deactivated or locked user stop working
    else:
        assert me.status_code == 200 and me.json()["role"] == ("viewer" if action == "role" else "analyst")


def test_password_change_keeps_this_session_and_ends_the_others(
    app_client: TestClient, principal_factory: PrincipalFactory, session: Session
) -> None:
    principal_factory(Role.viewer, username="max")
    other = TestClient(app_client.app)
    _login(other, "max")
    csrf = _login(app_client, "max")
    r = app_client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "a different passphrase", "repeat": "a different passphrase"},
        headers={"X-CSRF-Token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert app_client.get("/api/v1/me").status_code == 200
    assert other.get("/api/v1/me").status_code == 401
    # The new password works, the old one not.
    fresh = TestClient(app_client.app)
    _login(fresh, "max", "a different passphrase")


def test_password_policy_says_what_to_do() -> None:
    for bad, says in (
        ("short", "at least 12 characters (got 5)"),
        ("x" * 300, "at most 256"),
        ("aaaaaaaaaaaa", "too easy"),
        ("my name is bob really", "user name"),
        ("            ", "only spaces"),
    ):
        with pytest.raises(ValidationFailed, match=re.escape(says)):
            check_policy(bad, username="bob")
    check_policy("correct horse battery staple", username="bob")


def test_admins_manage_their_own_organisation_only(
    session: Session, principal_factory: PrincipalFactory
) -> None:
    admin = principal_factory(Role.admin, org_code="TERM-A", kind=OrgKind.terminal, facility_code="ECTDE")
    mine = principal_factory(Role.officer, org_code="TERM-A")
    theirs = principal_factory(Role.officer, org_code="DOUANE-Y")
    analyst = principal_factory(Role.analyst, org_code="TERM-A")
    assert service.set_role(session=session, actor=admin, user_id=mine.user_id, role=Role.analyst)
    with pytest.raises(NotFound):  # another organisation's users do not exist for this admin
        service.set_active(session=session, actor=admin, user_id=theirs.user_id, active=False)
    with pytest.raises(PermissionDenied):
        service.set_role(session=session, actor=analyst, user_id=analyst.user_id, role=Role.admin)
    with pytest.raises(Conflict, match="last active admin"):
        service.set_active(session=session, actor=admin, user_id=admin.user_id, active=False)
    with pytest.raises(PermissionDenied):  # tokens only for oneself
        user = service.get_user(session=session, user_id=mine.user_id)
        service.create_token(session=session, actor=admin, user=user, name="impersonate")
    assert [u.username for u in service.list_users(session=session, actor=admin)] == sorted(
        [admin.username, mine.username, analyst.username]
    )


def test_second_factor_for_government_users(
    app_client: TestClient, session: Session, principal_factory: PrincipalFactory
) -> None:
    p = principal_factory(Role.analyst, username="tina")
    secret, uri = totp.begin(session=session, actor=p)
    assert uri.startswith("otpauth://totp/") and "issuer=mainport" in uri
    code = pyotp.TOTP(secret).now()
    totp.confirm(session=session, actor=p, code=code)
    session.commit()
    # Password alone: a pending session that grants nothing.
    html = app_client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    r = app_client.post(
        "/login", data={"username": "tina", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert r.headers["location"] == "/login/second-factor"
    assert app_client.get("/api/v1/me").status_code == 401
    token = re.search(  # type: ignore[union-attr]
        r'name="csrf_token" value="([^"]+)"', app_client.get("/login/second-factor").text
    ).group(1)
    bad = app_client.post("/login/second-factor", data={"code": "000000", "csrf_token": token})
    assert bad.status_code == 401
    # The code already used at enrolment does not count twice; the next one does.
    step = int(time.time() // 30) + 1
    r = app_client.post(
        "/login/second-factor",
        data={"code": pyotp.TOTP(secret).at(step * 30), "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert app_client.get("/api/v1/me").json()["username"] == "tina"
    terminal = principal_factory(Role.analyst, kind=OrgKind.terminal, facility_code="ECTDE")
    with pytest.raises(PermissionDenied, match="government"):
        totp.begin(session=session, actor=terminal)


def test_cli_short_password_is_one_line_and_exit_2(configured_db: FreshDatabase) -> None:
    from mainport.cli import app
    from mainport.database import migrations
    from mainport.database.runtime import get_engine

    migrations.upgrade(engine=get_engine())
    run = CliRunner().invoke
    r = run(app, ["user", "create", "bob", "--org", "X", "--password", "short"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert [line for line in r.output.splitlines() if line.strip()] == [
        "mainport user: password too short: at least 12 characters (got 5); use a few words"
    ]
    assert (
        run(app, ["user", "create", "bob", "--org", "X", "--role", "admin", "--password", PASSWORD]).exit_code
        == 0
    )
    for args in (["user", "passwd", "bob", "--password", "another good passphrase"], ["user", "lock", "bob"]):
        assert run(app, args).exit_code == 0, args
    r = run(app, ["user", "deactivate", "nobody"])
    assert r.exit_code == 2 and "no user 'nobody'" in r.output


def test_development_makes_its_own_secret(tmp_path: Path) -> None:
    first = Settings(environment="development", data_dir=tmp_path)
    assert first.secret_key != DEV_SECRET and len(first.secret_key) >= 32
    assert Settings(environment="development", data_dir=tmp_path).secret_key == first.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_csp_docs_and_error_pages(app_client: TestClient) -> None:
    r = app_client.get("/login")
    csp = r.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp and "<script>" not in r.text
    docs = app_client.get("/api/v1/docs")
    assert docs.status_code == 200 and 'src="/api/v1/docs/assets/swagger-ui-bundle.js"' in docs.text
    bundle = app_client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
    page = app_client.get("/no-such-page", headers={"accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert 'data-testid="error-page"' in page.text
    api = app_client.get("/api/v1/no-such-route", headers={"accept": "text/html"})
    assert api.json()["error"]["code"] == "not_found"


def test_request_guard_refuses_before_reading(
    app_client: TestClient, principal_factory: PrincipalFactory
) -> None:
    r = app_client.post("/api/v1/scans", headers={"content-length": str(2**30)}, content=b"")
    assert r.status_code == 413
    r = app_client.post("/api/v1/scans", files={"file": ("a.npy", b"x" * 100_000)})
    assert r.status_code == 401  # anonymous upload: refused before the body is read
    for path in (
        "/api/v1/declarations/99999999999999999999",
        "/api/v1/declarations?offset=99999999999999999999",
    ):
        assert app_client.get(path).status_code in (401, 422)
    assert app_client.post("/api/v1/alerts", json={"severity": 2**64}).status_code == 422
