"""An outside table (a customs administration's own history) mapped onto the product's declaration fields.

The mapping YAML (docs/targeting.md, "Evaluate on your own data")::

    id: Declaration ID              # optional (row number otherwise)
    date: Date                      # the declaration's date: the temporal split and every as-of join
    date_format: "%y-%m-%d"         # required unless the dates are ISO 8601 (2021-03-04 ...)
    label: Fraud                    # 1 / true / yes = found; empty = not inspected (history only)
    positive: [1, 2]                # optional: the label values that count as found
    revenue: Raised Tax             # optional, for Rev@n (an outcome: never a feature)
    label_delay_days: 14            # an outcome is known this long after the declaration (default 0)
    outcome_date: Closed On         # or: the column saying when it became known (+ outcome_date_format)
    test_share: 0.25                # latest share of rows (whole days) to test on; or test_from: 2021-04-01
    rules: default                  # default | none | a profile file next to the mapping | inline profile
    fields:                         # product field: column of the table
      consignee_id: Importer ID
      hs_code: HS10 Code
      ...
    ignore: [Critical Fraud]        # columns that must not be features (outcomes, free text, ...)
    categorical: [Office ID]        # force a number column to be read as codes
    numeric: [Tax Rate]             # force a column to be read as numbers
    pairs: [[Declarant ID, Importer ID]]   # extra pairs to keep a record of
    bad_values: error               # or `missing`: unreadable numbers become missing instead of an error

Columns that map to no field take part through the generic history encodings (history.py). Every user
mistake is a ``ValidationFailed`` with one line that names the key, column or row and the fix. This module
checks the mapping against the table's columns; mapped.py reads the table's values through it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mainport.errors import ValidationFailed
from mainport.targeting.history import HistorySpec, label

# Product declaration fields an outside column can be mapped onto (features.py reads these), with what they
# hold. Kinds: text (an id or code), place (UN/LOCODE), country (ISO 3166 alpha-2), number, list, flag.
FIELDS: dict[str, tuple[str, str]] = {
    "consignee_id": ("text", "consignee / importer id"),
    "consignor_id": ("text", "consignor / exporter / seller id"),
    "notify_id": ("text", "notify party id"),
    "declarant_id": ("text", "declarant / customs broker id"),
    "carrier": ("text", "carrier, shipping line or courier code"),
    "vessel_imo": ("text", "vessel IMO number or flight / truck id"),
    "container_number": ("text", "container or transport unit number"),
    "hub": ("text", "customs office or hub"),
    "mode": ("text", "mode of transport (sea, air, road)"),
    "place_of_loading": ("place", "UN/LOCODE where loaded"),
    "place_of_discharge": ("place", "UN/LOCODE where discharged"),
    "place_of_delivery": ("place", "UN/LOCODE of final delivery"),
    "loading_country": ("country", "country of departure / loading"),
    "origin_country": ("country", "country of origin of the goods"),
    "countries_of_routing": ("list", "countries passed, separated by | , ; or spaces"),
    "hs_code": ("text", "HS / tariff code (2-10 digits)"),
    "goods_description": ("text", "goods description"),
    "packages": ("number", "number of packages"),
    "gross_mass_kg": ("number", "gross (or net) mass in kg"),
    "declared_value": ("number", "declared (customs) value"),
    "size_type": ("text", "ISO 6346 size-type code"),
    "amendments": ("number", "number of amendments"),
    "shipper_owned": ("flag", "shipper-owned container (true/false)"),
}
ALIASES = {
    "importer": "consignee_id",
    "consignee": "consignee_id",
    "exporter": "consignor_id",
    "seller": "consignor_id",
    "shipper": "consignor_id",
    "supplier": "consignor_id",
    "consignor": "consignor_id",
    "notify": "notify_id",
    "declarant": "declarant_id",
    "broker": "declarant_id",
    "courier": "carrier",
    "vessel": "vessel_imo",
    "container": "container_number",
    "office": "hub",
    "hs": "hs_code",
    "tariff_code": "hs_code",
    "commodity": "hs_code",
    "origin": "origin_country",
    "departure_country": "loading_country",
    "country_of_departure": "loading_country",
    "routing": "countries_of_routing",
    "value": "declared_value",
    "customs_value": "declared_value",
    "mass": "gross_mass_kg",
    "weight": "gross_mass_kg",
    "net_mass_kg": "gross_mass_kg",
    "description": "goods_description",
}
KEYS = {
    "id",
    "date",
    "date_format",
    "label",
    "positive",
    "revenue",
    "label_delay_days",
    "outcome_date",
    "outcome_date_format",
    "test_share",
    "test_from",
    "rules",
    "fields",
    "ignore",
    "categorical",
    "numeric",
    "pairs",
    "bad_values",
    "rounds",
}


@dataclass
class Mapping:
    """A checked mapping: which columns are what."""

    id: str | None
    date: str
    date_format: str | None
    label: str
    positive: list[str] | None
    revenue: str | None
    label_delay_days: float
    outcome_date: str | None
    outcome_date_format: str | None
    test_share: float
    test_from: pd.Timestamp | None
    rules: Any
    fields: dict[str, str]
    ignore: list[str]
    categorical: list[str]
    numeric: list[str]
    pairs: list[tuple[str, str]]
    bad_values: str
    rounds: int | None = None


@dataclass
class Prepared:
    """The table as product declarations plus its other columns, sorted by date."""

    declarations: pd.DataFrame  # product fields (features.py input) + ``x_<column>`` extras
    label: np.ndarray  # 1.0 found, 0.0 not, NaN not inspected
    revenue: np.ndarray | None
    known_at: pd.Series  # when each outcome became known (UTC)
    ids: pd.Series  # the table's own ids, for the scores file
    spec: HistorySpec  # history encodings of the extras
    extra_numeric: list[str]  # extra columns read as numbers (raw model features)
    extra_categorical: list[str]  # extra columns that are also categories for the trees
    raw_numeric: list[str]  # the plain raw-column model's features
    raw_categorical: list[str]
    notes: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # extra feature name -> the table's column


def _fail(message: str) -> ValidationFailed:
    return ValidationFailed(message)


def _column(name: Any, columns: list[str], what: str) -> str:
    if not isinstance(name, str) or not name:
        raise _fail(f"mapping `{what}`: give a column name")
    if name not in columns:
        near = difflib.get_close_matches(name, columns, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else f"; the table has: {', '.join(columns[:25])}"
        raise _fail(f"mapping `{what}`: column {name!r} is not in the table{hint}")
    return name


def _names(value: Any, columns: list[str], what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise _fail(f"mapping `{what}`: give a list of column names")
    return [_column(v, columns, what) for v in value]


def parse_mapping(raw: Any, columns: list[str], *, source: str = "mapping") -> Mapping:
    """The mapping YAML's content checked against the table's columns."""
    if not isinstance(raw, dict):
        raise _fail(f"{source}: not a mapping of keys (see docs/targeting.md, 'Evaluate on your own data')")
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        near = difflib.get_close_matches(str(unknown[0]), sorted(KEYS), n=1)
        hint = f" (did you mean `{near[0]}`?)" if near else f"; known keys: {', '.join(sorted(KEYS))}"
        raise _fail(f"{source}: unknown key `{unknown[0]}`{hint}")
    for key in ("date", "label"):
        if key not in raw:
            raise _fail(f"{source}: `{key}:` is required (the column with the declaration's {key})")
    if "numeric" in raw and "fields" not in raw and "categorical" in raw:
        # The earlier format listed model features; the product now builds its own from `fields:`.
        pass
    fields: dict[str, str] = {}
    spec = raw.get("fields") or {}
    if not isinstance(spec, dict):
        raise _fail(f"{source}: `fields:` maps product fields to columns (consignee_id: Importer ID)")
    for key, col in spec.items():
        name = ALIASES.get(str(key).lower(), str(key))
        if name not in FIELDS:
            near = difflib.get_close_matches(str(key), [*FIELDS, *ALIASES], n=1)
            hint = f"; did you mean `{near[0]}`?" if near else f"; fields: {', '.join(FIELDS)}"
            raise _fail(f"{source}: `fields.{key}` is not a product field{hint}")
        if name in fields:
            raise _fail(f"{source}: `fields` maps {name} twice")
        fields[name] = _column(col, columns, f"fields.{key}")
    share = raw.get("test_share", 0.25)
    try:
        share = float(share)
    except (TypeError, ValueError):
        raise _fail(f"{source}: `test_share` must be a number between 0 and 1 (got {share!r})") from None
    if not 0.0 < share < 1.0:
        raise _fail(f"{source}: `test_share` must be between 0 and 1 (got {share})")
    test_from = None
    if raw.get("test_from") is not None:
        try:
            test_from = pd.Timestamp(str(raw["test_from"]), tz="UTC")
        except ValueError:
            raise _fail(
                f"{source}: `test_from` must be a date YYYY-MM-DD (got {raw['test_from']!r})"
            ) from None
    delay = raw.get("label_delay_days", 0)
    try:
        delay = float(delay)
    except (TypeError, ValueError):
        raise _fail(f"{source}: `label_delay_days` must be a number of days (got {delay!r})") from None
    if delay < 0:
        raise _fail(f"{source}: `label_delay_days` cannot be negative")
    bad = str(raw.get("bad_values", "error"))
    if bad not in ("error", "missing"):
        raise _fail(f"{source}: `bad_values` is `error` or `missing` (got {bad!r})")
    pairs = []
    for p in raw.get("pairs") or []:
        if not isinstance(p, list) or len(p) != 2:
            raise _fail(f"{source}: `pairs` is a list of two-column lists ([Declarant ID, Importer ID])")
        pairs.append((_pair_part(p[0], columns, fields), _pair_part(p[1], columns, fields)))
    positive = raw.get("positive")
    if positive is not None and not isinstance(positive, list):
        positive = [positive]
    rounds = raw.get("rounds")
    return Mapping(
        id=_column(raw["id"], columns, "id") if raw.get("id") is not None else None,
        date=_column(raw["date"], columns, "date"),
        date_format=str(raw["date_format"]) if raw.get("date_format") else None,
        label=_column(raw["label"], columns, "label"),
        positive=[str(v).strip().lower() for v in positive] if positive is not None else None,
        revenue=_column(raw["revenue"], columns, "revenue") if raw.get("revenue") else None,
        label_delay_days=delay,
        outcome_date=_column(raw["outcome_date"], columns, "outcome_date")
        if raw.get("outcome_date")
        else None,
        outcome_date_format=str(raw["outcome_date_format"]) if raw.get("outcome_date_format") else None,
        test_share=share,
        test_from=test_from,
        rules=raw.get("rules", "default"),
        fields=fields,
        ignore=_names(raw.get("ignore"), columns, "ignore"),
        categorical=_names(raw.get("categorical"), columns, "categorical"),
        numeric=_names(raw.get("numeric"), columns, "numeric"),
        pairs=pairs,
        bad_values=bad,
        rounds=int(rounds) if rounds is not None else None,
    )


def _pair_part(name: Any, columns: list[str], fields: dict[str, str]) -> str:
    """A pair member: a product field (``consignee_id``) or a column of the table."""
    if isinstance(name, str) and (name in FIELDS or name in ALIASES):
        return ALIASES.get(name, name)
    col = _column(name, columns, "pairs")
    for f, c in fields.items():
        if c == col:
            return f
    return f"x_{label(col)}"
