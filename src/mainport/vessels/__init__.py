"""Vessels as the object of control: port calls, the vessel risk score, diver inspections, outcomes."""
