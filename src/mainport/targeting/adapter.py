"""Declarations in the ingest format (docs/ingest.md; the world's ``day_declarations`` view) -> the input
of ``build_features``: a pure renaming plus the party register known from the declarations themselves.

The ingest format names parties by EORI (``consignee_eori`` ...) and keeps ``countries_of_routing`` and
``seal_numbers`` as lists; ``build_features`` wants ``declaration_id``, ``consignee_id`` ... Parties' first
appearance is the earliest filing seen so far: the product has no other register of when a trader started.
"""

from __future__ import annotations

import pandas as pd

RENAME = {
    "consignor_eori": "consignor_id",
    "consignee_eori": "consignee_id",
    "notify_eori": "notify_id",
    "declarant_eori": "declarant_id",
}
ROLES = ("consignor", "consignee", "notify")


def declarations_for_features(frame: pd.DataFrame, *, id_column: str = "reference") -> pd.DataFrame:
    """Ingest-format declarations -> ``build_features`` input (same rows, same order).

    ``id_column`` becomes ``declaration_id`` (the world's view has an opaque ``shipment_id``; stored
    declarations have their ``reference``). Empty strings (the CSV's missing values) become missing."""
    if id_column not in frame:
        raise ValueError(f"declarations have no {id_column!r} column")
    out = frame.rename(columns=RENAME).copy()
    out["declaration_id"] = frame[id_column].to_numpy()
    for col in ("notify_id", "amended_at", "place_of_delivery"):
        if col in out:
            out[col] = out[col].replace("", None)
    if "place_of_delivery" in out:
        out["place_of_delivery"] = out["place_of_delivery"].fillna(out.get("place_of_discharge"))
    out["filed_at"] = pd.to_datetime(out["filed_at"], utc=True)
    if "amendments" not in out:
        out["amendments"] = 0
    if "shipper_owned" not in out:
        out["shipper_owned"] = False
    return out


def party_register(frame: pd.DataFrame) -> pd.DataFrame:
    """``party_id, country, first_seen`` from ingest-format declarations (EORIs of every role).

    Pass only declarations already received: a party's first filing in later data must not leak back."""
    parts = []
    for role in ROLES:
        if f"{role}_eori" not in frame:
            continue
        part = pd.DataFrame(
            {
                "party_id": frame[f"{role}_eori"].to_numpy(),
                "country": frame[f"{role}_country"].to_numpy() if f"{role}_country" in frame else None,
                "first_seen": pd.to_datetime(frame["filed_at"], utc=True).to_numpy(),
            }
        )
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["party_id", "country", "first_seen"])
    allp = pd.concat(parts, ignore_index=True)
    allp = allp[allp["party_id"].notna() & (allp["party_id"] != "")]
    allp = allp.sort_values("first_seen", kind="stable")
    return allp.drop_duplicates("party_id", keep="first").reset_index(drop=True)
