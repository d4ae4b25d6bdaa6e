"""Where a scan was taken and whether it is an origin or an arrival scan, from its sidecar and scanner id.

Rules, first match wins:

* location: the sidecar's ``unlocode`` (or ``location``) key; else a scanner id that starts with a
  UN/LOCODE (``NLRTM-ECTDE-X1``, the convention of the world's scan requests); else the table of known
  installations below.
* phase: the caller's argument; else the sidecar's ``phase`` key; else ``arrival`` when the location is one
  of the five Dutch hubs and ``origin`` elsewhere (the programme scans boxes before loading abroad and again
  on arrival here).
"""

from __future__ import annotations

from typing import Any, Literal

from mainport.reference.locations import is_unlocode_shape
from mainport.reference.nodes import node_for_location

Phase = Literal["origin", "arrival"]
PHASES: tuple[str, ...] = ("origin", "arrival")

# Scanner installations of `imaging.scanner.SCANNERS` (also what `mainport world generate --render-scans`
# writes in the sidecars): scanner id -> UN/LOCODE of the port where it stands.
SCANNER_LOCATIONS: dict[str, str] = {
    "GYE-DT6": "ECGYE",  # Guayaquil, drive-through
    "SMR-DT4": "COSMR",  # Santa Marta, drive-through
    "RTM-GANTRY9": "NLRTM",  # Rotterdam, gantry
    "RTM-DT6": "NLRTM",  # Rotterdam, drive-through
}


class SiteUnknown(ValueError):
    """The scan's location or phase cannot be determined from what came with it."""


def scan_location(scanner_id: str, sidecar: dict[str, Any]) -> str:
    for key in ("unlocode", "location"):
        value = sidecar.get(key)
        if isinstance(value, str) and is_unlocode_shape(value.strip().upper()):
            return value.strip().upper()
        if value is not None:
            raise SiteUnknown(f"sidecar {key} {value!r} is not a UN/LOCODE")
    prefix = scanner_id.split("-", 1)[0].strip().upper()
    if len(prefix) == 5 and is_unlocode_shape(prefix):
        return prefix
    if scanner_id in SCANNER_LOCATIONS:
        return SCANNER_LOCATIONS[scanner_id]
    raise SiteUnknown(
        f"scanner {scanner_id!r} has no known location: add 'unlocode' to the sidecar "
        "or the scanner to imaging.sites.SCANNER_LOCATIONS"
    )


def scan_phase(given: str | None, sidecar: dict[str, Any], unlocode: str) -> Phase:
    value = given if given is not None else sidecar.get("phase")
    if value is not None:
        if value not in PHASES:
            raise SiteUnknown(f"phase must be origin or arrival, got {value!r}")
        return value  # type: ignore[return-value]
    return "arrival" if node_for_location(unlocode) else "origin"


def hub_of(unlocode: str) -> str | None:
    return node_for_location(unlocode)
