"""Insider signals: staff look-ups of container data (access logs), kept for analysts (insider:read)."""
