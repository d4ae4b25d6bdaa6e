"""Scan comparison for container X-ray images (origin port vs arrival port).

Pure array functions (scikit-image style) with I/O kept at the edges (:mod:`.io`, :mod:`.batch`,
:mod:`.cli`). Main entry points: :func:`read_scan`, :func:`write_scan`, :func:`compare`,
:func:`check_declared`, :func:`render_scan`, :func:`render_pair`, :func:`render_overlay`.
"""

from mainport.imaging.compare import ChangeRegion, CompareParams, Comparison, compare
from mainport.imaging.declared import SingleScanResult, check_declared
from mainport.imaging.errors import ComparisonError, ImagingError, ScanFileError, UnsupportedFormat
from mainport.imaging.io import (
    ScanReader,
    UffReader,
    quarantine_scan,
    read_scan,
    register_reader,
    write_scan,
)
from mainport.imaging.meta import ScanImage, ScanMeta
from mainport.imaging.overlay import render_overlay, save_overlay
from mainport.imaging.render import PairSample, render_pair, render_scan
from mainport.imaging.scanner import SCANNERS, ScannerModel
from mainport.imaging.scene import Concealment, ContainerContents, ScanState

__all__ = [
    "SCANNERS",
    "ChangeRegion",
    "CompareParams",
    "Comparison",
    "ComparisonError",
    "Concealment",
    "ContainerContents",
    "ImagingError",
    "PairSample",
    "ScanFileError",
    "ScanImage",
    "ScanMeta",
    "ScanReader",
    "ScanState",
    "ScannerModel",
    "SingleScanResult",
    "UffReader",
    "UnsupportedFormat",
    "check_declared",
    "compare",
    "quarantine_scan",
    "read_scan",
    "register_reader",
    "render_overlay",
    "render_pair",
    "render_scan",
    "save_overlay",
    "write_scan",
]
