"""Errors raised by the imaging package (kept local so the pure modules need no web/DB imports)."""

from __future__ import annotations


class ImagingError(Exception):
    """Base class for all imaging errors."""


class ScanFileError(ImagingError):
    """A scan file is corrupt, truncated or inconsistent with its sidecar.

    ``reason`` is a short human-readable explanation, ``path`` the offending file.
    """

    def __init__(self, reason: str, path: object = None) -> None:
        self.reason = reason
        self.path = None if path is None else str(path)
        super().__init__(f"{reason} ({self.path})" if self.path else reason)


class UnsupportedFormat(ScanFileError):
    """No reader/writer is registered for this file type (or the layout is not public)."""


class ComparisonError(ImagingError):
    """Two scans cannot be compared (e.g. no container found, incompatible sizes)."""
