"""Validated ingest of declarations and DCSA events; every record is stored, a duplicate, or quarantined."""
