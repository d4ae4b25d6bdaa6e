"""Risk targeting (docs/targeting.md)."""

import os

# OpenMP threads that wait for work spin: on the loaded shared box LightGBM with 2 threads took 23.6 s
# instead of 2.8 s with one (50 rounds, 200,000 rows, measured). Waiting passively keeps two threads at worst
# as fast as one. The runtime reads this when it loads, so it is set before any targeting module imports
# lightgbm.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
