"""Risk features of declarations: a pure function from dataframes to a dataframe, point in time.

Every history feature (party age, volume, past hits, carrier hit rate, seal changes) uses only what was known
strictly before the declaration was filed: as-of joins with ``allow_exact_matches=False``.

Input contract (pandas): ``declarations`` has one row per declaration with columns
``declaration_id, filed_at, hub, place_of_loading, place_of_delivery, countries_of_routing (list or "A|B"),
hs_code, goods_description, packages, gross_mass_kg, size_type, consignor_id, consignee_id, notify_id,
carrier, vessel_imo, amendments, container_number``; optional ``shipper_owned, amended_at``.
``parties``: ``party_id, country, first_seen``. ``history``: earlier declarations (same columns; the
declarations themselves are always part of the history). ``outcomes``: ``declaration_id, inspected_at,
found, kg``. ``events``: ``container_number, event_datetime, seals, type_code``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from mainport.reference.containers import SIZE_TYPES
from mainport.reference.hs import RISK_HEADINGS, commodity_group
from mainport.reference.locations import LOCATIONS
from mainport.targeting import history as hist_enc
from mainport.targeting.asof import NAT, ns, party_age, prior_counts, utc, windowed
from mainport.targeting.feature_inputs import (
    at_moments,
    commodity_codes,
    complete,
    distinct,
    history_frame,
    outcome_frame,
    place_country,
    routing,
    routing_lists,
)
from mainport.targeting.history import HistorySpec, as_key

SOURCE_COUNTRIES = frozenset(loc.country for loc in LOCATIONS.values() if loc.role == "source")
TRANSIT_COUNTRIES = frozenset(loc.country for loc in LOCATIONS.values() if loc.role == "transit")
DUTCH_HUB_PLACES = frozenset(code for code, loc in LOCATIONS.items() if loc.node)
# Onward markets of exports from the Dutch hubs where cocaine fetches more than in the Netherlands (the
# plan's fast road export from the flower auctions goes mostly to the UK, Ireland and Scandinavia).
ONWARD_MARKETS = frozenset({"GB", "IE", "NO", "SE", "FI", "DK", "IS"})

# Prior risk of a commodity group as cover load (seizures Rotterdam/Antwerp); the model learns the rest.
GROUP_RISK = {
    "fresh_fruit": 0.9,
    "cocoa": 0.7,
    "coffee": 0.6,
    "frozen_food": 0.6,
    "flowers": 0.5,
    "timber": 0.4,
    "tiles": 0.4,
    "machinery": 0.2,
    "general": 0.1,
}
VAGUE = re.compile(
    r"^\s*(foodstuffs?|general cargo|goods|various|miscellaneous|samples?|personal effects|merchandise|"
    r"consolidated cargo|fak|said to contain|stc|parts|spare parts|products?)\s*$",
    re.IGNORECASE,
)
DAY = np.timedelta64(1, "D")

# Numeric features given to the model; categorical ones are encoded by the model (see model.py).
NUMERIC_FEATURES = (
    "loading_in_source",
    "loading_in_transit",
    "routing_source_count",
    "routing_transit_count",
    "routing_length",
    "transhipment",
    "hs_heading_risk",
    "group_risk",
    "reefer",
    "consignee_age_days",
    "consignor_age_days",
    "notify_age_days",
    "new_notify_party",
    "consignee_country_mismatch",
    "consignee_volume_90d",
    "consignor_volume_90d",
    "consignee_past_inspections",
    "consignee_past_hits",
    "consignor_past_hits",
    "hs_heading_past_hits",
    "carrier_past_inspections",
    "carrier_past_hits",
    "vessel_past_hits",
    "loading_port_past_inspections",
    "loading_port_hit_rate",
    "mass_payload_ratio",
    "mass_per_package",
    "packages",
    "gross_mass_kg",
    "vague_description",
    "description_length",
    "amendments",
    "late_filing",
    "shipper_owned",
    "seal_changes",
    "day_of_week",
    # Mode and direction: flower-auction trucks and Schiphol air cargo are scored on their own terms.
    "export",
    "export_to_onward_market",
    "air_from_risk_country",
    "declared_value",
    "value_per_kg",
)
CATEGORICAL_FEATURES = ("commodity_group", "loading_country", "carrier", "hub", "mode")
# Context kept beside the features for rules and for the reasons shown to analysts.
CONTEXT = (
    "declaration_id",
    "filed_at",
    "place_of_loading",
    "place_of_delivery",
    "hs_code",
    "hs_heading",
    "routing_countries",
    "container_number",
    "size_type",
    "consignee_id",
    "consignor_id",
    "declarant_id",
    "origin_country",
    "destination_country",
    "hs6",
    "hs2",
)
# Generic as-of history of the product's own keys (history.py): outcome rates of parties, codes, routes and
# pairs, novelty of trading relationships, and masses and values against the commodity's norms.
PRODUCT_HISTORY = HistorySpec(
    entities=(
        "consignee_id",
        "consignor_id",
        "declarant_id",
        "carrier",
        "vessel_imo",
        "place_of_loading",
        "origin_country",
        "hs10",
        "hs6",
        "hs4",
        "hs2",
    ),
    pairs=(("consignee_id", "hs6"), ("consignor_id", "consignee_id"), ("origin_country", "hs6")),
    values=("gross_mass_kg", "mass_per_package", "declared_value", "value_per_kg"),
    volume=("declarant_id", "consignee_id__hs6", "consignor_id__consignee_id"),
)
HISTORY_FEATURES = tuple(PRODUCT_HISTORY.feature_names())
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES
NEW_PARTY_DAYS = 30.0
CONSOLIDATE_ROWS = 300_000
PORT_RATE_PRIOR = 5.0


def profile_key(frame: pd.DataFrame) -> pd.Series:
    """The declaration profile an organisation chooses and an analyst sees: origin port x commodity group x
    consignee style (``new``: first seen under 30 days before filing, a front company's mark; else
    ``established``, which a hijacked importer's identity also shows). From a ``build_features`` frame;
    exploration (selection.py, ``thompson``) keeps a posterior per profile."""
    # For an export (a flower-auction truck) the Dutch exporter, the consignor, is the party to watch.
    age = frame["consignee_age_days"].to_numpy(dtype=float)
    if "export" in frame and "consignor_age_days" in frame:
        exporter = frame["export"].to_numpy(dtype=float) > 0
        age = np.where(exporter, frame["consignor_age_days"].to_numpy(dtype=float), age)
    style = np.where(age < NEW_PARTY_DAYS, "new", "established")
    port = frame["place_of_loading"].astype("string").fillna("?")
    group = frame["commodity_group"].astype("string").fillna("?")
    styles = pd.Series(style, index=frame.index, dtype="string")
    return (port + "|" + group + "|" + styles).astype(str)


def build_features(
    declarations: pd.DataFrame,
    *,
    parties: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    as_of: pd.Timestamp | datetime | pd.Series | np.ndarray | list[Any] | None = None,
    extra: HistorySpec | None = None,
    keep: tuple[str, ...] | list[str] = (),
) -> pd.DataFrame:
    """Declarations (plus what was known before them) -> one row of features per declaration, same order.

    History features are counted strictly before filing, or strictly before ``as_of`` when given (scoring on
    the day of selection, often weeks after filing: what is known then). ``as_of`` must not be later than
    the moment the features are used; the caller keeps history and outcomes to what was known then.
    ``as_of`` may also give one moment per row (a Series/array aligned with ``declarations``), e.g. each
    labelled declaration's selection moment when a training set is rebuilt later: its own outcome, and
    everything after, stays out of its features (missing moments fall back to filing).
    ``extra``: history encodings of further columns (an outside table's columns that map to no product
    field, targeting/mapping.py), computed by the same as-of code as the product's own (``PRODUCT_HISTORY``).
    ``keep``: further columns of the declarations carried into the output as they are (raw extras).
    """
    d = complete(declarations)
    d["filed_at"] = utc(d["filed_at"])
    commodity_codes(d)
    f = pd.DataFrame(index=d.index)

    # Route.
    d["loading_country"] = place_country(d["place_of_loading"], d["loading_country"])
    origin = distinct(d["origin_country"], lambda t: t.str.strip().str.upper())
    d["origin_country"] = origin.fillna(d["loading_country"])
    f["loading_in_source"] = d["loading_country"].isin(SOURCE_COUNTRIES).astype(float)
    f["loading_in_transit"] = d["loading_country"].isin(TRANSIT_COUNTRIES).astype(float)
    if d["countries_of_routing"].notna().any():
        routes = routing_lists(d["countries_of_routing"])
        d["routing_countries"] = routes.str.join("|")
        # One row per (declaration, country), counted back per declaration: no Python loop per row.
        flat = routes.explode().dropna().astype(str)
        source = flat.isin(SOURCE_COUNTRIES).groupby(level=0).sum()
        transit = flat.isin(TRANSIT_COUNTRIES).groupby(level=0).sum()
        f["routing_source_count"] = source.reindex(d.index, fill_value=0).astype(float)
        f["routing_transit_count"] = transit.reindex(d.index, fill_value=0).astype(float)
        f["routing_length"] = routes.str.len().astype(float)
    else:
        d["routing_countries"] = ""
        for col in ("routing_source_count", "routing_transit_count", "routing_length"):
            f[col] = 0.0
    # Transhipment: routed through a country other than the loading and the destination country.
    f["transhipment"] = (f["routing_length"] > 2).astype(float)

    # Commodity.
    groups = {h: commodity_group(h + "00") for h in d["hs_heading"].dropna().unique()}
    d["commodity_group"] = d["hs_heading"].map(groups).astype("string")
    f["hs_heading_risk"] = d["hs_heading"].isin(RISK_HEADINGS.keys()).astype(float)
    f["group_risk"] = d["commodity_group"].map(GROUP_RISK).astype(float).fillna(0.1)
    st = d["size_type"].fillna("").astype(str).str.upper()
    # Size types are few: look each one up once.
    kinds = st.unique()
    reefer = {s: float(SIZE_TYPES[s].reefer) if s in SIZE_TYPES else float(s[2:3] == "R") for s in kinds}
    payloads = {s: float(SIZE_TYPES[s].max_payload_kg) if s in SIZE_TYPES else np.nan for s in kinds}
    f["reefer"] = st.map(reefer).astype(float)

    # Parties.
    party_country: dict[str, str] = {}
    first_seen: dict[str, int] = {}
    if parties is not None and not parties.empty:
        pid = as_key(parties["party_id"])
        party_country = dict(zip(pid, parties["country"], strict=True))
        seen_ns = ns(parties["first_seen"])
        first_seen = {k: int(v) for k, v in zip(pid, seen_ns, strict=True) if v != NAT}
    f["consignee_age_days"] = party_age(d["filed_at"], d["consignee_id"], first_seen)
    f["consignor_age_days"] = party_age(d["filed_at"], d["consignor_id"], first_seen)
    notify = d["notify_id"]
    f["notify_age_days"] = party_age(d["filed_at"], notify, first_seen).where(notify.notna(), -1.0)
    f["new_notify_party"] = ((f["notify_age_days"] >= 0) & (f["notify_age_days"] < 30)).astype(float)
    delivery = d["place_of_delivery"].astype("string").fillna(d["place_of_discharge"].astype("string"))
    d["destination_country"] = delivery.str[:2].astype("string")
    delivery_country = d["destination_country"].fillna("")
    consignee_country = as_key(d["consignee_id"]).map(party_country)
    f["consignee_country_mismatch"] = (
        consignee_country.notna() & (consignee_country != delivery_country)
    ).astype(float)

    # History: volumes and past outcomes, strictly before filing (or before the later moment of selection).
    at = at_moments(d, as_of)
    hist = history_frame(d, history)
    f["consignee_volume_90d"] = windowed(at, "consignee_id", hist, "consignee_id", "filed_at", 90)
    f["consignor_volume_90d"] = windowed(at, "consignor_id", hist, "consignor_id", "filed_at", 90)
    out = outcome_frame(hist, outcomes)
    f["consignee_past_inspections"] = prior_counts(at, "consignee_id", out, "consignee_id", "inspected_at")
    f["consignee_past_hits"] = prior_counts(at, "consignee_id", out, "consignee_id", "inspected_at", "found")
    f["consignor_past_hits"] = prior_counts(at, "consignor_id", out, "consignor_id", "inspected_at", "found")
    f["hs_heading_past_hits"] = prior_counts(at, "hs_heading", out, "hs_heading", "inspected_at", "found")
    f["carrier_past_inspections"] = prior_counts(at, "carrier", out, "carrier", "inspected_at")
    f["carrier_past_hits"] = prior_counts(at, "carrier", out, "carrier", "inspected_at", "found")
    f["vessel_past_hits"] = prior_counts(at, "vessel_imo", out, "vessel_imo", "inspected_at", "found")
    # The port of loading's own record: a route where earlier inspections found loads is a route in use,
    # wherever it lies. The rate is shrunk by PORT_RATE_PRIOR inspections at 0, so one lucky hit among few
    # inspections does not outrank a long record.
    port_insp = prior_counts(at, "place_of_loading", out, "place_of_loading", "inspected_at")
    port_hits = prior_counts(at, "place_of_loading", out, "place_of_loading", "inspected_at", "found")
    f["loading_port_past_inspections"] = port_insp
    f["loading_port_hit_rate"] = port_hits / (port_insp + PORT_RATE_PRIOR)

    # Consistency.
    payload = st.map(payloads).astype(float)
    mass = pd.to_numeric(d["gross_mass_kg"], errors="coerce").astype(float)
    f["mass_payload_ratio"] = (mass / payload).fillna(-1.0)
    f["mass_per_package"] = mass / pd.to_numeric(d["packages"], errors="coerce").astype(float).clip(lower=1.0)
    f["packages"] = pd.to_numeric(d["packages"], errors="coerce").astype(float)
    f["gross_mass_kg"] = mass
    desc = d["goods_description"].fillna("").astype(str)
    f["vague_description"] = desc.str.match(VAGUE).astype(float)
    f["description_length"] = desc.str.len().astype(float)
    f["amendments"] = pd.to_numeric(d["amendments"], errors="coerce").fillna(0).astype(float)

    # Container and its events before filing: late filing (loaded before the ENS) and seal changes.
    f["shipper_owned"] = d["shipper_owned"].fillna(False).astype(float) if "shipper_owned" in d else 0.0
    f["late_filing"], f["seal_changes"] = _event_features(d, events)  # as of filing: the trip before it
    f["day_of_week"] = d["filed_at"].dt.day_of_week.astype(float)

    # Mode and direction: exports leave from a Dutch hub (flower-auction trucks); air cargo has its own risk.
    mode = d["mode"].astype("string").str.lower()
    d["mode"] = mode
    f["export"] = d["place_of_loading"].isin(DUTCH_HUB_PLACES).astype(float)
    f["export_to_onward_market"] = (f["export"] > 0) & d["destination_country"].isin(ONWARD_MARKETS).fillna(
        False
    )
    f["export_to_onward_market"] = f["export_to_onward_market"].astype(float)
    risky = (f["loading_in_source"] + f["loading_in_transit"]) > 0
    f["air_from_risk_country"] = ((mode == "air").fillna(False) & risky).astype(float)
    value = pd.to_numeric(d["declared_value"], errors="coerce").astype(float)
    f["declared_value"] = value
    f["value_per_kg"] = value / mass.where(mass > 0)

    for col in CATEGORICAL_FEATURES:
        f[col] = d[col].astype("string") if col in d else pd.Series(pd.NA, index=d.index, dtype="string")

    # One array per column, numbers as float32 (the trees read float32): at a million declarations a
    # consolidated float64 copy would be 1.5 GB on the way. Converted before the history encodings run.
    for col in ("mass_per_package", "value_per_kg"):
        d[col] = f[col]
    cols: dict[str, Any] = {
        c: d[c] if c in d else pd.Series(pd.NA, index=d.index, dtype="string") for c in CONTEXT
    }
    for c in list(f.columns):
        numeric = pd.api.types.is_numeric_dtype(f[c]) and not pd.api.types.is_bool_dtype(f[c])
        cols[c] = f[c].to_numpy(dtype=np.float32) if numeric else f[c]
    del f
    # Generic as-of history of the product's keys and of any extra columns (history.py).
    enc = _encodings(d, at, hist, outcomes, PRODUCT_HISTORY if extra is None else _merge(extra))
    for c in enc.columns:
        cols[c] = enc[c].to_numpy()
    for c in keep:
        if c not in cols:
            cols[c] = d[c]
    out = pd.DataFrame(cols, index=d.index, copy=False)
    # Blocks are joined (one copy) where that is cheap, so callers can add columns without pandas' warning
    # about a fragmented frame; a large offline table keeps one array per column (memory, evaluate.py).
    return out.copy() if len(out) <= CONSOLIDATE_ROWS else out


def _merge(extra: HistorySpec) -> HistorySpec:
    """The product's own history spec plus the extra keys and values of an outside table."""
    p = PRODUCT_HISTORY
    return HistorySpec(
        entities=(*p.entities, *(e for e in extra.entities if e not in p.entities)),
        pairs=(*p.pairs, *(q for q in extra.pairs if q not in p.pairs)),
        values=(*p.values, *(v for v in extra.values if v not in p.values)),
        volume=(*p.volume, *(v for v in extra.volume if v not in p.volume)),
        smoothing=extra.smoothing,
        min_norm_rows=extra.min_norm_rows,
    )


def _encodings(
    d: pd.DataFrame, at: pd.DataFrame, hist: pd.DataFrame, outcomes: pd.DataFrame | None, spec: HistorySpec
) -> pd.DataFrame:
    """history.encode for the declarations (the last rows of ``hist``) at their moments."""
    query = np.arange(len(hist) - len(d), len(hist), dtype=np.int64)
    found: np.ndarray
    if outcomes is None or outcomes.empty:
        rows = np.zeros(0, dtype=np.int64)
        when = np.zeros(0, dtype=np.int64)
        found = np.zeros(0)
    else:
        ids, wanted = hist["declaration_id"], outcomes["declaration_id"]
        if pd.api.types.is_integer_dtype(ids) and pd.api.types.is_integer_dtype(wanted):
            rows = pd.Index(ids).get_indexer(wanted).astype(np.int64)  # no text keys for a million ids
        else:
            rows = pd.Index(as_key(ids)).get_indexer(as_key(wanted)).astype(np.int64)
        when = ns(outcomes["inspected_at"])
        found = outcomes["found"].astype(float).to_numpy()
    enc = hist_enc.encode(
        hist,
        ns(hist["filed_at"]),
        query=query,
        query_times=ns(at["filed_at"]),
        outcome_rows=rows,
        outcome_times=when,
        outcome_found=found,
        spec=spec,
    )
    enc.index = d.index
    return enc


def _event_features(d: pd.DataFrame, events: pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    zeros = pd.Series(0.0, index=d.index)
    if events is None or events.empty or "container_number" not in d:
        return zeros, zeros.copy()
    ev = events[["container_number", "event_datetime", "seals", "type_code"]].copy()
    ev["event_datetime"] = utc(ev["event_datetime"])
    ev = ev.sort_values(["container_number", "event_datetime"], kind="stable")
    seal_key = ev["seals"].map(lambda s: "|".join(sorted(routing(s))))
    ev["_seal"] = seal_key
    prev = ev.groupby("container_number")["_seal"].shift()
    # A change is a seal set that differs from the previous non-empty one seen for the container.
    ev["_change"] = ((prev.notna()) & (prev != "") & (seal_key != "") & (seal_key != prev)).astype(float)
    # Only this trip: the weeks before filing, not the box's earlier voyages.
    changes = windowed(d, "container_number", ev, "container_number", "event_datetime", 45, "_change")
    ev["_load"] = (ev["type_code"] == "LOAD").astype(float)
    loads = windowed(d, "container_number", ev, "container_number", "event_datetime", 14, "_load")
    return (loads > 0).astype(float), changes
