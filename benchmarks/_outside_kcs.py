"""The ``kcs`` outside table: the Korea Customs Service's public layout, emulated, and its mapping
(benchmarks/_targeting_tables.py describes it)."""

from __future__ import annotations

import string

import numpy as np
import pandas as pd
from _outside_parts import START, _active_choice, _ids, _sigmoid, _zipf_choice


def kcs_table(n: int, seed: int = 0, days: int = 540) -> pd.DataFrame:
    rng = np.random.default_rng([seed, 3])
    day = np.sort(rng.integers(0, days, n))
    alnum = string.ascii_uppercase + string.digits
    n_imp, n_dec, n_sel, n_cour = max(300, n // 8), max(100, n // 60), max(300, n // 6), 40
    imp_ids, dec_ids = _ids(rng, n_imp, 7, alnum), _ids(rng, n_dec, 7, alnum)
    sel_ids, cour_ids = _ids(rng, n_sel, 7, alnum), _ids(rng, n_cour, 6, alnum)
    # HS10 lines (chapters with their price per kg); some begin with 0 and lose it in a number column.
    n_lines = 4000
    chapter = rng.choice([3, 7, 9, 22, 33, 39, 40, 42, 61, 62, 64, 73, 84, 85, 87, 90, 94, 95], n_lines)
    line = np.array([int(f"{c:02d}{rng.integers(1, 99):02d}{rng.integers(0, 999999):06d}") for c in chapter])
    price = np.exp(rng.normal(8.5, 1.5, n_lines))  # KRW per kg
    risk_ch = {22: 0.7, 33: 0.5, 42: 0.6, 61: 0.5, 62: 0.5, 64: 0.5, 85: 0.4, 95: 0.3, 3: 0.3}
    line_risk = np.array([risk_ch.get(int(c), 0.0) for c in chapter]) + rng.normal(0, 0.5, n_lines)
    countries = np.array(
        [
            "CN",
            "US",
            "JP",
            "VN",
            "DE",
            "IT",
            "FR",
            "GB",
            "TH",
            "MY",
            "ID",
            "HK",
            "TW",
            "SG",
            "IN",
            "CA",
            "AU",
            "NL",
            "ES",
            "CH",
        ]
    )
    imp_size = rng.pareto(1.3, n_imp) + 1
    imp_start = np.where(rng.random(n_imp) < 0.7, 0, rng.integers(0, days, n_imp))
    imp_prop = rng.normal(-0.3, 1.1, n_imp)
    imp_dec = rng.integers(0, n_dec, n_imp)
    dec_prop = rng.normal(0, 0.6, n_dec)
    imp_country = rng.integers(0, len(countries), n_imp)
    imp_lines = [rng.integers(0, n_lines, size=int(rng.integers(1, 8))) for _ in range(n_imp)]
    imp = _active_choice(rng, day, imp_start, imp_size)
    li = np.array(
        [imp_lines[i][k % len(imp_lines[i])] for i, k in zip(imp, rng.integers(0, 99, n), strict=True)]
    )
    dec = np.where(rng.random(n) < 0.85, imp_dec[imp], rng.integers(0, n_dec, n))
    dep = np.where(rng.random(n) < 0.75, imp_country[imp], rng.integers(0, len(countries), n))
    origin = np.where(rng.random(n) < 0.85, dep, rng.integers(0, len(countries), n))
    import_type = np.array([11, 11, 11, 11, 15, 29, 80, 83, 87, 89, 93, 94, 96])[
        _zipf_choice(rng, 13, n, 1.2)
    ]
    ecommerce = np.isin(import_type, [93, 94])
    courier = np.where(ecommerce | (rng.random(n) < 0.12), rng.integers(0, n_cour, n), -1)
    seller = np.where(rng.random(n) < 0.88, rng.integers(0, n_sel, n), -1)
    mode = np.where(rng.random(n) < 0.55, 10, 40)
    office = np.array([10, 13, 16, 20, 30, 39, 40, 50, 62, 70, 80, 120])[_zipf_choice(rng, 12, n, 0.8)]
    tax_type = np.array(["A", "C", "FCN1", "FEU1", "FUS1", "FAS1", "FVN1", "E1", "F", "R", "W2", "CIT"])[
        _zipf_choice(rng, 12, n, 0.9)
    ]
    fta = pd.Series(tax_type).str.startswith("F").to_numpy()
    indicator = np.array(["B", "E", "G", "S", "Y"])[rng.integers(0, 5, n)]
    mass = np.round(np.exp(rng.normal(4.5, 2.5, n)), 1)
    drift = 0.5 * (day / days)
    logit = (
        -2.3
        + imp_prop[imp]
        + dec_prop[dec]
        + line_risk[li]
        + 0.8 * (origin != dep) * fta
        + 0.5 * ecommerce
        + 0.4 * (indicator == "S")
        + drift
        + rng.normal(0, 0.5, n)
    )
    fraud = rng.random(n) < _sigmoid(logit)
    value = mass * price[li] * np.exp(rng.normal(0, 0.5, n))
    value = np.where(fraud & (rng.random(n) < 0.6), value * rng.uniform(0.2, 0.7, n), value)
    tax_rate = np.where(
        fta, 0.0, np.array([0.0, 3.0, 5.2, 6.5, 8.0, 13.0, 20.0, 30.0])[rng.integers(0, 8, n)]
    )
    critical = np.where(fraud, np.where(rng.random(n) < 0.15, 2, 1), 0)
    dates = (START + pd.Timedelta(days=365) + pd.to_timedelta(day, unit="D")).strftime("%Y-%m-%d")
    return pd.DataFrame(
        {
            "Declaration ID": rng.permutation(
                np.arange(10_000_000, 10_000_000 + n) * 7 % 89_999_999 + 10_000_000
            ),
            "Date": dates,
            "Office ID": office,
            "Process Type": np.where(rng.random(n) < 0.97, "B", "A"),
            "Import Type": import_type,
            "Import Use": np.array([21, 21, 21, 11, 23, 26, 31, 15])[rng.integers(0, 8, n)],
            "Payment Type": np.array([11, 11, 11, 43, 18, 14, 33])[rng.integers(0, 7, n)],
            "Mode of Transport": mode,
            "Declarant ID": dec_ids[dec],
            "Importer ID": imp_ids[imp],
            "Seller ID": np.where(seller >= 0, sel_ids[np.maximum(seller, 0)], ""),
            "Courier ID": np.where(courier >= 0, cour_ids[np.maximum(courier, 0)], ""),
            "HS10 Code": line[li],
            "Country of Departure": countries[dep],
            "Country of Origin": countries[origin],
            "Tax Rate": tax_rate,
            "Tax Type": tax_type,
            "Country of Origin Indicator": indicator,
            "Net Mass": mass,
            "Item Price": np.round(value, 2),
            "Fraud": fraud.astype(int),
            "Critical Fraud": critical,
        }
    )


KCS_MAPPING = """\
# benchmarks/_outside_kcs.py `kcs` table (the KCS public layout, emulated; ISO dates)
id: Declaration ID
date: Date
label: Fraud
label_delay_days: 14
test_share: 0.25
rules: default
ignore: [Critical Fraud]
fields:
  declarant: Declarant ID
  importer: Importer ID
  seller: Seller ID
  courier: Courier ID
  hs_code: HS10 Code
  loading_country: Country of Departure
  origin_country: Country of Origin
  gross_mass_kg: Net Mass
  declared_value: Item Price
  hub: Office ID
"""
