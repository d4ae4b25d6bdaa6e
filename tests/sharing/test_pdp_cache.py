"""The decision point's cache: a change of agreement is decided at once in this process, an uncommitted one
is never seen by another session, and a rolled-back one is forgotten."""

from __future__ import annotations

from typing import Any

from mainport.database import session_scope
from mainport.identity import service as identity
from mainport.identity.models import OrgKind
from mainport.identity.principal import system_principal
from mainport.sharing import pdp, service


def _grant(session: Any) -> None:
    service.create_agreement(
        session=session,
        actor=system_principal(),
        category_code="events",
        actions=["read"],
        purpose_code="port_security",
        legal_basis_code="ISPS",
        partner_org="GEM-RTM",
        conditions=["own_hub"],
    )


def test_the_cache_never_shows_what_is_not_committed(fresh_db: Any) -> None:
    factory = fresh_db.factory
    with session_scope(factory) as s:
        service.seed_defaults(session=s)
        identity.get_or_create_organisation(
            session=s, code="GEM-RTM", name="Gemeente", kind=OrgKind.municipality, node_code="rotterdam"
        )
    with factory() as reader:
        assert pdp.grants_for(reader, "GEM-RTM", "municipality").scopes("events", "read") is None
        reader.rollback()
    writer = factory()
    _grant(writer)  # flushed, not committed
    assert pdp.grants_for(writer, "GEM-RTM", "municipality").scopes("events", "read") == {"own_hub"}
    if fresh_db.backend == "postgresql":  # SQLite's writer holds the database: no reader meanwhile
        with factory() as reader:
            assert pdp.grants_for(reader, "GEM-RTM", "municipality").scopes("events", "read") is None
            reader.rollback()
    writer.rollback()  # gone: nobody sees it
    writer.close()
    with factory() as reader:
        assert pdp.grants_for(reader, "GEM-RTM", "municipality").scopes("events", "read") is None
        reader.rollback()
    with session_scope(factory) as s:
        _grant(s)
    with factory() as reader:  # committed: decided at once, without waiting for the cache to age
        assert pdp.grants_for(reader, "GEM-RTM", "municipality").scopes("events", "read") == {"own_hub"}
        reader.rollback()
