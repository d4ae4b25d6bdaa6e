"""Engine and session factories; the declarative base every domain's models derive from."""

from mainport.database.core import Base, build_engine, make_session_factory, session_scope, utcnow

__all__ = ["Base", "build_engine", "make_session_factory", "session_scope", "utcnow"]
