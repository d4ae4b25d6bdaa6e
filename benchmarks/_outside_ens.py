"""The ``ens`` outside table: container entry summaries (ICS2-like) for a European port, and its mapping
(benchmarks/_targeting_tables.py describes it)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from _outside_parts import _active_choice, _zipf_choice

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
# benchmarks/_outside_ens.py `ens` table (container entry summaries; only inspected rows are labelled)
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
