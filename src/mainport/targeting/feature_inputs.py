"""The declarations and their history as build_features reads them: every field present, routings as lists,
HS levels, the country of a place, outcomes joined to what they are counted by, moments to count history at.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mainport.targeting.asof import utc
from mainport.targeting.history import add_hs_levels, hs_digits


def routing(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        return [c for c in value.replace(",", "|").split("|") if c]
    return [str(c) for c in value]


def routing_lists(s: pd.Series) -> pd.Series:
    """Routing countries as lists, whether given as lists or as "A|B" / "A,B" strings (vectorised)."""
    is_str = np.fromiter((isinstance(v, str) for v in s), dtype=bool, count=len(s))
    out = s.astype(object).copy()
    if is_str.any():
        split = s[is_str].astype(str).str.replace(",", "|", regex=False).str.split("|")
        out[is_str] = split.map(lambda r: [c for c in r if c])
    missing = out.isna().to_numpy() if not is_str.all() else np.zeros(len(s), dtype=bool)
    if missing.any():
        out[missing] = pd.Series([[] for _ in range(int(missing.sum()))], index=out.index[missing])
    return out


# What an inspection outcome is counted by (past inspections and hits per consignee, port of loading, ...).
OUTCOME_KEYS = ("consignee_id", "consignor_id", "carrier", "vessel_imo", "hs_heading", "place_of_loading")


def outcome_frame(history: pd.DataFrame, outcomes: pd.DataFrame | None) -> pd.DataFrame:
    if outcomes is None or outcomes.empty:
        return pd.DataFrame(columns=["declaration_id", "inspected_at", "found", *OUTCOME_KEYS])
    out = outcomes[["declaration_id", "inspected_at", "found"]].copy()
    out["inspected_at"] = utc(out["inspected_at"])
    out["found"] = out["found"].astype(float)
    return out.merge(history[["declaration_id", *OUTCOME_KEYS]], on="declaration_id", how="left")


# Declaration fields build_features reads, with the value a missing column stands for.
TEXT_FIELDS = (
    "hub",
    "mode",
    "place_of_loading",
    "place_of_discharge",
    "place_of_delivery",
    "loading_country",
    "origin_country",
    "hs_code",
    "goods_description",
    "size_type",
    "consignor_id",
    "consignee_id",
    "notify_id",
    "declarant_id",
    "carrier",
    "vessel_imo",
    "container_number",
)


NUMBER_FIELDS = ("packages", "gross_mass_kg", "amendments", "declared_value")


def complete(declarations: pd.DataFrame) -> pd.DataFrame:
    """The declarations with every field present (missing ones empty): an outside table maps onto some."""
    d = declarations.reset_index(drop=True)  # copy-on-write: the caller's frame is never changed
    for col in TEXT_FIELDS:
        if col not in d:
            d[col] = pd.Series(pd.NA, index=d.index, dtype="string")
    for col in NUMBER_FIELDS:
        if col not in d:
            d[col] = np.nan
    if "countries_of_routing" not in d:
        d["countries_of_routing"] = pd.Series(pd.NA, index=d.index, dtype="string")
    return d


def distinct(s: pd.Series, fn: Any) -> pd.Series:
    """``fn`` (a Series -> Series text function) applied to the distinct values only, mapped back."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    done = fn(pd.Series(uniq, dtype=object).astype("string")).to_numpy(dtype=object, na_value=None)
    out = np.where(codes >= 0, done[np.maximum(codes, 0)] if len(done) else None, None)
    return pd.Series(out, index=s.index, dtype="string")


def place_country(place: pd.Series, country: pd.Series) -> pd.Series:
    """The country of a place: the first two letters of its UN/LOCODE, else the country column given."""

    def iso2(text: pd.Series) -> pd.Series:
        cut = text.str.strip().str[:2].str.upper()
        return cut.where(cut.str.fullmatch(r"[A-Z]{2}").fillna(False))

    given = distinct(country, lambda t: t.str.strip().str.upper())
    return distinct(place, iso2).fillna(given)


def commodity_codes(d: pd.DataFrame) -> None:
    """HS levels (``hs2`` ... ``hs10``, history.py) from the code as given, then ``hs_code`` as the six
    digits the product's features read (a shorter code padded with zeros) and its heading."""
    add_hs_levels(d)
    digits = hs_digits(d["hs_code"])
    d["hs_code"] = distinct(digits, lambda t: t.str.pad(6, side="right", fillchar="0").str[:6])
    d["hs_heading"] = d["hs_code"].str[:4]


def at_moments(d: pd.DataFrame, as_of: Any) -> pd.DataFrame:
    """The declarations with ``filed_at`` moved to the moment their history is counted at."""
    if as_of is None or (not isinstance(as_of, (pd.Series, np.ndarray, list)) and pd.isna(as_of)):
        return d
    if isinstance(as_of, (pd.Series, np.ndarray, list)):  # one moment per row (training rows)
        moments = utc(pd.Series(list(as_of) if isinstance(as_of, list) else np.asarray(as_of), index=d.index))
        return d.assign(filed_at=d["filed_at"].where(moments.isna() | (d["filed_at"] >= moments), moments))
    moment = pd.Timestamp(as_of)
    return d.assign(filed_at=d["filed_at"].where(d["filed_at"] >= moment, moment))


def history_frame(d: pd.DataFrame, history: pd.DataFrame | None) -> pd.DataFrame:
    """Earlier declarations and the declarations themselves (last, in their order), one row per id."""
    if history is None or history.empty:
        return d
    h = history[~history["declaration_id"].isin(d["declaration_id"])]
    h = h.drop_duplicates("declaration_id", keep="last").assign(filed_at=utc(h["filed_at"]))
    h = h.reset_index(drop=True)
    if "hs_code" in h:
        commodity_codes(h)
    if "place_of_loading" in h:
        country = h["loading_country"] if "loading_country" in h else pd.Series(pd.NA, index=h.index)
        h["loading_country"] = place_country(h["place_of_loading"], country)
        origin = h["origin_country"] if "origin_country" in h else pd.Series(pd.NA, index=h.index)
        h["origin_country"] = origin.astype("string").fillna(h["loading_country"])
    if "gross_mass_kg" in h:
        mass = pd.to_numeric(h["gross_mass_kg"], errors="coerce").astype(float)
        if "packages" in h:
            h["mass_per_package"] = mass / pd.to_numeric(h["packages"], errors="coerce").clip(lower=1.0)
        if "declared_value" in h:
            h["value_per_kg"] = pd.to_numeric(h["declared_value"], errors="coerce") / mass.where(mass > 0)
    return pd.concat([h, d], ignore_index=True)
