"""Feeds: the kinds of records other domains take in through ingest, registered by those domains.

A domain that consumes a feed declares it in its own `<domain>/feeds.py` with `register(Feed(...))`: the
check of one record (pure), who may send it, what makes two records the same, and how the valid rows are
stored (its own service). Ingest keeps the readers, the read loop, the quarantine and the reconciliation, and
finds the feeds here; the `feeds` modules are found through `mainport.domains` (like `api` and `cli`), so
ingest imports no consuming domain and adding a feed touches only its domain.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from mainport.errors import ValidationFailed
from mainport.identity.principal import Principal

Row = dict[str, Any]


@dataclass
class Stored:
    """What a feed's store made of a batch of valid rows."""

    stored: int = 0
    duplicates: int = 0
    refused: dict[int, str] = field(default_factory=dict)  # row index -> why (a check against the database)


class Store(Protocol):
    def __call__(
        self, *, session: Session, actor: Principal, rows: Sequence[Row], source: str, run_id: int | None
    ) -> Stored: ...


@dataclass(frozen=True)
class Feed:
    kind: str  # the ingest kind: `mainport ingest KIND FILE`
    record: str  # the quarantine kind of its records
    permissions: tuple[str, ...]  # all needed to send it; the first is the kind's own
    validate: Callable[..., Row]  # (record, *, now: datetime) -> row; raises checks.Invalid
    identity: Callable[[Row], Hashable]  # the same record twice in one batch
    store: Store  # the valid rows of a batch, de-duplicated within the batch
    help: str  # one line for the CLI
    containers: Callable[[Row], str | None] = lambda row: row.get("container_number")


_FEEDS: dict[str, Feed] = {}
_found = False
_lock = threading.Lock()


def register(feed: Feed) -> Feed:
    """Called by `<domain>/feeds.py` at import."""
    _FEEDS[feed.kind] = feed
    return feed


def _discover() -> None:
    global _found
    if _found:
        return
    with _lock:
        if not _found:
            from mainport.domains import domain_modules  # the list of domains, not a domain

            domain_modules("feeds", all_domains=True)
            _found = True


def feeds() -> dict[str, Feed]:
    _discover()
    return dict(_FEEDS)


def get(kind: str) -> Feed:
    found = feeds().get(kind)
    if found is None:
        raise ValidationFailed(f"unknown feed kind {kind!r}; known: {', '.join(sorted(_FEEDS))}")
    return found


def by_record(record: str) -> Feed | None:
    """The feed whose quarantined records are of kind `record` (for retries)."""
    return next((f for f in feeds().values() if f.record == record), None)
