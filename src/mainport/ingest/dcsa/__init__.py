"""DCSA Track & Trace event schemas (copied from the public specs) and a fast validator compiled from them."""
