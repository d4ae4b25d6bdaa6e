"""Form fields that pages read the same way: a date and time typed by a person (naive means UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

from mainport.errors import ValidationFailed


def moment(value: str, what: str) -> datetime | None:
    """'' -> None; '2026-03-02T08:00' -> that time in UTC; anything else is one line naming the field."""
    text = value.strip()
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"{what}: {text!r} is not a date and time (YYYY-MM-DDTHH:MM)") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)
