"""The first start's demo: a world that ends today, loaded through ingest, and the product used on it by a
cast of real users (docs/world.md, "First start"). Product side only: it never reads the world's truth."""

from mainport.demo.first_start import FirstStart, run_first_start
from mainport.demo.plan import DemoPlan

__all__ = ["DemoPlan", "FirstStart", "run_first_start"]
