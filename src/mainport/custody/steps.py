"""The custody plan as a state machine (pure): which step may follow which, and what a deviation is."""

from __future__ import annotations

from dataclasses import dataclass

ACTIVE_STATES = frozenset({"planned", "discharged", "guarded", "inspecting"})
FINAL_STATES = frozenset({"released", "seized", "cancelled"})
# A container in one of these states may not leave the terminal: customs holds it.
HOLD_STATES = frozenset({"planned", "discharged", "guarded", "inspecting", "seized"})

# step -> (states it may follow, state it leads to; None keeps the state)
STEPS: dict[str, tuple[frozenset[str], str | None]] = {
    "selected": (frozenset({"planned"}), None),
    "discharged": (frozenset({"planned"}), "discharged"),
    "guarded": (frozenset({"discharged"}), "guarded"),
    "moved": (frozenset(ACTIVE_STATES | FINAL_STATES), None),
    "inspection_started": (frozenset({"guarded"}), "inspecting"),
    "released": (frozenset({"guarded", "inspecting"}), "released"),
    "seized": (frozenset({"guarded", "inspecting"}), "seized"),
    "cancelled": (frozenset({"planned", "discharged", "guarded"}), "cancelled"),
    "gate_out": (frozenset({"released"}), None),
    "picked_up": (frozenset({"released"}), None),
    "loaded": (frozenset({"released"}), None),
    "door_opened": (frozenset(ACTIVE_STATES | FINAL_STATES), None),
    "door_closed": (frozenset(ACTIVE_STATES | FINAL_STATES), None),
    "seal_check": (frozenset(ACTIVE_STATES | FINAL_STATES), None),
}

# Steps only customs may record; terminals record the physical moves they make.
GOVERNMENT_STEPS = frozenset({"inspection_started", "released", "seized", "cancelled"})

# DCSA Track & Trace type codes -> custody step.
DCSA_STEPS = {
    "DISC": "discharged",
    "GTOT": "gate_out",
    "PICK": "picked_up",
    "LOAD": "loaded",
    "INSP": "inspection_started",
    "DRO": "door_opened",
    "DRC": "door_closed",
}
LEAVING_STEPS = frozenset({"gate_out", "picked_up", "loaded"})


@dataclass(frozen=True)
class Deviation:
    kind: str  # alert kind, custody.*
    severity: int
    title: str


def step_for_event(type_code: str, location: str | None, guarded_area: str) -> str:
    """The custody step an observed event stands for; arriving at the guarded area is a step of its own."""
    step = DCSA_STEPS.get(type_code.upper())
    if step is not None:
        return step
    return "guarded" if location == guarded_area else "moved"


def apply_step(state: str, step: str, location: str | None, guarded_area: str) -> tuple[str, list[Deviation]]:
    """The state after ``step`` and the deviations it shows. The step is always logged: the log is what
    happened, the deviations are why someone must look."""
    if step not in STEPS:
        raise ValueError(f"unknown custody step {step!r}; known: {', '.join(STEPS)}")
    allowed_from, target = STEPS[step]
    deviations: list[Deviation] = []
    if step in LEAVING_STEPS and state in HOLD_STATES:
        deviations.append(
            Deviation(f"custody.{step}_under_control", 4, f"{step.replace('_', ' ')} while under control")
        )
        return state, deviations
    if step == "guarded" and state == "planned":
        deviations.append(
            Deviation("custody.missing_discharge", 3, "in guarded area without a discharge scan")
        )
        return "guarded", deviations
    if step in ("released", "seized") and state in ("planned", "discharged"):
        # Customs decided without the box reaching the guarded area: the decision stands, the gap is flagged.
        deviations.append(
            Deviation("custody.concluded_outside_guarded_area", 2, f"{step} before the guarded area")
        )
        return step, deviations
    if step == "guarded" and state in ("guarded", "inspecting"):
        return state, deviations  # a re-scan in the guarded area
    if step == "moved" and state in ("guarded", "inspecting") and location and location != guarded_area:
        deviations.append(
            Deviation("custody.moved_out_of_guarded_area", 4, f"moved to {location} while under control")
        )
        return state, deviations
    if state not in allowed_from:
        deviations.append(Deviation("custody.out_of_order", 3, f"step {step} out of order in state {state}"))
        return state, deviations
    return target or state, deviations
