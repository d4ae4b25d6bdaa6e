"""Intelligence-led selection, pure: which declarations a watch-list entry or a tip points at.

A watch-list entry names one thing (kind, value): a ``party`` (EORI, as consignor, consignee, notify party
or declarant), a ``container`` (ISO 6346 number), a ``vessel`` (IMO number) or a ``route``
``FROM>TO`` or ``FROM>VIA>TO``, each part a UN/LOCODE (``ECGYE``), a country (``EC``) or ``*``: FROM is the
place of loading, VIA a country passed, TO the place of discharge or delivery. An entry in force raises the
score of what it matches (noisy-or of its weight) and says why in the reasons.

A tip names criteria (container, vessel, party, place of loading, HS code prefix; all given must match) and a
window: a matching declaration filed in the window is selected whatever its score.

Input: declarations with ``declaration_id, filed_at, hub, consignor_eori, consignee_eori, notify_eori,
declarant_eori, container_number, vessel_imo, place_of_loading, place_of_discharge, place_of_delivery,
countries_of_routing, hs_code``; entries and tips as objects with the model's attributes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import pandas as pd

from mainport.errors import ValidationFailed
from mainport.reference.containers import is_valid_container_number
from mainport.reference.vessels import is_valid_imo, normalise_imo

KINDS = ("party", "container", "vessel", "route")
PARTY_COLUMNS = ("consignor_eori", "consignee_eori", "notify_eori", "declarant_eori")
_PLACE = re.compile(r"^([A-Z]{2}|[A-Z]{2}[A-Z2-9]{3}|\*)$")
_EORI = re.compile(r"^[A-Z]{2}[0-9A-Z]{1,15}$")


class EntryLike(Protocol):
    id: int
    kind: str
    value: str
    owner: str
    reason: str
    source: str
    weight: float
    hub: str | None
    valid_from: datetime
    valid_to: datetime | None


class TipLike(Protocol):
    id: int
    reference: str
    source: str
    summary: str
    hub: str | None
    container_number: str | None
    vessel_imo: str | None
    party_eori: str | None
    place_of_loading: str | None
    hs_prefix: str | None
    window_from: datetime
    window_to: datetime


def normalise(kind: str, value: str) -> str:
    """The entry's value in its canonical form; a value that cannot be one of its kind is refused."""
    if kind not in KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
    text = str(value or "").strip().upper().replace(" ", "")
    if not text:
        raise ValidationFailed("value: required")
    if kind == "party":
        if not _EORI.match(text):
            raise ValidationFailed(f"value: {value!r} is not an EORI (two letters and up to 15 characters)")
        return text
    if kind == "container":
        if not is_valid_container_number(text):
            raise ValidationFailed(f"value: {value!r} is not an ISO 6346 container number (check digit)")
        return text
    if kind == "vessel":
        try:
            imo = normalise_imo(text)
        except ValueError as exc:
            raise ValidationFailed(f"value: {value!r} is not an IMO number ({exc})") from None
        if not is_valid_imo(imo):
            raise ValidationFailed(f"value: {value!r} is not an IMO number (7 digits with check digit)")
        return imo
    parts = text.split(">")
    if len(parts) not in (2, 3) or not all(_PLACE.match(p) for p in parts):
        raise ValidationFailed(
            f"value: route {value!r} must be FROM>TO or FROM>VIA>TO, each a UN/LOCODE, a country or *"
        )
    if all(p == "*" for p in parts):
        raise ValidationFailed("value: a route of only * would match everything")
    return ">".join(parts)


def _place_match(pattern: str, places: pd.Series) -> np.ndarray:
    if pattern == "*":
        return np.ones(len(places), dtype=bool)
    text = places.fillna("").astype(str).str.upper()
    return np.asarray((text.str[:2] == pattern) if len(pattern) == 2 else (text == pattern), dtype=bool)


def _routing_has(country: str, routing: pd.Series) -> np.ndarray:
    if country == "*":
        return np.ones(len(routing), dtype=bool)
    wanted = country[:2]
    return np.fromiter((wanted in _countries(r) for r in routing), dtype=bool, count=len(routing))


def _countries(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        return [c for c in re.split(r"[|,;\s]+", value.upper()) if c]
    return [str(c).upper() for c in value]


def entry_mask(entry: EntryLike, decls: pd.DataFrame) -> np.ndarray:
    """Rows of ``decls`` the entry points at (its hub and validity aside)."""
    n = len(decls)
    value = entry.value
    if entry.kind == "party":
        mask = np.zeros(n, dtype=bool)
        for col in PARTY_COLUMNS:
            if col in decls:
                mask = mask | (decls[col].fillna("").astype(str).str.upper().to_numpy() == value)
        return mask
    if entry.kind == "container":
        return decls["container_number"].fillna("").astype(str).str.upper().to_numpy() == value
    if entry.kind == "vessel":
        return decls["vessel_imo"].fillna("").astype(str).to_numpy() == value
    parts = value.split(">")
    src, dst = parts[0], parts[-1]
    mask = _place_match(src, decls["place_of_loading"])
    to = _place_match(dst, decls["place_of_discharge"]) | _place_match(dst, decls["place_of_delivery"])
    mask = mask & to
    if len(parts) == 3:
        mask = mask & (_routing_has(parts[1], decls["countries_of_routing"]))
    return mask


def _in_force(valid_from: datetime, valid_to: datetime | None, at: pd.Series) -> np.ndarray:
    t = pd.to_datetime(at, utc=True)
    ok = (t >= pd.Timestamp(valid_from)).to_numpy()
    if valid_to is not None:
        ok = ok & ((t <= pd.Timestamp(valid_to)).to_numpy())
    return np.asarray(ok, dtype=bool)


def _hub_ok(hub: str | None, decls: pd.DataFrame) -> np.ndarray:
    if not hub:
        return np.ones(len(decls), dtype=bool)
    return np.asarray(decls["hub"].fillna("").astype(str).to_numpy() == hub, dtype=bool)


def describe_entry(entry: EntryLike) -> str:
    until = f"until {entry.valid_to.date()}" if entry.valid_to else "no end date"
    return (
        f"watch list: {entry.kind} {entry.value} ({entry.reason}; source {entry.source}; "
        f"owner {entry.owner}; {until})"
    )


def describe_tip(tip: TipLike) -> str:
    return (
        f"tip {tip.reference} from {tip.source}: {tip.summary} (window {tip.window_from:%Y-%m-%d %H:%M} to "
        f"{tip.window_to:%Y-%m-%d %H:%M} UTC)"
    )


def watch_hits(
    decls: pd.DataFrame, entries: Iterable[EntryLike], *, moment: datetime | pd.Series | None = None
) -> tuple[np.ndarray, list[list[str]], list[list[int]]]:
    """Per declaration: the watch-list score (noisy-or of the weights of the entries in force that match,
    0 when none), the reasons in words and the entry ids. ``moment``: when the entries must be in force
    (default: each declaration's filing)."""
    n = len(decls)
    miss = np.ones(n)
    reasons: list[list[str]] = [[] for _ in range(n)]
    ids: list[list[int]] = [[] for _ in range(n)]
    at = (
        decls["filed_at"]
        if moment is None
        else pd.Series([moment] * n)
        if isinstance(moment, datetime)
        else moment
    )
    for entry in entries:
        mask = (
            entry_mask(entry, decls)
            & _in_force(entry.valid_from, entry.valid_to, at)
            & _hub_ok(entry.hub, decls)
        )
        if not mask.any():
            continue
        miss[mask] *= 1.0 - float(entry.weight)
        text = describe_entry(entry)
        for i in np.flatnonzero(mask):
            reasons[i].append(text)
            ids[i].append(int(entry.id))
    return 1.0 - miss, reasons, ids


def tip_mask(tip: TipLike, decls: pd.DataFrame) -> np.ndarray:
    """Rows matching every criterion of the tip, filed within its window, at its hub (if it names one)."""
    n = len(decls)
    mask = _in_force(tip.window_from, tip.window_to, decls["filed_at"]) & _hub_ok(tip.hub, decls)
    given = False
    if tip.container_number:
        given = True
        mask = mask & (
            decls["container_number"].fillna("").astype(str).str.upper().to_numpy() == tip.container_number
        )
    if tip.vessel_imo:
        given = True
        mask = mask & (decls["vessel_imo"].fillna("").astype(str).to_numpy() == tip.vessel_imo)
    if tip.party_eori:
        given = True
        party = np.zeros(n, dtype=bool)
        for col in PARTY_COLUMNS:
            if col in decls:
                party = party | (decls[col].fillna("").astype(str).str.upper().to_numpy() == tip.party_eori)
        mask = mask & party
    if tip.place_of_loading:
        given = True
        mask = mask & (_place_match(tip.place_of_loading, decls["place_of_loading"]))
    if tip.hs_prefix:
        given = True
        mask = mask & (decls["hs_code"].fillna("").astype(str).str.startswith(tip.hs_prefix).to_numpy())
    return mask if given else np.zeros(n, dtype=bool)


def tip_hits(
    decls: pd.DataFrame, tips: Sequence[TipLike]
) -> tuple[np.ndarray, list[list[str]], list[list[int]]]:
    """Per declaration: forced (a tip matches), the tips' words and ids."""
    n = len(decls)
    forced = np.zeros(n, dtype=bool)
    reasons: list[list[str]] = [[] for _ in range(n)]
    ids: list[list[int]] = [[] for _ in range(n)]
    for tip in tips:
        mask = tip_mask(tip, decls)
        forced = forced | mask
        text = describe_tip(tip)
        for i in np.flatnonzero(mask):
            reasons[i].append(text)
            ids[i].append(int(tip.id))
    return forced, reasons, ids
