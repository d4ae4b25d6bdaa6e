"""The synthetic world: container, air and flower-auction flows with smuggling hidden in them (docs/world.md).

The product never reads `truth/`; only evaluation code does.
"""

from mainport.world.config import WorldConfig
from mainport.world.enforcement import DayOutcome, InspectionOutcome, Policy, RandomPolicy, RiskRulePolicy
from mainport.world.engine import World
from mainport.world.generate import generate_world, load_world

__all__ = [
    "DayOutcome",
    "InspectionOutcome",
    "Policy",
    "RandomPolicy",
    "RiskRulePolicy",
    "World",
    "WorldConfig",
    "generate_world",
    "load_world",
]
