"""Declaration record -> declaration row + parties: every field checked (see docs/ingest.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from mainport.ingest import checks
from mainport.ingest.checks import Invalid
from mainport.reference.containers import SIZE_TYPES
from mainport.reference.countries import is_country
from mainport.reference.hs import is_hs6_shape, is_known_hs
from mainport.reference.nodes import hub_for_declaration

FIELDS = (
    "reference",
    "filed_at",
    "amended_at",
    "amendments",
    "bill_of_lading",
    "consignor_eori",
    "consignor_name",
    "consignor_country",
    "consignee_eori",
    "consignee_name",
    "consignee_country",
    "notify_eori",
    "notify_name",
    "notify_country",
    "declarant_eori",
    "declarant_name",
    "declarant_country",
    "carrier",
    "vessel_imo",
    "voyage_number",
    "mode",
    "place_of_loading",
    "place_of_discharge",
    "place_of_delivery",
    "countries_of_routing",
    "hs_code",
    "goods_description",
    "packages",
    "package_type",
    "gross_mass_kg",
    "container_number",
    "size_type",
    "seal_numbers",
)
REQUIRED = (
    "reference",
    "filed_at",
    "bill_of_lading",
    "consignor_eori",
    "consignor_name",
    "consignor_country",
    "consignee_eori",
    "consignee_name",
    "consignee_country",
    "mode",
    "place_of_loading",
    "place_of_discharge",
    "hs_code",
    "goods_description",
    "packages",
    "gross_mass_kg",
)
MODES = ("sea", "air", "road")
ROLES = ("consignor", "consignee", "notify", "declarant")
OPTIONAL_ROLES = ("notify", "declarant")
_EORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,15}$")
_SCAC = re.compile(r"^[A-Z]{2,4}$")
_PACKAGE_TYPE = re.compile(r"^[A-Z0-9]{2,4}$")
MAX_AIR_KG = 150_000.0  # more than a freighter's whole payload in one declaration is not plausible
MAX_ROAD_KG = 40_000.0
FUTURE_TOLERANCE = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class PartyRef:
    eori: str
    name: str
    country: str


# Declarations take a number where text is due (voyage numbers, references written as JSON numbers).
_text = partial(checks.text, numbers=True)


@dataclass(frozen=True, slots=True)
class ValidDeclaration:
    row: dict[str, Any]  # declaration columns without party ids
    parties: dict[str, PartyRef]  # role -> party


def _number(d: dict[str, Any], name: str) -> float:
    value = d.get(name)
    try:
        number = float(value) if not isinstance(value, bool) else float("nan")  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise Invalid(f"{name}: not a number (value {value!r:.60})") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise Invalid(f"{name}: not a finite number (value {value!r:.60})")
    return number


def _list(d: dict[str, Any], name: str) -> list[str]:
    value = d.get(name)
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [p.strip() for p in value.split(";") if p.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"{name}: must be a list of strings (value {value!r:.60})")
    return [v.strip() for v in value]


def _party(d: dict[str, Any], role: str) -> PartyRef | None:
    eori = _text(d, f"{role}_eori", 17, required=role not in OPTIONAL_ROLES)
    name = _text(d, f"{role}_name", 200, required=role not in OPTIONAL_ROLES)
    country = _text(d, f"{role}_country", 2, required=role not in OPTIONAL_ROLES)
    if eori is None and name is None and country is None:
        return None
    if eori is None or name is None or country is None:
        missing = [f for f, v in (("eori", eori), ("name", name), ("country", country)) if v is None]
        raise Invalid(f"{role}_{missing[0]}: required when other {role} fields are given")
    eori = eori.upper()
    if not _EORI.match(eori):
        raise Invalid(
            f"{role}_eori: not an EORI number (2-letter country + up to 15 letters/digits; value {eori!r})"
        )
    country = country.upper()
    if not is_country(country):
        raise Invalid(f"{role}_country: not an ISO 3166 alpha-2 country (value {country!r})")
    return PartyRef(eori, name, country)


def validate(d: dict[str, Any], *, now: datetime) -> ValidDeclaration:
    reference = _text(d, "reference", 40, required=True)
    for name in REQUIRED:
        _text(d, name, 10_000, required=True) if name not in ("packages", "gross_mass_kg") else None
        if d.get(name) in (None, ""):
            raise Invalid(f"{name}: required field missing or empty")
    filed_at = checks.timestamp("filed_at", d.get("filed_at"))
    if filed_at > now + FUTURE_TOLERANCE:
        raise Invalid(f"filed_at: in the future (value {d.get('filed_at')!r})")
    amended_at = (
        checks.timestamp("amended_at", d["amended_at"]) if d.get("amended_at") not in (None, "") else None
    )
    amendments_value = d.get("amendments")
    try:
        amendments = int(amendments_value) if amendments_value not in (None, "") else 0
    except (TypeError, ValueError):
        raise Invalid(f"amendments: not a whole number (value {amendments_value!r:.60})") from None
    if amendments < 0:
        raise Invalid(f"amendments: negative (value {amendments})")
    if amended_at is not None and amended_at < filed_at:
        raise Invalid(f"amended_at: before filed_at ({d.get('amended_at')!r} < {d.get('filed_at')!r})")
    if amendments > 0 and amended_at is None:
        raise Invalid(f"amended_at: required when amendments is {amendments}")
    mode = str(d.get("mode")).strip().lower()
    if mode not in MODES:
        raise Invalid(f"mode: must be one of {', '.join(MODES)} (value {d.get('mode')!r})")
    parties = {role: p for role in ROLES if (p := _party(d, role)) is not None}
    loading = checks.unlocode("place_of_loading", d.get("place_of_loading"))
    discharge = checks.unlocode("place_of_discharge", d.get("place_of_discharge"))
    delivery = d.get("place_of_delivery")
    delivery = checks.unlocode("place_of_delivery", delivery) if delivery not in (None, "") else None
    routing = [c.upper() for c in _list(d, "countries_of_routing")]
    for c in routing:
        if not is_country(c):
            raise Invalid(f"countries_of_routing: not an ISO 3166 alpha-2 country (value {c!r})")
    hs = re.sub(r"[\s.]", "", str(d.get("hs_code")))
    if not is_hs6_shape(hs):
        raise Invalid(f"hs_code: must be 6 digits (value {d.get('hs_code')!r})")
    if not is_known_hs(hs):
        raise Invalid(f"hs_code: not a subheading of HS 2022 (value {hs!r})")
    packages = _number(d, "packages")
    if packages <= 0 or packages != int(packages):
        raise Invalid(f"packages: must be a whole number above 0 (value {d.get('packages')!r})")
    gross = _number(d, "gross_mass_kg")
    if gross <= 0:
        raise Invalid(f"gross_mass_kg: must be above 0 (value {d.get('gross_mass_kg')!r})")
    container = _text(d, "container_number", 20)
    size_type = _text(d, "size_type", 4)
    imo = _text(d, "vessel_imo", 12)
    if mode == "air":
        if container:
            raise Invalid(f"container_number: an air declaration has no container (value {container!r})")
        if imo:
            raise Invalid(f"vessel_imo: an air declaration has no vessel (value {imo!r})")
        if gross > MAX_AIR_KG:
            raise Invalid(
                f"gross_mass_kg: {gross:g} kg is not plausible for one air consignment (max {MAX_AIR_KG:g})"
            )
    if mode == "sea":
        if not container:
            raise Invalid("container_number: required for a sea declaration")
        if not imo:
            raise Invalid("vessel_imo: required for a sea declaration")
    if container:
        container = checks.container_number("container_number", container)
        if not size_type:
            raise Invalid("size_type: required with a container")
    if size_type:
        size_type = size_type.upper()
        st = SIZE_TYPES.get(size_type)
        if st is None:
            raise Invalid(f"size_type: unknown ISO 6346 size-type code (value {size_type!r})")
        payload = st.max_gross_kg - st.tare_kg
        if gross > payload:
            raise Invalid(
                f"gross_mass_kg: {gross:g} kg exceeds the payload of a {size_type} "
                f"(max gross {st.max_gross_kg} - tare {st.tare_kg} = {payload} kg)"
            )
    elif mode == "road" and gross > MAX_ROAD_KG:
        raise Invalid(f"gross_mass_kg: {gross:g} kg is not plausible for one road consignment")
    if imo:
        imo = checks.imo("vessel_imo", imo)
    carrier = _text(d, "carrier", 4)
    if carrier is not None and not _SCAC.match(carrier.upper()):
        raise Invalid(f"carrier: not a 2-4 letter SCAC code (value {carrier!r})")
    package_type = _text(d, "package_type", 4)
    if package_type is not None and not _PACKAGE_TYPE.match(package_type.upper()):
        raise Invalid(f"package_type: not a UN/ECE package type code (value {package_type!r})")
    seals = _list(d, "seal_numbers")
    for s in seals:
        if len(s) > 20:
            raise Invalid(f"seal_numbers: seal number longer than 20 characters (value {s[:30]!r})")
    row = {
        "reference": reference,
        "filed_at": filed_at,
        "amended_at": amended_at,
        "amendments": amendments,
        "bill_of_lading": _text(d, "bill_of_lading", 40, required=True),
        "carrier": carrier.upper() if carrier else None,
        "vessel_imo": imo or None,
        "voyage_number": _text(d, "voyage_number", 50),
        "mode": mode,
        "place_of_loading": loading,
        "place_of_discharge": discharge,
        "place_of_delivery": delivery,
        "countries_of_routing": routing,
        "hs_code": hs,
        "goods_description": _text(d, "goods_description", 5000, required=True),
        "packages": int(packages),
        "package_type": package_type.upper() if package_type else None,
        "gross_mass_kg": gross,
        "container_number": container or None,
        "size_type": size_type or None,
        "seal_numbers": seals,
        "hub": hub_for_declaration(mode, loading, discharge, delivery),
    }
    return ValidDeclaration(row, parties)
