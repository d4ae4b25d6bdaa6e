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

Run: .venv/bin/python benchmarks/_targeting_tables.py --rows 300000 --out /tmp/outside (writes all three)
"""

from __future__ import annotations

import argparse
import string
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).parent / "data"
START = pd.Timestamp("2021-01-01")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _ids(rng: np.random.Generator, n: int, length: int, alphabet: str) -> np.ndarray:
    letters = np.array(list(alphabet))
    raw = letters[rng.integers(0, len(letters), size=(n, length))]
    out = np.array(["".join(r) for r in raw], dtype=object)
    # unique ids (a collision would merge two parties)
    _, first = np.unique(out, return_index=True)
    keep = np.zeros(n, dtype=bool)
    keep[first] = True
    out[~keep] = [f"{v}{i}" for i, v in zip(np.flatnonzero(~keep), out[~keep], strict=True)]
    return out


def _zipf_choice(rng: np.random.Generator, k: int, n: int, a: float = 1.1) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1) ** a
    return rng.choice(k, size=n, p=w / w.sum())


def _active_choice(
    rng: np.random.Generator, days: np.ndarray, start: np.ndarray, weight: np.ndarray
) -> np.ndarray:
    """For each row (a day), an entity active by then (started on or before the day), chosen by weight."""
    order = np.argsort(start, kind="stable")
    s_sorted = start[order]
    cum = np.cumsum(weight[order])
    active = np.searchsorted(s_sorted, days, side="right")  # how many have started
    active = np.maximum(active, 1)
    u = rng.random(len(days)) * cum[active - 1]
    pos = np.minimum(np.searchsorted(cum, u, side="right"), active - 1)
    return order[pos]


# ---- 1. a revenue-fraud table ---------------------------------------------------------------------------


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


# ---- 2. container entry summaries ------------------------------------------------------------------------

LANES = {
    # lane: (ports of loading, transhipment ports, weight, source lane)
    "asia": (["CNSHA", "CNNGB", "SGSIN", "KRPUS", "CNYTN", "VNSGN"], ["", "", "LKCMB", "EGPSD"], 0.55, False),
    "usa": (["USNYC", "USSAV", "USHOU", "CAMTR"], ["", ""], 0.12, False),
    "latam": (
        ["ECGYE", "COCTG", "COBUN", "PECLL", "BRSSZ", "CRMOB", "PAMIT", "DOCAU"],
        ["", "PAMIT", "ESALG", "JMKIN"],
        0.18,
        True,
    ),
    "africa": (["GHTEM", "CIABJ", "TGLFW", "NGAPP", "ZADUR"], ["", "", "ESALG", "MAPTM"], 0.08, False),
    "med": (["TRIST", "EGALY", "ILHFA", "MAPTM"], ["", ""], 0.07, False),
}
HS_BY_LANE = {
    "asia": ["847130", "851712", "940360", "640299", "392690", "610910", "854140", "870899"],
    "usa": ["847990", "300490", "220830", "440710", "870323"],
    "latam": ["080390", "080430", "080440", "090111", "180100", "030617", "060311", "200989", "440710"],
    "africa": ["180100", "440710", "080430", "030617", "090111"],
    "med": ["690721", "080510", "070200", "610910", "251511"],
}
COVERS = ["080390", "080430", "080440", "090111", "180100", "030617", "200989", "440710", "060311"]
GOODS = {
    "847130": "LAPTOP COMPUTERS",
    "851712": "MOBILE PHONES",
    "940360": "WOODEN FURNITURE",
    "640299": "FOOTWEAR",
    "392690": "PLASTIC ARTICLES",
    "610910": "COTTON T-SHIRTS",
    "854140": "SOLAR PANELS",
    "870899": "AUTO PARTS",
    "847990": "MACHINERY PARTS",
    "300490": "MEDICAMENTS",
    "220830": "WHISKY",
    "440710": "SAWN TIMBER",
    "870323": "USED CARS",
    "080390": "FRESH BANANAS",
    "080430": "FRESH PINEAPPLES",
    "080440": "FRESH AVOCADOS",
    "090111": "GREEN COFFEE BEANS",
    "180100": "COCOA BEANS",
    "030617": "FROZEN SHRIMP",
    "060311": "FRESH CUT ROSES",
    "200989": "FRUIT JUICE CONCENTRATE",
    "690721": "CERAMIC TILES",
    "080510": "FRESH ORANGES",
    "070200": "TOMATOES",
    "251511": "MARBLE BLOCKS",
}
FORMS = ("S.A.", "LTD", "CO", "SAS", "GMBH", "S.R.L.")
REEFER_HS = {"080390", "080430", "080440", "030617", "060311", "080510", "070200"}


def ens_table(n: int, seed: int = 0, days: int = 540) -> pd.DataFrame:
    rng = np.random.default_rng([seed, 2])
    t = np.sort(rng.uniform(0, days * 86400, n))
    day = (t // 86400).astype(int)
    lanes = list(LANES)
    lane = rng.choice(
        len(lanes), n, p=np.array([LANES[k][2] for k in lanes]) / sum(LANES[k][2] for k in lanes)
    )
    pol = np.empty(n, dtype=object)
    tsp = np.empty(n, dtype=object)
    hs = np.empty(n, dtype=object)
    for i, name in enumerate(lanes):
        idx = np.flatnonzero(lane == i)
        ports, trans, _, _ = LANES[name]
        pol[idx] = np.array(ports, dtype=object)[_zipf_choice(rng, len(ports), len(idx), 0.7)]
        tsp[idx] = np.array(trans, dtype=object)[rng.integers(0, len(trans), len(idx))]
        hs[idx] = np.array(HS_BY_LANE[name], dtype=object)[
            _zipf_choice(rng, len(HS_BY_LANE[name]), len(idx), 0.6)
        ]
    # Legitimate importers (consignees) with their usual lane; shippers are foreign exporters.
    n_cons = max(300, n // 40)
    cons_lane = rng.choice(
        len(lanes), n_cons, p=np.array([LANES[k][2] for k in lanes]) / sum(LANES[k][2] for k in lanes)
    )
    cons_size = rng.pareto(1.1, n_cons) + 1
    cons_start = np.where(rng.random(n_cons) < 0.8, 0, rng.integers(0, days, n_cons))
    cons = np.empty(n, dtype=np.int64)
    for i in range(len(lanes)):
        idx = np.flatnonzero(lane == i)
        mine = np.flatnonzero(cons_lane == i)
        cons[idx] = mine[_active_choice(rng, day[idx], cons_start[mine], cons_size[mine])]
    n_ship = max(300, n // 30)
    cons_shippers = [rng.integers(0, n_ship, size=int(rng.integers(1, 5))) for _ in range(n_cons)]
    shipper = np.array(
        [
            cons_shippers[c][k % len(cons_shippers[c])]
            for c, k in zip(cons, rng.integers(0, 99, n), strict=True)
        ]
    )
    n_fwd = 120
    fwd = _zipf_choice(rng, n_fwd, n, 0.9)
    carriers = np.array(
        ["MAEU", "MSCU", "CMDU", "HLCU", "ONEY", "EGLV", "COSU", "ZIMU", "YMLU", "HDMU"], dtype=object
    )
    carrier = carriers[_zipf_choice(rng, len(carriers), n, 0.7)]
    n_vessel = 260
    vessel = rng.integers(0, n_vessel, n) + 100 * lane  # vessels serve one lane
    reefer = np.isin(hs, list(REEFER_HS)) & (rng.random(n) < 0.95)
    ctype = np.where(reefer, "45R1", np.array(["22G1", "42G1", "45G1"], dtype=object)[rng.integers(0, 3, n)])
    packages = np.maximum(1, rng.lognormal(6.0, 0.8, n)).astype(int)
    gross = np.round(np.clip(rng.normal(17000, 5000, n), 1500, 29000), 0)
    goods = np.array([GOODS[h] for h in hs], dtype=object)
    dest = np.where(
        rng.random(n) < 0.85,
        "NLRTM",
        np.array(["DEDUI", "BEANR", "NLVEN", "NLTLB"], dtype=object)[rng.integers(0, 4, n)],
    )

    # Criminal organisations: home ports, covers, front consignees used a few times, hijacked importers.
    label = np.zeros(n, dtype=bool)
    kg = np.zeros(n)
    latam_ports = LANES["latam"][0]
    africa_ports = LANES["africa"][0][:3]
    front_id = n_cons  # new consignee ids beyond the legitimate ones
    fronts: list[int] = []
    front_day: list[int] = []
    n_orgs = 9
    for _org in range(n_orgs):
        home = list(rng.choice(latam_ports, 2, replace=False))
        moved_at = int(rng.integers(int(days * 0.35), int(days * 0.8)))
        new_home = list(rng.choice(latam_ports, 2, replace=False))
        covers = list(rng.choice(COVERS, 3, replace=False))
        fav_vessels = rng.integers(0, n_vessel, 3) + 100 * lanes.index("latam")
        loads = rng.poisson(max(1.0, n / 1000.0))
        for _ in range(int(loads)):
            d0 = int(rng.integers(0, days))
            ports = home if d0 < moved_at else new_home
            west_africa = d0 > days * 0.55 and rng.random() < 0.25
            pool_ports = africa_ports if west_africa else ports
            lo, hi = np.searchsorted(day, [d0, d0 + 3])
            cand = lo + np.flatnonzero(np.isin(pol[lo:hi], pool_ports) & ~label[lo:hi])
            if not len(cand):
                continue
            if rng.random() < 0.5:  # the organisation's own shipment: a cover load
                r = int(rng.choice(cand))
                hs[r] = covers[int(rng.integers(0, len(covers)))]
                goods[r] = (
                    GOODS[hs[r]]
                    if rng.random() > 0.3
                    else rng.choice(["FOODSTUFF", "GENERAL CARGO", "FRUIT"])
                )
                reefer_r = hs[r] in REEFER_HS
                ctype[r] = "45R1" if reefer_r else "40G1"
                if rng.random() < 0.75:  # a front consignee, used a few times, then dropped
                    if fronts and rng.random() < 0.5 and d0 - front_day[-1] < 60:
                        cons[r] = fronts[-1]
                    else:
                        cons[r] = front_id
                        fronts.append(front_id)
                        front_day.append(d0)
                        front_id += 1
                        shipper[r] = n_ship + front_id  # a new shipper for a new relationship
                if rng.random() < 0.4:
                    gross[r] = np.round(gross[r], -3)
                if rng.random() < 0.5:
                    vessel[r] = fav_vessels[int(rng.integers(0, 3))]
                label[r] = True
                kg[r] = np.round(rng.lognormal(5.5, 1.2), 1)
            else:  # rip-on in a legitimate importer's box: no trace in the paperwork but the route
                reef = cand[reefer[cand]]
                r = int(rng.choice(reef if len(reef) and rng.random() < 0.6 else cand))
                label[r] = True
                kg[r] = np.round(rng.lognormal(3.7, 0.5), 1)
    # Legacy inspection rule: the LatAm lane and reefers are looked at more; a random share of the rest.
    latam = np.isin(pol, latam_ports)
    p_insp = np.where(latam, 0.6, 0.2) + np.where(reefer, 0.05, 0.0)
    inspected = rng.random(n) < p_insp
    inspected |= label & (rng.random(n) < 0.15)  # intelligence-led finds (tip-offs) also land here
    result = np.where(inspected, np.where(label, "SEIZED", "NIL"), "")
    cocaine = np.where(inspected & label, kg, 0.0)
    n_all_cons = max(front_id, n_cons) + 1
    eori = np.array(
        [f"NL{100000000000 + i * 7919 % 899999999999:012d}" for i in range(n_all_cons)], dtype=object
    )
    syll = ["TRA", "NOR", "AGRO", "EXP", "FRU", "TECH", "GLOB", "SUR", "PAC", "INT", "VERDE", "SOL", "MAR"]
    n_all_ship = int(shipper.max()) + 1
    names = np.array(
        [f"{syll[i % 13]}{syll[(i // 13) % 13]} {FORMS[i % 6]} {i}" for i in range(n_all_ship)],
        dtype=object,
    )
    ts = (pd.Timestamp("2022-03-01", tz="UTC") + pd.to_timedelta(t, unit="s")).strftime("%Y-%m-%dT%H:%M:%SZ")
    notify = np.where(rng.random(n) < 0.7, eori[cons], eori[rng.integers(0, n_all_cons, n)])
    return pd.DataFrame(
        {
            "ens_ref": [f"24NL{seed:02d}{i:010d}" for i in range(n)],
            "lodged_utc": ts,
            "shipper": names[shipper],
            "consignee_eori": eori[cons],
            "notify_party": notify,
            "forwarder": np.array([f"FWD{f:03d}" for f in fwd], dtype=object),
            "carrier": carrier,
            "vessel_imo": np.array([f"9{v * 7 % 999999 + 100000:06d}" for v in vessel], dtype=object),
            "pol": pol,
            "transhipment": tsp,
            "pod": "NLRTM",
            "final_destination": dest,
            "hs6": hs,
            "goods": goods,
            "packages": packages,
            "gross_kg": gross,
            "container_type": ctype,
            "inspection": result,
            "cocaine_kg": cocaine,
        }
    )


ENS_MAPPING = """\
# benchmarks/_targeting_tables.py `ens` table (container entry summaries; only inspected rows are labelled)
id: ens_ref
date: lodged_utc
label: inspection
positive: [SEIZED]
revenue: cocaine_kg
label_delay_days: 7
test_share: 0.25
rules: default
fields:
  consignor_id: shipper
  consignee_id: consignee_eori
  notify_id: notify_party
  carrier: carrier
  vessel_imo: vessel_imo
  place_of_loading: pol
  countries_of_routing: transhipment
  place_of_discharge: pod
  place_of_delivery: final_destination
  hs_code: hs6
  goods_description: goods
  packages: packages
  gross_mass_kg: gross_kg
  size_type: container_type
"""


# ---- 3. the Korea Customs Service's public layout (emulated) --------------------------------------------


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
# benchmarks/_targeting_tables.py `kcs` table (the KCS public layout, emulated; ISO dates)
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
