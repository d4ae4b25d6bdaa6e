"""Engine and session factories; the declarative base every domain's models derive from."""

from mainport.database.core import (
    IN_CHUNK,
    Base,
    build_engine,
    chunks,
    make_session_factory,
    run_transaction,
    session_scope,
    utcnow,
)

__all__ = [
    "IN_CHUNK",
    "Base",
    "build_engine",
    "chunks",
    "make_session_factory",
    "run_transaction",
    "session_scope",
    "utcnow",
]
