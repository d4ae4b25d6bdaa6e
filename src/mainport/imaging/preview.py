"""Display renders of 16-bit scans: 8-bit PNG, radiograph look (air white, dense dark), bounded width.

Pure apart from the PNG encoding. The raw 16-bit values span the detector's range; a browser shows them
nearly black or white, so the preview maps log attenuation through robust percentiles.
"""

from __future__ import annotations

import io

import numpy as np

from mainport.imaging.meta import ScanImage
from mainport.imaging.normalise import log_attenuation

MAX_WIDTH = 1600


def preview_array(scan: ScanImage, max_width: int = MAX_WIDTH) -> np.ndarray:
    """(rows, cols) uint8; width at most ``max_width`` (block-mean downsampling, aspect kept)."""
    a = log_attenuation(scan.pixels)
    step = max(1, int(np.ceil(a.shape[1] / max_width)))
    if step > 1:
        rows, cols = (a.shape[0] // step) * step, (a.shape[1] // step) * step
        a = a[:rows, :cols].reshape(rows // step, step, cols // step, step).mean(axis=(1, 3))
    hi = float(max(np.percentile(a, 99.5), 0.5))
    grey = np.clip(1.0 - a / hi, 0.0, 1.0)
    return (grey * 255).round().astype(np.uint8)


def png_bytes(img: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()
