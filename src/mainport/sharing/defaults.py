"""The register seeded on a new installation: categories, legal bases, purposes, and the default agreements.

The default agreements reproduce the permission matrix mainport had before sharing was data (see
docs/security.md): bootstrap stores them, and a database with no agreement at all is decided by this same
list, so an installation behaves the same before and after its first agreement is written."""

from __future__ import annotations

from dataclasses import dataclass

# code -> (title, customs intelligence, retention days or None)
CATEGORIES: dict[str, tuple[str, bool, int | None]] = {
    "declarations": ("Customs declarations (ENS, import, export) with their parties", True, None),
    "events": ("Container events (DCSA T&T) and the containers they concern", False, None),
    "scans": ("X-ray scans and their comparison", True, None),
    "selections": ("Risk scores, selections, watch lists and tips", True, None),
    "custody": ("Custody plans, guarded-area steps, release rights and gate decisions", False, None),
    "cases": ("Alerts, cases and their outcomes", True, None),
    "staff_lookups": ("Staff look-ups of container data (access logs; personal data)", True, 180),
    "seizures": ("Inspections, seizures and the figures built on them", True, None),
}

# code -> (title, article reference)
LEGAL_BASES: dict[str, tuple[str, str]] = {
    "UCC-46": (
        "Risk management and customs controls",
        "Regulation (EU) No 952/2013 (UCC) art. 46",
    ),
    "UCC-47": (
        "Cooperation between authorities",
        "Regulation (EU) No 952/2013 (UCC) art. 47(2)",
    ),
    "DW-1:33": ("Provision of customs data to other authorities", "Douanewet art. 1:33"),
    "WPG-16": ("Provision of police data", "Wet politiegegevens art. 16-20"),
    "ISPS": ("Port facility security", "Regulation (EC) No 725/2004 art. 3; Havenbeveiligingswet"),
    "GDPR-6-1-B": (
        "Contract (release and collection)",
        "Regulation (EU) 2016/679 art. 6(1)(b)",
    ),
    "GDPR-6-1-C": ("Legal obligation of the controller", "Regulation (EU) 2016/679 art. 6(1)(c)"),
    "GDPR-6-1-E": ("Task in the public interest", "Regulation (EU) 2016/679 art. 6(1)(e)"),
}

# code -> (title, description)
PURPOSES: dict[str, tuple[str, str]] = {
    "customs_supervision": ("Customs supervision and risk analysis", "Selecting and controlling goods"),
    "criminal_investigation": ("Criminal investigation", "Investigating and prosecuting smuggling"),
    "secure_release": ("Secure container release", "Handing over and collecting containers safely"),
    "port_security": ("Port and facility security", "Knowing what moves through one's own facility"),
    "integrity": ("Integrity of staff", "Spotting insiders who look up containers they have no task for"),
    "steering": ("Steering and accountability", "Figures for partners and the steering group"),
}

GOVERNMENT = ("customs", "police", "prosecution", "border_police", "fiscal_investigation")
HUB_BOUND = ("port_authority", "airport", "flower_auction")
EVERY_KIND = (
    *GOVERNMENT,
    "port_authority",
    "airport",
    "terminal",
    "shipping_line",
    "forwarder",
    "haulier",
    "municipality",
    "flower_auction",
)
# The scope a private kind has by default: which of "its" containers it may see.
NATURAL_SCOPE = {
    "terminal": "own_facility",
    "shipping_line": "own_carriage",
    "forwarder": "own_release_rights",
    "haulier": "own_release_rights",
    "port_authority": "own_hub",
    "airport": "own_hub",
    "flower_auction": "own_hub",
    "municipality": "aggregated_only",
}
DEFAULT_OWNER = "DOUANE"


@dataclass(frozen=True)
class DefaultAgreement:
    reference: str
    partner_kind: str
    category: str
    actions: tuple[str, ...]
    conditions: tuple[str, ...]
    purpose: str
    legal_basis: str


def _purpose(kind: str, category: str) -> tuple[str, str]:
    if kind == "customs":
        return "customs_supervision", "UCC-46"
    if kind in GOVERNMENT:
        return "criminal_investigation", "DW-1:33"
    if category == "staff_lookups":
        return "integrity", "GDPR-6-1-C"
    if category == "seizures":
        return "steering", "GDPR-6-1-E"
    if kind in HUB_BOUND or kind == "municipality":
        return "port_security", "ISPS"
    return "secure_release", "GDPR-6-1-B"


def _grant(category: str, action: str, kinds: tuple[str, ...], scoped: bool) -> list[DefaultAgreement]:
    out = []
    for kind in kinds:
        conditions: tuple[str, ...] = ()
        if scoped and kind not in GOVERNMENT:
            conditions = (NATURAL_SCOPE[kind],)
        purpose, basis = _purpose(kind, category)
        out.append(
            DefaultAgreement(
                f"DEFAULT-{category}-{action}-{kind}", kind, category, (action,), conditions, purpose, basis
            )
        )
    return out


def default_agreements() -> list[DefaultAgreement]:
    """The matrix of identity.principal as agreements: government reads intelligence, private parties
    see what concerns them (by their natural scope), the municipality figures only."""
    private_all = tuple(k for k in EVERY_KIND if k not in GOVERNMENT)
    out: list[DefaultAgreement] = []
    out += _grant("declarations", "read", GOVERNMENT, False)
    out += _grant("declarations", "write", ("customs",), False)
    out += _grant("events", "read", EVERY_KIND, True)
    out += _grant("events", "write", ("customs", "terminal", "shipping_line", "port_authority"), True)
    for category in ("selections", "scans", "cases"):
        out += _grant(category, "read", GOVERNMENT, False)
        out += _grant(category, "write", GOVERNMENT, False)
    # custody: every partner takes part in the chain of custody; the custody service keeps each to its own.
    out += _grant("custody", "read", GOVERNMENT, False)
    out += _grant("custody", "write", GOVERNMENT, False)
    for kind in private_all:
        scope = "own_facility" if kind == "municipality" else NATURAL_SCOPE[kind]
        purpose, basis = _purpose(kind, "custody")
        for action in ("read", "write"):
            out.append(
                DefaultAgreement(
                    f"DEFAULT-custody-{action}-{kind}", kind, "custody", (action,), (scope,), purpose, basis
                )
            )
    out += _grant("staff_lookups", "read", GOVERNMENT, False)
    out += _grant("staff_lookups", "write", ("customs", "terminal", "port_authority", "airport"), False)
    out += _grant("seizures", "read", GOVERNMENT, False)
    out += [
        DefaultAgreement(
            f"DEFAULT-seizures-read-{k}",
            k,
            "seizures",
            ("read",),
            ("aggregated_only",),
            *_purpose(k, "seizures"),
        )
        for k in private_all
    ]
    out += _grant("seizures", "write", GOVERNMENT, False)
    return out
