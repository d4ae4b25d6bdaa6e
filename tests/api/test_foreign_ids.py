"""A write naming a record that does not exist answers 404 naming it (never a 409 from the database's
foreign key, never a 500), on both databases."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mainport.cases import service as cases
from mainport.cases.models import Alert
from mainport.database.core import missing_reference
from mainport.identity.models import Organisation, OrgKind, Role

BOX = "MSCU1234565"
BOGUS = 987_654_321

WRITES = [
    ("/api/v1/alerts", {"kind": "manual.tip", "title": "t", "declaration_id": BOGUS}, "declaration"),
    ("/api/v1/cases", {"alert_ids": [BOGUS], "title": "t"}, "alert"),
    ("/api/v1/cases/{case}/alerts", {"alert_id": BOGUS}, "alert"),
    (f"/api/v1/cases/{BOGUS}/outcome", {"result": "not_found"}, "case"),
    (f"/api/v1/targeting/declarations/{BOGUS}/outcome", {"result": "not_found"}, "declaration"),
    (f"/api/v1/quarantine/{BOGUS}/retry", {}, "quarantined record"),
    (f"/api/v1/custody/plans/{BOGUS}/steps", {"step": "released"}, "plan"),
    (
        "/api/v1/custody/plans",
        {"container_number": BOX, "facility_code": "ECTDE", "declaration_id": BOGUS},
        "declaration",
    ),
]


@pytest.mark.parametrize(("path", "body", "what"), WRITES)
def test_bogus_foreign_id_is_404_naming_it(
    session: Session, app_client: TestClient, principal_factory, token_for, path, body, what
) -> None:
    admin = principal_factory(role=Role.admin)
    if "{case}" in path:  # a case that exists, linked to an alert that does not
        alert = cases.raise_alert(session=session, actor=admin, source="manual", kind="k", title="t")
        case = cases.open_case(session=session, actor=admin, alert_ids=[alert.id], title="t")
        path = path.format(case=case.id)
    r = app_client.post(path, json=body, headers=token_for(admin))
    assert r.status_code == 404, r.text
    assert what in r.json()["error"]["message"] and str(BOGUS) in r.json()["error"]["message"]


def test_a_foreign_key_refusal_that_reaches_the_handler_is_422_naming_it(
    session: Session, app_client: TestClient, principal_factory, token_for
) -> None:
    """The net under the services' checks: the database's own foreign-key refusal is the request's mistake
    (422, naming the column and value where the database says them), not a 409 conflict."""
    with pytest.raises(IntegrityError) as caught, session.begin_nested():
        session.add(Alert(source="manual", kind="k", title="t", dedup_key="k", declaration_id=BOGUS))
        session.flush()
    named = missing_reference(caught.value)
    if session.get_bind().dialect.name == "postgresql":
        assert named == f"declaration_id {BOGUS} (no such declaration)"
    else:
        assert named == "a referenced record"  # SQLite does not say which
    app = app_client.app
    assert isinstance(app, FastAPI)

    @app.get("/api/v1/_probe_fk")
    def _probe() -> None:
        raise caught.value

    r = app_client.get("/api/v1/_probe_fk", headers=token_for(principal_factory()))
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed"
    assert named in r.json()["error"]["message"]


def test_other_integrity_errors_are_not_missing_references(session: Session) -> None:
    with pytest.raises(IntegrityError) as caught, session.begin_nested():
        session.add_all(
            [
                Organisation(code="DUP", name="a", kind=OrgKind.customs),
                Organisation(code="DUP", name="b", kind=OrgKind.customs),
            ]
        )
        session.flush()
    assert missing_reference(caught.value) is None
