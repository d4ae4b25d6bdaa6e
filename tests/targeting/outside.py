"""A small outside customs table for the evaluate tests: its own column names and formats."""

from __future__ import annotations

import numpy as np
import pandas as pd


def outside_table(n: int = 6000, *, seed: int = 0, days: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    day = np.sort(rng.integers(0, days, n))
    n_imp = max(40, n // 25)
    imp = rng.integers(0, n_imp, n)
    imp_risk = rng.normal(-0.5, 1.2, n_imp)
    lines = np.array(
        [f"{c:02d}{k:02d}.{rng.integers(10, 99)}.00" for c in (61, 62, 85, 94) for k in range(1, 16)]
    )
    line = rng.integers(0, len(lines), n)
    price = np.exp(rng.normal(2.0, 1.0, len(lines)))
    mass = np.round(np.exp(rng.normal(6, 1, n)), 1)
    logit = -3.0 + imp_risk[imp] + 0.8 * (line < 15)
    fraud = rng.random(n) < 1 / (1 + np.exp(-logit))
    value = (
        mass * price[line] * np.exp(rng.normal(0, 0.3, n)) * np.where(fraud & (rng.random(n) < 0.7), 0.4, 1.0)
    )
    dates = (pd.Timestamp("2013-01-01") + pd.to_timedelta(day, unit="D")).strftime("%y-%m-%d")
    return pd.DataFrame(
        {
            "Entry No": [f"E{i:07d}" for i in range(n)],
            "Entry Date": dates,
            "Importer": [f"IMP{i:04d}" for i in imp],
            "Broker": [f"B{i % 17:02d}" for i in imp],
            "Tariff": lines[line],
            "Origin": rng.choice(["CN", "TR", "IN", "VN"], n),
            "Office": rng.choice(["North", "South", "Air"], n),
            "Kg": mass,
            "Value": np.round(value, 2),
            "Outcome": fraud.astype(int),
            "Extra Duty": np.where(fraud, np.round(value * 0.3, 2), 0.0),
            "Second Outcome": fraud.astype(int),
        }
    )


MAPPING = {
    "id": "Entry No",
    "date": "Entry Date",
    "date_format": "%y-%m-%d",
    "label": "Outcome",
    "revenue": "Extra Duty",
    "label_delay_days": 7,
    "test_share": 0.3,
    "rules": "default",
    "ignore": ["Second Outcome"],
    "fields": {
        "importer": "Importer",
        "declarant": "Broker",
        "hs_code": "Tariff",
        "origin": "Origin",
        "gross_mass_kg": "Kg",
        "declared_value": "Value",
    },
}
