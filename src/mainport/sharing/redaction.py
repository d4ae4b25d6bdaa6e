"""Field-level pseudonymisation where an agreement says so: personal fields of a response are replaced by a
keyed pseudonym (HMAC-SHA256 with the application secret), the same for the same value within a category so
that a partner can still link records, never reversible without the key."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from pydantic import BaseModel

from mainport.config import get_settings

# category -> dotted paths of the personal fields in its response models
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "declarations": ("consignor.name", "consignor.eori", "consignee.name", "consignee.eori"),
    "staff_lookups": ("username", "staff_id", "full_name"),
    "cases": ("subject_name",),
}


def pseudonym(category: str, value: str) -> str:
    key = hashlib.sha256(b"mainport-sharing:" + get_settings().secret_key.encode()).digest()
    digest = hmac.new(key, f"{category}|{value}".encode(), hashlib.sha256).hexdigest()
    return f"PSN-{digest[:16].upper()}"


def _replace(obj: BaseModel, path: list[str], category: str) -> BaseModel:
    head, rest = path[0], path[1:]
    if head not in type(obj).model_fields:
        return obj
    value: Any = getattr(obj, head)
    if rest:
        if isinstance(value, BaseModel):
            return obj.model_copy(update={head: _replace(value, rest, category)})
        return obj
    if isinstance(value, str) and value:
        return obj.model_copy(update={head: pseudonym(category, value)})
    return obj


def pseudonymise(category: str, out: BaseModel) -> BaseModel:
    """A copy of `out` with the category's personal fields pseudonymised."""
    for path in PERSONAL_FIELDS.get(category, ()):
        out = _replace(out, path.split("."), category)
    return out
