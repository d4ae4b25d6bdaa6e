"""Tunables of the comparison, in physical units where possible (so they survive a change of working grid)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CompareParams:
    work_mm: float = 12.0  # common working grid (mm per pixel)
    smooth_px: float = 1.0  # pre-smoothing (noise) in working pixels
    tolerance_mm: float = 40.0  # shift tolerance along travel of the min/max test (settling, warp)
    tolerance_v_mm: float = 30.0  # vertical tolerance after the vertical warp
    cargo_vtol_mm: float = 0.0  # taller window in the cargo space (0: off; it cost more detections than FAs)
    z_seed: float = 3.5  # robust z for a change core
    z_grow: float = 2.5  # robust z to grow the core to the object's extent
    min_core_cm2: float = 12.0  # smallest core (after opening)
    min_core_cm2_coarse: float = 240.0  # at the 2x scale only large layers count
    end_margin_mm: float = 120.0  # ignore the door/front faces (locking bars, handles, seals move)
    max_shift_mm: float = 400.0  # travel-axis warp search range
    max_vshift_mm: float = 100.0  # vertical warp search range after the global alignment
    max_vlocal_mm: float = 0.0  # ... and per section of the container, on top of the global one (0: off)
    max_affine_mm: float = 800.0  # global alignment offset range (vertical, whole-image correlation)
    align_skip_frac: float = 0.3  # top fraction (roof to floor) left out of the vertical alignment
    end_zone_mm: float = 500.0  # reefer machinery / door frame zone at each end: its own noise model
    roof_zone_frac: float = 0.12  # top rows (roof, top rails, fan-beam roof band): own noise model
    floor_band_mm: float = 250.0  # bottom band treated as rigid structure (tight tolerance)
    rel_object: float = 0.2  # change < 20% of a pre-existing object's attenuation that follows its edges
    z_cap: float = 40.0  # evidence = sum of min(z, cap) x cm2 over the core
    min_fill: float = 0.35  # fraction of its bounding box a plausible region fills
    min_delta: float = 0.1  # median |delta A| of a region; 6 cm of bricks is ~0.17 even at 9 MeV
    proportional_r2: float = 0.6  # fit quality of delta ~ k * background that marks a scale mismatch
    streak_max_px: int = 25  # streaks: thinner than this ...
    streak_aspect: float = 12.0  # ... and longer than this many times their thickness (horizontal)
    streak_aspect_cargo: float = 8.0  # same above the floor band
    streak_aspect_v: float = 5.0  # vertical streaks: pallet gaps/edges; bricks are never that tall/thin
    balance_mm: float = 800.0  # reach of the mass-balance test above/below and either side of a region
    balance_lo: float = 0.15  # net/own change below this: moved material, no evidence ...
    balance_hi: float = 0.55  # ... above this: full evidence
    silhouette_lo: float = 0.2  # a region on top of a stack whose change is this fraction ...
    silhouette_hi: float = 1.5  # ... to this of the stack's own attenuation: the stack seen taller
    dual_energy: bool = True  # use a second energy channel when a scan has one
    # logistic calibration of log1p(stat); fitted on the tuning split of the own renderer (docs/imaging.md)
    calib_a: float = 1.6908
    calib_b: float = -12.3644


DEFAULT_PARAMS = CompareParams()
