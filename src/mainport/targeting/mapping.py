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
mistake is a ``ValidationFailed`` with one line that names the key, column or row and the fix.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
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
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
TRUE = {"1", "1.0", "true", "t", "yes", "y", "found", "fraud", "positive"}
FALSE = {"0", "0.0", "false", "f", "no", "n", "not_found", "clean", "negative"}
LOW_CARDINALITY = 50  # distinct values up to which a code column is also a category for the trees


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


def parse_dates(values: pd.Series, fmt: str | None, what: str) -> pd.Series:
    """Dates as UTC timestamps: with ``fmt`` exactly that format, without it only ISO 8601. A two-digit year
    or a day-month order is never guessed: ``13-01-01`` is 2013-01-01, 2001-01-13 or 2001-13-01."""
    if pd.api.types.is_datetime64_any_dtype(values):
        out = pd.to_datetime(values, utc=True)
    else:
        text = values.astype("string").str.strip()
        present = text.notna() & (text != "")
        if not present.any():
            raise _fail(f"{what}: the column has no dates")
        if fmt is None:
            sample = text[present]
            bad = ~sample.str.match(ISO_DATE).fillna(False)
            if bad.any():
                example = str(sample[bad].iloc[0])
                raise _fail(
                    f"{what}: dates like {example!r} can be read more than one way (two-digit year, "
                    "day or month first): add `date_format:` to the mapping, e.g. "
                    f"{_format_hint(example)!r}"
                )
            out = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
        else:
            try:
                out = pd.to_datetime(text, utc=True, format=fmt, errors="coerce")
            except ValueError as exc:
                raise _fail(f"{what}: date_format {fmt!r} is not a strftime format ({exc})") from None
        failed = present & out.isna()
        if failed.any():
            i = int(np.flatnonzero(failed.to_numpy())[0])
            raise _fail(
                f"{what}: {int(failed.sum())} value(s) are not dates in format {fmt or 'ISO 8601'!r} "
                f"(first: row {i + 2} {str(text.iloc[i])!r}); fix them or the format"
            )
    if out.isna().any():
        i = int(np.flatnonzero(out.isna().to_numpy())[0])
        raise _fail(f"{what}: {int(out.isna().sum())} row(s) have no date (first: row {i + 2})")
    return out.astype("datetime64[ns, UTC]")


def _format_hint(example: str) -> str:
    if re.fullmatch(r"\d{2}-\d{2}-\d{2}", example):
        return "%y-%m-%d"
    if re.fullmatch(r"\d{2}/\d{2}/\d{4}.*", example):
        return "%d/%m/%Y"
    if re.fullmatch(r"\d{2}/\d{2}/\d{2}", example):
        return "%d/%m/%y"
    if re.fullmatch(r"\d{8}", example):
        return "%Y%m%d"
    return "%d-%m-%Y"


def _numbers(values: pd.Series, what: str, bad_values: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    text = values.astype("string").str.strip().str.replace(",", "", regex=False)
    out = pd.to_numeric(text, errors="coerce")
    failed = text.notna() & (text != "") & out.isna()
    if failed.any() and bad_values == "error":
        i = int(np.flatnonzero(failed.to_numpy())[0])
        raise _fail(
            f"{what}: {int(failed.sum())} value(s) are not numbers (first: row {i + 2} "
            f"{str(text.iloc[i])!r}); fix them or set `bad_values: missing`"
        )
    return out.astype(float)


def _labels(values: pd.Series, m: Mapping) -> np.ndarray:
    text = values.astype("string").str.strip().str.lower()
    present = text.notna() & (text != "")
    if m.positive is not None:
        found = text.isin(m.positive)
        return np.where(present, found.astype(float), np.nan)
    is_true, is_false = text.isin(TRUE), text.isin(FALSE)
    odd = present & ~is_true & ~is_false
    if odd.any():
        i = int(np.flatnonzero(odd.to_numpy())[0])
        values_seen = ", ".join(sorted({str(v) for v in text[odd].unique()[:5]}))
        raise _fail(
            f"label {m.label!r}: values other than 0/1 ({values_seen}; first: row {i + 2}); "
            "list the ones that count as found under `positive:`"
        )
    return np.where(present, is_true.astype(float), np.nan)


def prepare(data: pd.DataFrame, m: Mapping) -> Prepared:
    """The table in product fields, extras typed, sorted by date; labels, revenue, when outcomes are known."""
    if data.empty:
        raise _fail("the table has no rows")
    dates = parse_dates(data[m.date], m.date_format, f"date column {m.date!r}")
    order = np.argsort(dates.to_numpy(), kind="stable")
    data = data.iloc[order].reset_index(drop=True)
    dates = dates.iloc[order].reset_index(drop=True)
    y = _labels(data[m.label], m)
    notes: list[str] = []
    unlabelled = int(np.isnan(y).sum())
    if unlabelled:
        notes.append(f"{unlabelled:,} rows without a label: part of the history only")
    revenue = (
        _numbers(data[m.revenue], f"revenue {m.revenue!r}", m.bad_values).fillna(0.0).to_numpy()
        if m.revenue
        else None
    )
    if m.outcome_date:
        known = parse_dates(data[m.outcome_date], m.outcome_date_format, f"outcome_date {m.outcome_date!r}")
        known = known.where(known >= dates, dates)
    else:
        known = dates + pd.Timedelta(days=m.label_delay_days)
    ids = (
        data[m.id].astype("string")
        if m.id
        else pd.Series(np.arange(1, len(data) + 1), dtype="int64").astype("string")
    )
    if m.id and ids.duplicated().any():
        dup = ids[ids.duplicated()].iloc[0]
        raise _fail(f"id column {m.id!r}: {int(ids.duplicated().sum())} duplicate id(s) (first: {dup!r})")

    d = pd.DataFrame({"declaration_id": np.arange(len(data), dtype=np.int64), "filed_at": dates})
    for f, col in m.fields.items():
        kind = FIELDS[f][0]
        what = f"column {col!r} (fields.{f})"
        if kind == "number":
            d[f] = _numbers(data[col], what, m.bad_values)
        elif kind == "flag":
            d[f] = data[col].astype("string").str.strip().str.lower().isin(TRUE)
        elif kind == "list":
            d[f] = data[col].astype("string").str.replace(r"[;,/\s]+", "|", regex=True)
        else:
            d[f] = data[col].astype("string").str.strip()

    used = {m.date, m.label, *m.fields.values(), *m.ignore}
    used |= {c for c in (m.id, m.revenue, m.outcome_date) if c}
    entities, values, volume, extra_num, extra_cat = [], [], [], [], []
    columns: dict[str, str] = {}
    raw_num: list[str] = []
    raw_cat: list[str] = []
    for col in data.columns:
        if col in used:
            continue
        name = f"x_{label(col)}"
        while name in d:
            name += "_"
        s = data[col]
        columns[name] = columns[f"{name}_code"] = str(col)
        as_number = _numbers(s, f"column {col!r}", "missing")
        filled = s.astype("string").str.strip()
        present = int((filled.notna() & (filled != "")).sum())
        if not present:
            notes.append(f"column {col!r} is empty: not used")
            continue
        numeric = col in m.numeric or (col not in m.categorical and int(as_number.notna().sum()) == present)
        distinct = int(filled.nunique(dropna=True))
        if numeric:
            if col in m.numeric:
                as_number = _numbers(s, f"column {col!r} (numeric)", m.bad_values)
            d[name] = as_number
            extra_num.append(name)
            raw_num.append(name)
            integral = bool(np.all(np.isnan(as_number) | (as_number == np.round(as_number))))
            if integral and distinct <= LOW_CARDINALITY:  # a code written as a number (an office, a type)
                d[f"{name}_code"] = filled
                entities.append(f"{name}_code")
                extra_cat.append(f"{name}_code")
            elif (as_number.dropna() >= 0).all():
                values.append(name)
            continue
        if distinct > 0.5 * present and distinct > 1000 and col not in m.categorical:
            notes.append(f"column {col!r} has a different value in most rows (an id or free text): not used")
            continue
        d[name] = filled
        entities.append(name)
        raw_cat.append(name)
        if distinct <= LOW_CARDINALITY:
            extra_cat.append(name)
        else:
            volume.append(name)
    for f in m.fields:
        kind = FIELDS[f][0]
        if kind == "number":
            raw_num.append(f)
        elif kind in ("text", "place", "country", "list"):
            raw_cat.append(f)
        elif kind == "flag":
            raw_num.append(f)
    pairs = [p for p in m.pairs]
    spec = HistorySpec(
        entities=tuple(entities),
        pairs=tuple(pairs),
        values=tuple(values),
        volume=tuple([*volume, *(f"{a}__{b}" for a, b in pairs)]),
    )
    return Prepared(
        declarations=d,
        label=y,
        revenue=revenue,
        known_at=known.reset_index(drop=True),
        ids=ids.reset_index(drop=True),
        spec=spec,
        extra_numeric=extra_num,
        extra_categorical=extra_cat,
        raw_numeric=raw_num,
        raw_categorical=raw_cat,
        notes=notes,
        columns=columns,
    )


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (every column read as text: codes keep their leading zeros) or a Parquet file."""
    if not path.exists():
        raise _fail(f"{path}: no such file (check the --data path)")
    if path.is_dir():
        raise _fail(f"{path}: is a folder, give the table's file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], engine="pyarrow")
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _fail(f"{path}: cannot read the table ({first})") from None
