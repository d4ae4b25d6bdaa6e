"""Scan metadata and the in-memory scan type.

Array contract for :class:`ScanImage`: ``pixels`` is a 2-D array (uint16 or float32/64),
axis 0 = detector rows (vertical, top of the image = top of the container),
axis 1 = travel axis (along the container length). Values are transmitted intensity
(higher = less attenuation). A dual-energy scan carries its second (lower end-point) channel in
``second`` (same shape and dtype rules) with ``ScanMeta.second_energy_mev``; ``pixels`` is then the
channel at ``energy_mev``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

import numpy as np

from mainport.imaging.errors import ScanFileError

# One ISO 6346 implementation for the whole platform (the reference domain's); the name stays for callers.
from mainport.reference.containers import iso6346_check_digit as iso6346_check_digit
from mainport.reference.containers import parse_container_number

Direction = Literal["forward", "reverse"]
SIDECAR_KEYS = ("container_id", "scanner_id", "pixel_pitch_mm", "energy_mev", "scan_time", "direction")
OPTIONAL_KEYS = ("second_energy_mev",)


def _iso6346_valid(container_id: str) -> bool:
    try:
        parse_container_number(container_id)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class ScanMeta:
    """Sidecar metadata. ``pixel_pitch_mm`` = (horizontal/travel, vertical/detector) in mm."""

    container_id: str
    scanner_id: str
    pixel_pitch_mm: tuple[float, float]
    energy_mev: float
    scan_time: datetime
    direction: Direction = "forward"
    second_energy_mev: float | None = None  # dual energy: end point of the second channel

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "container_id": self.container_id,
            "scanner_id": self.scanner_id,
            "pixel_pitch_mm": [float(self.pixel_pitch_mm[0]), float(self.pixel_pitch_mm[1])],
            "energy_mev": float(self.energy_mev),
            "scan_time": self.scan_time.isoformat(),
            "direction": self.direction,
        }
        if self.second_energy_mev is not None:
            out["second_energy_mev"] = float(self.second_energy_mev)
        return out

    @classmethod
    def from_json(cls, data: Any, path: object = None) -> ScanMeta:
        """Validate a sidecar dict; every problem becomes a :class:`ScanFileError`."""
        if not isinstance(data, dict):
            raise ScanFileError("sidecar is not a JSON object", path)
        missing = [k for k in SIDECAR_KEYS if k not in data]
        if missing:
            raise ScanFileError(f"sidecar missing key(s): {', '.join(missing)}", path)
        cid = data["container_id"]
        if not isinstance(cid, str):
            raise ScanFileError(f"invalid ISO 6346 container id: {cid!r}", path)
        try:
            number = parse_container_number(cid)
        except ValueError as exc:  # the reference parser says exactly what is wrong (check digit, ...)
            raise ScanFileError(f"invalid ISO 6346 container id {cid!r}: {exc}", path) from None
        pitch = data["pixel_pitch_mm"]
        try:
            ph, pv = (float(pitch[0]), float(pitch[1]))
            if len(pitch) != 2:
                raise ValueError
        except (TypeError, ValueError, IndexError, KeyError):
            raise ScanFileError(f"pixel_pitch_mm must be [horizontal, vertical]: {pitch!r}", path) from None
        if not (ph > 0 and pv > 0 and math.isfinite(ph) and math.isfinite(pv)):
            raise ScanFileError(f"pixel_pitch_mm must be positive: {pitch!r}", path)
        try:
            energy = float(data["energy_mev"])
        except (TypeError, ValueError):
            raise ScanFileError(f"energy_mev is not a number: {data['energy_mev']!r}", path) from None
        if not (energy > 0 and math.isfinite(energy)):
            raise ScanFileError(f"energy_mev must be positive: {energy!r}", path)
        try:
            when = datetime.fromisoformat(str(data["scan_time"]))
        except ValueError:
            raise ScanFileError(f"scan_time is not ISO 8601: {data['scan_time']!r}", path) from None
        if when.tzinfo is None:
            raise ScanFileError("scan_time must carry a time zone", path)
        direction = data["direction"]
        if direction not in ("forward", "reverse"):
            raise ScanFileError(f"direction must be 'forward' or 'reverse': {direction!r}", path)
        second = data.get("second_energy_mev")
        if second is not None:
            try:
                second = float(second)
            except (TypeError, ValueError):
                raise ScanFileError(f"second_energy_mev is not a number: {second!r}", path) from None
            if not (second > 0 and math.isfinite(second)) or second == energy:
                raise ScanFileError(
                    f"second_energy_mev must be positive and differ from energy_mev: {second!r}", path
                )
        return cls(
            container_id=str(number),
            scanner_id=str(data["scanner_id"]),
            pixel_pitch_mm=(ph, pv),
            energy_mev=energy,
            scan_time=when,
            direction=direction,
            second_energy_mev=second,
        )


@dataclass
class ScanImage:
    """One transmission image plus metadata (see module docstring for the array contract)."""

    pixels: np.ndarray
    meta: ScanMeta
    extra: dict[str, Any] = field(default_factory=dict)
    second: np.ndarray | None = None  # second energy channel (dual-energy scanners)

    def __post_init__(self) -> None:
        if self.pixels.ndim != 2:
            raise ScanFileError(f"scan pixels must be 2-D, got shape {self.pixels.shape}")
        if self.pixels.dtype != np.uint16 and not np.issubdtype(self.pixels.dtype, np.floating):
            raise ScanFileError(f"scan pixels must be uint16 or float, got {self.pixels.dtype}")
        if min(self.pixels.shape) < 8:
            raise ScanFileError(f"scan too small: {self.pixels.shape}")
        if self.second is not None:
            if self.second.shape != self.pixels.shape:
                raise ScanFileError(
                    f"second energy channel has shape {self.second.shape}, the first {self.pixels.shape}"
                )
            if self.meta.second_energy_mev is None:
                raise ScanFileError("a second energy channel needs second_energy_mev in the metadata")
        elif self.meta.second_energy_mev is not None:
            raise ScanFileError("metadata names a second energy channel but the scan has none")

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.pixels.shape[0]), int(self.pixels.shape[1]))

    def with_pixels(self, pixels: np.ndarray) -> ScanImage:
        return replace(self, pixels=pixels)
