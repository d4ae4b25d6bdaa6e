"""Outside customs tables in layouts the targeting code was not written for (benchmark data, not product).

Three generators, written for this benchmark and independently of ``mainport.targeting.synthetic`` and of
the world; none shares code with the product. Each has its own columns, id and date formats and its own
hidden mechanism, and each writes a mapping YAML beside its CSV:

- ``fraud``: a revenue-fraud table of the kind the customs-fraud literature works on (DATE, KDD 2020, on
  West African declarations): importer TIN, declarant code, office, tariff code with dots (``8517.12.00.10``),
  origin, quantity, weight, FOB/CIF value, tax rate, taxes; label ``ILLICIT``, revenue ``RAISED_TAX``; dates
  ``dd-mm-yy`` (a two-digit year: the mapping must name the format). Hidden: importer and declarant
  propensities, undervaluation against each tariff line's unit price, tariff misclassification into a
  cheaper line, false preferential origin, risky chapters; drift (a declarant ring and front importers appear
  late, the base rate moves).
- ``ens``: container entry summaries (ICS2-like) for a European port: shipper names, consignee EORI,
  notify, forwarder, carrier SCAC, vessel IMO, port of loading, transhipment ports separated by spaces, port
  of discharge, final destination, HS6, goods text, packages, gross kg, ISO container type; only ~~27% were
  inspected (a legacy lane rule picked them; the rest has an empty result: history only); label
  ``inspection == SEIZED``, revenue ``cocaine_kg``; ISO timestamps. Hidden: criminal organisations with home
  ports, cover commodities, front consignees used a few times, hijacked established importers, sloppy
  paperwork (round masses, vague goods text), favoured vessels; drift (organisations move port mid-way, a
  West African route opens).
- ``kcs``: the layout of the Korea Customs Service's public synthetic import declarations (Jeong, Kim, Park,
  Choi 2022, "Customs Import Declaration Datasets", github.com/Seondong/Customs-Declaration-Datasets; 54,000
  CTGAN rows, 22 columns). The public file cannot be downloaded here (no network beyond package registries),
  so this EMULATES its structure only: the same 22 column names, 7-character random party ids, HS10 codes
  written as numbers (leading zero lost: ``710807000``), empty Seller/Courier ids, tax type and origin
  indicator codes, net mass and item price in KRW, a ~15% fraud rate among inspected declarations and a
  ``Critical Fraud`` column derived from the label (a leak the mapping must ignore). The fraud mechanism is
  ours (importer/declarant propensity, undervaluation, origin/FTA misuse, e-commerce couriers), not the real
  data's, which no one outside KCS knows.

The ``ens`` and ``kcs`` generators live in _outside_ens.py and _outside_kcs.py, what they share in
_outside_parts.py.

Run: .venv/bin/python benchmarks/_targeting_tables.py --rows 300000 --out /tmp/outside (writes all three)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from _outside_ens import ENS_MAPPING, ens_table
from _outside_kcs import KCS_MAPPING, kcs_table
from _outside_parts import START, _active_choice, _sigmoid, _zipf_choice


def fraud_table(n: int, seed: int = 0, days: int = 540) -> pd.DataFrame:
    rng = np.random.default_rng([seed, 1])
    day = np.sort(rng.integers(0, days, n))
    # Tariff lines: chapter, unit price norm (per kg), tax rate.
    n_lines = 2500
    chapters = np.array([22, 24, 33, 39, 40, 42, 44, 48, 52, 61, 62, 64, 69, 72, 73, 84, 85, 87, 90, 94, 95])
    line_ch = rng.choice(chapters, n_lines)
    line_code = np.array(
        [
            f"{c:02d}{rng.integers(1, 99):02d}.{rng.integers(10, 99)}."
            f"{rng.integers(0, 99):02d}.{rng.integers(0, 99):02d}"
            for c in line_ch
        ],
        dtype=object,
    )
    line_price = np.exp(rng.normal(2.0, 1.3, n_lines))  # value per kg
    ch_tax = {c: float(rng.choice([0.05, 0.1, 0.2, 0.35])) for c in chapters}
    ch_tax.update({22: 0.6, 24: 0.7, 33: 0.35, 85: 0.2, 61: 0.35, 62: 0.35, 64: 0.3})
    line_tax = np.array([ch_tax[c] for c in line_ch])
    ch_risk = {c: 0.0 for c in chapters}
    ch_risk.update({22: 0.9, 24: 1.1, 61: 0.6, 62: 0.6, 64: 0.5, 85: 0.5, 33: 0.4})
    line_risk = np.array([ch_risk[c] for c in line_ch]) + rng.normal(0, 0.3, n_lines)
    # Importers enter the market over time; the late ones include front companies.
    n_imp = max(200, n // 35)
    imp_start = np.where(rng.random(n_imp) < 0.6, 0, rng.integers(0, days, n_imp))
    imp_size = rng.pareto(1.2, n_imp) + 1.0
    imp_prop = rng.normal(-0.6, 1.0, n_imp) + np.where(imp_start > days * 0.6, 0.8, 0.0)
    imp_lines = [rng.choice(n_lines, size=int(rng.integers(2, 12))) for _ in range(n_imp)]
    # Declarants: each importer has a main one; a ring of colluding declarants appears after 60% of the time.
    n_dec = max(50, n // 900)
    dec_prop = rng.normal(0.0, 0.5, n_dec)
    ring = rng.choice(n_dec, 6, replace=False)
    dec_prop[ring] += 1.6
    imp_dec = rng.integers(0, n_dec, n_imp)
    origins = np.array(
        [
            "CN",
            "IN",
            "TR",
            "AE",
            "US",
            "DE",
            "GB",
            "FR",
            "NG",
            "GH",
            "BJ",
            "TG",
            "BR",
            "JP",
            "KR",
            "VN",
            "TH",
            "MY",
            "ID",
            "ZA",
            "IT",
            "ES",
            "NL",
            "BE",
        ]
    )
    preferential = np.isin(origins, ["GH", "BJ", "TG", "NG"])  # a trade bloc with zero duty
    imp_origin = rng.integers(0, len(origins), n_imp)

    imp = _active_choice(rng, day, imp_start, imp_size)
    pick = rng.integers(0, 1 << 30, n)
    line = np.array([imp_lines[i][p % len(imp_lines[i])] for i, p in zip(imp, pick, strict=True)])
    dec = np.where(rng.random(n) < 0.8, imp_dec[imp], rng.integers(0, n_dec, n))
    late = day > days * 0.6
    ring_use = late & (rng.random(n) < np.where(imp_start[imp] > days * 0.6, 0.5, 0.05))
    dec = np.where(ring_use, ring[rng.integers(0, len(ring), n)], dec)
    origin = np.where(rng.random(n) < 0.7, imp_origin[imp], rng.integers(0, len(origins), n))
    office = _zipf_choice(rng, 14, n, 0.8)
    weight = np.round(np.exp(rng.normal(6.5, 1.4, n)), 1)
    drift = 0.4 * np.sin(day / days * 2 * np.pi)
    logit = (
        -3.4
        + imp_prop[imp]
        + dec_prop[dec]
        + line_risk[line]
        + 2.0 * line_tax[line]
        + 0.3 * (office == 3)
        + drift
        + rng.normal(0, 0.5, n)
    )
    illicit = rng.random(n) < _sigmoid(logit)
    kind = rng.choice(3, n, p=[0.6, 0.25, 0.15])  # undervaluation, misclassification, false origin
    under = illicit & (kind == 0)
    mis = illicit & (kind == 1)
    false_origin = illicit & (kind == 2)
    true_value = weight * line_price[line] * np.exp(rng.normal(0, 0.6, n))
    factor = np.where(under, rng.uniform(0.3, 0.8, n), 1.0)
    cif = np.round(true_value * factor, 2)
    # Misclassification: declared under another tariff line with a lower duty.
    low_tax = np.flatnonzero(line_tax <= 0.1)
    cheaper = rng.choice(low_tax, int(mis.sum()))
    declared_line = line.copy()
    declared_line[mis] = cheaper
    origin_decl = origin.copy()
    origin_decl[false_origin] = rng.choice(np.flatnonzero(preferential), int(false_origin.sum()))
    tax_rate = np.where(preferential[origin_decl], 0.0, line_tax[declared_line])
    fob = np.round(cif / 1.08, 2)
    true_tax = true_value * np.where(preferential[origin], 0.0, line_tax[line])
    taxes = np.round(cif * tax_rate, 2)
    raised = np.where(illicit, np.maximum(true_tax - taxes, 0.0) + 0.1 * true_value, 0.0)
    qty = np.maximum(1, np.round(weight / np.exp(rng.normal(1.0, 0.8, n)))).astype(int)
    imp_ids = np.array([f"TIN{10_000_000 + i:08d}" for i in rng.permutation(n_imp)], dtype=object)
    dec_ids = np.array([f"D{i:04d}" for i in rng.permutation(n_dec)], dtype=object)
    dates = (START + pd.to_timedelta(day, unit="D")).strftime("%d-%m-%y")
    return pd.DataFrame(
        {
            "SGD_NUM": [f"SGD{seed:02d}{i:08d}" for i in range(n)],
            "SGD_DATE": dates,
            "OFFICE": np.array([f"OFF{o:02d}" for o in office], dtype=object),
            "IMPORTER_TIN": imp_ids[imp],
            "DECLARANT_CODE": dec_ids[dec],
            "ORIGIN": origins[origin_decl],
            "TARIFF": line_code[declared_line],
            "QUANTITY": qty,
            "GROSS_WEIGHT_KG": weight,
            "FOB_VALUE": fob,
            "CIF_VALUE": cif,
            "TAX_RATE": tax_rate,
            "TOTAL_TAXES": taxes,
            "ILLICIT": illicit.astype(int),
            "RAISED_TAX": np.round(raised, 2),
        }
    )


FRAUD_MAPPING = """\
# benchmarks/_targeting_tables.py `fraud` table (revenue fraud; dd-mm-yy dates)
id: SGD_NUM
date: SGD_DATE
date_format: "%d-%m-%y"
label: ILLICIT
revenue: RAISED_TAX
label_delay_days: 21
test_share: 0.25
rules: default
fields:
  importer: IMPORTER_TIN
  declarant: DECLARANT_CODE
  hub: OFFICE
  origin_country: ORIGIN
  hs_code: TARIFF
  gross_mass_kg: GROSS_WEIGHT_KG
  declared_value: CIF_VALUE
  packages: QUANTITY
"""


TABLES = {
    "fraud": (fraud_table, FRAUD_MAPPING),
    "ens": (ens_table, ENS_MAPPING),
    "kcs": (kcs_table, KCS_MAPPING),
}


def write(name: str, rows: int, out: Path, seed: int = 0) -> tuple[Path, Path]:
    """The table as CSV in ``out`` (reused for the same rows and seed) and its mapping YAML beside it."""
    make, mapping = TABLES[name]
    out.mkdir(parents=True, exist_ok=True)
    csv = out / f"outside_{name}_{rows}_{seed}.csv"
    if not csv.exists():
        make(rows, seed=seed).to_csv(csv, index=False)
    yml = out / f"outside_{name}.yaml"
    yml.write_text(mapping, encoding="utf-8")
    return csv, yml


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("/tmp/outside"))
    ap.add_argument("--tables", nargs="+", default=list(TABLES))
    args = ap.parse_args()
    for name in args.tables:
        csv, yml = write(name, args.rows, args.out, args.seed)
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        print(f"{name}: {len(frame):,} rows, {frame.shape[1]} columns -> {csv} (mapping {yml})")


if __name__ == "__main__":
    main()
