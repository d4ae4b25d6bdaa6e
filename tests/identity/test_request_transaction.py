"""The request owns the transaction: committed before the client gets its answer, rolled back on errors."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from mainport.api.deps import SessionDep, get_session
from mainport.errors import Conflict
from mainport.shipments.models import Party
from tests.conftest import FreshDatabase
from tests.shipments.factories import T0


def _app(db: FreshDatabase) -> tuple[FastAPI, object]:
    from mainport.api.errors import install_error_handlers

    factory = db.factory
    app = FastAPI()
    app.state.session_factory = factory
    install_error_handlers(app)
    router = APIRouter()

    @router.post("/ok/{eori}")
    def ok(eori: str, session: SessionDep) -> dict[str, str]:
        session.add(Party(eori=eori, name="x", country="NL", first_seen=T0))
        return {"eori": eori}

    @router.post("/fail/{eori}")
    def fail(eori: str, session: SessionDep) -> dict[str, str]:
        session.add(Party(eori=eori, name="x", country="NL", first_seen=T0))
        session.flush()
        raise Conflict("refused after a write")

    app.include_router(router)
    return app, factory


def test_commit_before_response_and_rollback_on_error(fresh_db: FreshDatabase) -> None:
    app, factory = _app(fresh_db)
    assert get_session  # the dependency under test
    with TestClient(app) as client:
        assert client.post("/ok/NL1").status_code == 200
        # Visible to a fresh session as soon as the client has its answer.
        with factory() as s:  # type: ignore[operator]
            assert s.scalar(select(func.count()).select_from(Party)) == 1
        assert client.post("/fail/NL2").status_code == 409
        with factory() as s:  # type: ignore[operator]
            assert s.scalar(select(func.count()).select_from(Party)) == 1
