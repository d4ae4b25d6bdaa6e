"""An outside table read through its checked mapping (mapping.py): the file, dates in the mapping's format
(never guessed), numbers, labels, and the declarations the product's features read (``prepare``).
Every unreadable value is a ``ValidationFailed`` naming the column, the row and the fix.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from mainport.targeting.history import HistorySpec, label
from mainport.targeting.mapping import FIELDS, Mapping, Prepared, _fail

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
TRUE = {"1", "1.0", "true", "t", "yes", "y", "found", "fraud", "positive"}
FALSE = {"0", "0.0", "false", "f", "no", "n", "not_found", "clean", "negative"}
LOW_CARDINALITY = 50  # distinct values up to which a code column is also a category for the trees


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
