"""The allowed transitions of alerts and cases: one table each, checked before every change."""

from __future__ import annotations

from mainport.errors import Conflict

ALERT_TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"triaged", "linked", "dismissed"}),
    "triaged": frozenset({"linked", "dismissed"}),
    "linked": frozenset({"closed"}),
    "dismissed": frozenset(),
    "closed": frozenset(),
}

CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"investigating", "decided", "closed"}),
    "investigating": frozenset({"decided", "closed"}),
    "decided": frozenset({"closed"}),
    "closed": frozenset(),
}

# An alert in one of these states still collects repeats of the same signal (deduplication window).
OPEN_ALERT_STATES = frozenset({"new", "triaged", "linked"})
# A case still accepts new alerts in these states.
OPEN_CASE_STATES = frozenset({"open", "investigating", "decided"})


def check(table: dict[str, frozenset[str]], what: str, current: str, target: str) -> None:
    """Raise Conflict unless ``current -> target`` is in the table."""
    if target not in table.get(current, frozenset()):
        allowed = ", ".join(sorted(table.get(current, frozenset()))) or "none"
        raise Conflict(f"{what} cannot go from {current!r} to {target!r} (allowed: {allowed})")


def check_alert(current: str, target: str) -> None:
    check(ALERT_TRANSITIONS, "alert", current, target)


def check_case(current: str, target: str) -> None:
    check(CASE_TRANSITIONS, "case", current, target)
