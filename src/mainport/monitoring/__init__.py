"""Monitoring: figures per hub, public seizure series, budgets, waterbed detection, dashboard and report."""
