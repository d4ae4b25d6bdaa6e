"""Append-only, hash-chained audit log of reads of sensitive records and of every change."""
