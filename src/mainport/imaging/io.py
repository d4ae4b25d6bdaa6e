"""Reading and writing scans: DICOS, 16-bit PNG/TIFF + JSON sidecar, NumPy .npy + sidecar.

Dual-energy scans (``ScanImage.second`` + sidecar ``second_energy_mev``) are stored in the same file: a
(2, rows, cols) array in ``.npy``, two pages in TIFF, two frames in DICOS. PNG holds one channel only.

I/O lives here, at the edge; everything else in :mod:`mainport.imaging` works on arrays.
Formats are looked up in a small registry (by extension, then by sniffing the first bytes), so a
vendor adapter (e.g. for the WCO Unified File Format) can be plugged in with :func:`register_reader`.
Every failure is turned into :class:`ScanFileError` with a reason; nothing leaks as a raw crash.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from mainport.imaging.errors import ScanFileError, UnsupportedFormat
from mainport.imaging.meta import ScanImage, ScanMeta


@runtime_checkable
class ScanReader(Protocol):
    """Adapter seam: one object per file format."""

    name: str
    extensions: tuple[str, ...]

    def sniff(self, head: bytes) -> bool:
        """True if the first bytes of a file look like this format."""
        ...

    def read(self, path: Path) -> ScanImage: ...

    def write(self, scan: ScanImage, path: Path) -> None: ...


_READERS: list[ScanReader] = []


def register_reader(reader: ScanReader, *, first: bool = False) -> None:
    """Add a reader (vendor adapters call this); ``first=True`` overrides built-ins for shared extensions."""
    if first:
        _READERS.insert(0, reader)
    else:
        _READERS.append(reader)


def registered_readers() -> list[ScanReader]:
    return list(_READERS)


def sidecar_path(path: Path) -> Path:
    return Path(path).with_suffix(".json")


def _read_sidecar(path: Path) -> ScanMeta:
    side = sidecar_path(path)
    if not side.exists():
        raise ScanFileError(f"missing JSON sidecar {side.name}", path)
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScanFileError(f"unreadable sidecar: {exc}", side) from None
    return ScanMeta.from_json(data, side)


def _write_sidecar(scan: ScanImage, path: Path) -> None:
    sidecar_path(path).write_text(json.dumps(scan.meta.to_json(), indent=2), encoding="utf-8")


def _check_pixels(arr: np.ndarray, path: Path) -> np.ndarray:
    if arr.ndim != 2:
        raise ScanFileError(f"expected a 2-D single-channel image, got shape {arr.shape}", path)
    if arr.dtype != np.uint16 and not np.issubdtype(arr.dtype, np.floating):
        raise ScanFileError(f"expected uint16 (or float) pixels, got {arr.dtype}", path)
    if min(arr.shape) < 8:
        raise ScanFileError(f"image too small: {arr.shape}", path)
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        raise ScanFileError("image contains NaN/inf", path)
    return arr


def _channels(arr: np.ndarray, meta: ScanMeta, path: Path) -> ScanImage:
    """One image, or two stacked channels when the metadata names a second energy."""
    if meta.second_energy_mev is None:
        if arr.ndim == 3 and arr.shape[0] == 2:
            raise ScanFileError(
                "file holds two energy channels but the metadata has no second_energy_mev", path
            )
        return ScanImage(_check_pixels(arr, path), meta)
    if arr.ndim != 3 or arr.shape[0] != 2:
        raise ScanFileError(
            f"metadata names a second energy ({meta.second_energy_mev} MeV) but the file holds one "
            f"channel, shape {arr.shape}",
            path,
        )
    return ScanImage(_check_pixels(arr[0], path), meta, second=_check_pixels(arr[1], path))


def _stacked(scan: ScanImage) -> np.ndarray:
    return scan.pixels if scan.second is None else np.stack([scan.pixels, scan.second])


def _to_uint16(scan: ScanImage, path: Path) -> np.ndarray:
    px = _stacked(scan)
    if px.dtype == np.uint16:
        return px
    raise ScanFileError("16-bit formats need uint16 pixels; convert (or use .npy for float)", path)


class NpyReader:
    name: str = "npy"
    extensions: tuple[str, ...] = (".npy",)

    def sniff(self, head: bytes) -> bool:
        return head.startswith(b"\x93NUMPY")

    def read(self, path: Path) -> ScanImage:
        meta = _read_sidecar(path)
        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise ScanFileError(f"corrupt .npy: {exc}", path) from None
        return _channels(np.asarray(arr), meta, path)

    def write(self, scan: ScanImage, path: Path) -> None:
        np.save(path, _stacked(scan), allow_pickle=False)
        _write_sidecar(scan, path)


class PngReader:
    name: str = "png16"
    extensions: tuple[str, ...] = (".png",)

    def sniff(self, head: bytes) -> bool:
        return head.startswith(b"\x89PNG\r\n\x1a\n")

    def read(self, path: Path) -> ScanImage:
        from PIL import Image, UnidentifiedImageError

        meta = _read_sidecar(path)
        if meta.second_energy_mev is not None:
            raise ScanFileError(
                "a PNG holds one channel: store dual-energy scans as .npy, .tif or DICOS", path
            )
        try:
            with Image.open(path) as im:
                im.load()
                if im.mode not in ("I;16", "I;16B", "I"):
                    raise ScanFileError(f"PNG is not 16-bit greyscale (mode {im.mode})", path)
                arr = np.asarray(im)
        except (OSError, SyntaxError, UnidentifiedImageError, ValueError) as exc:
            raise ScanFileError(f"corrupt PNG: {exc}", path) from None
        if arr.dtype != np.uint16:
            if arr.min() < 0 or arr.max() > 65535:
                raise ScanFileError("PNG values outside 16-bit range", path)
            arr = arr.astype(np.uint16)
        return ScanImage(_check_pixels(arr, path), meta)

    def write(self, scan: ScanImage, path: Path) -> None:
        from PIL import Image

        if scan.second is not None:
            raise ScanFileError(
                "a PNG holds one channel: store dual-energy scans as .npy, .tif or DICOS", path
            )
        arr = _to_uint16(scan, path)
        Image.fromarray(np.ascontiguousarray(arr)).save(path, format="PNG")
        _write_sidecar(scan, path)


class TiffReader:
    name: str = "tiff16"
    extensions: tuple[str, ...] = (".tif", ".tiff")

    def sniff(self, head: bytes) -> bool:
        return head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

    def read(self, path: Path) -> ScanImage:
        import tifffile

        meta = _read_sidecar(path)
        try:
            arr = tifffile.imread(path)
        except Exception as exc:  # tifffile raises many types on corrupt files
            raise ScanFileError(f"corrupt TIFF: {exc}", path) from None
        return _channels(np.asarray(arr), meta, path)

    def write(self, scan: ScanImage, path: Path) -> None:
        import tifffile

        tifffile.imwrite(path, _to_uint16(scan, path))
        _write_sidecar(scan, path)


class DicosReader:
    """DICOS DX 'For Processing' (NEMA IIC 1): DICOM file, metadata in the header, no sidecar.

    Mapping: container id -> OOI ID (0010,0020, DICOS reuses the patient module), scanner -> Device
    Serial Number, energy -> KVP (kV), time -> Acquisition DateTime (with offset), pitch -> Pixel
    Spacing [vertical, horizontal] (DICOM order: row spacing first), direction -> private tag.
    """

    name: str = "dicos"
    extensions: tuple[str, ...] = (".dcs", ".dcm", ".dicos")
    _PRIVATE_GROUP = 0x0011
    _PRIVATE_CREATOR = "MAINPORT IMAGING"

    def sniff(self, head: bytes) -> bool:
        return len(head) >= 132 and head[128:132] == b"DICM"

    def read(self, path: Path) -> ScanImage:
        import pydicom
        from pydicom.errors import InvalidDicomError

        try:
            ds = pydicom.dcmread(path)
            arr = ds.pixel_array
        except (InvalidDicomError, OSError, ValueError, AttributeError, KeyError, EOFError) as exc:
            raise ScanFileError(f"corrupt or truncated DICOS: {exc}", path) from None
        except Exception as exc:  # pydicom can raise odd types on garbage; never crash the caller
            raise ScanFileError(f"corrupt DICOS: {type(exc).__name__}: {exc}", path) from None
        sop = str(getattr(ds, "SOPClassUID", ""))
        if not sop.startswith("1.2.840.10008.5.1.4.1.1.501"):
            raise ScanFileError(f"not a DICOS object (SOP class {sop or 'missing'})", path)
        try:
            spacing = [float(v) for v in ds.PixelSpacing]
            when = _parse_dt(str(ds.AcquisitionDateTime))
            direction = "forward"
            second: float | None = None
            try:
                block = ds.private_block(self._PRIVATE_GROUP, self._PRIVATE_CREATOR)
                direction = str(block[0x01].value).lower()
                if 0x02 in block:
                    second = float(block[0x02].value) / 1000.0
            except KeyError:
                pass
            meta_json = {
                "container_id": str(ds.PatientID),
                "scanner_id": str(ds.get("DeviceSerialNumber", "")),
                "pixel_pitch_mm": [spacing[1], spacing[0]],
                "energy_mev": float(ds.KVP) / 1000.0,
                "scan_time": when,
                "direction": direction,
            }
            if second is not None:
                meta_json["second_energy_mev"] = second
        except (AttributeError, ValueError, TypeError, IndexError) as exc:
            raise ScanFileError(f"DICOS header incomplete: {exc}", path) from None
        meta = ScanMeta.from_json(meta_json, path)
        return _channels(np.asarray(arr), meta, path)

    def write(self, scan: ScanImage, path: Path) -> None:
        from pydicom.dataset import FileDataset, FileMetaDataset
        from pydicom.uid import DICOSDigitalXRayImageStorageForProcessing as SOP
        from pydicom.uid import ExplicitVRLittleEndian, generate_uid

        arr = np.ascontiguousarray(_to_uint16(scan, path))
        fm = FileMetaDataset()
        fm.MediaStorageSOPClassUID = SOP
        fm.MediaStorageSOPInstanceUID = generate_uid()
        fm.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(str(path), {}, file_meta=fm, preamble=b"\0" * 128)
        m = scan.meta
        ds.SOPClassUID = SOP
        ds.SOPInstanceUID = fm.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID = generate_uid()
        ds.SeriesInstanceUID = generate_uid()
        ds.Modality = "DX"
        ds.PatientID = m.container_id  # DICOS: OOI ID
        ds.OOIType = "CARGO"
        ds.DeviceSerialNumber = m.scanner_id
        ds.KVP = f"{m.energy_mev * 1000:.1f}"
        ds.AcquisitionDateTime = _format_dt(m.scan_time)
        ds.PixelSpacing = [f"{m.pixel_pitch_mm[1]:.6g}", f"{m.pixel_pitch_mm[0]:.6g}"]
        ds.Rows, ds.Columns = arr.shape[-2:]
        if arr.ndim == 3:
            ds.NumberOfFrames = arr.shape[0]
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 0
        ds.PresentationIntentType = "FOR PROCESSING"
        ds.PixelData = arr.astype("<u2").tobytes()
        block = ds.private_block(self._PRIVATE_GROUP, self._PRIVATE_CREATOR, create=True)
        block.add_new(0x01, "CS", m.direction.upper())
        if m.second_energy_mev is not None:
            block.add_new(0x02, "DS", f"{m.second_energy_mev * 1000:.1f}")  # kV, like KVP
        ds.save_as(path, enforce_file_format=True)


def _format_dt(when: datetime) -> str:
    off = when.utcoffset()
    secs = int(off.total_seconds()) if off is not None else 0
    sign = "+" if secs >= 0 else "-"
    hh, mm = divmod(abs(secs) // 60, 60)
    return when.strftime("%Y%m%d%H%M%S.%f") + f"{sign}{hh:02d}{mm:02d}"


def _parse_dt(text: str) -> str:
    """DICOM DT (YYYYMMDDHHMMSS.FFFFFF&ZZXX) -> ISO 8601 string (keeps the zone)."""
    text = text.strip()
    zone = ""
    for sign in "+-":
        if sign in text[8:]:
            idx = text.rindex(sign)
            zone, text = text[idx:], text[:idx]
    base = datetime.strptime(text.split(".")[0], "%Y%m%d%H%M%S")
    frac = text.split(".")[1] if "." in text else "0"
    iso = base.replace(microsecond=int(frac.ljust(6, "0")[:6])).isoformat()
    return iso + (f"{zone[:3]}:{zone[3:5]}" if zone else "")


class UffReader:
    """Placeholder for the WCO Unified File Format.

    The UFF container layout is only available to WCO members and vendors, so mainport cannot
    parse it. To support it, implement :class:`ScanReader` in a vendor adapter (``read`` returning a
    :class:`ScanImage` with transmitted-intensity pixels and :class:`ScanMeta`) and call
    ``register_reader(MyUffReader(), first=True)`` at start-up.
    """

    name: str = "uff"
    extensions: tuple[str, ...] = (".uff",)

    def sniff(self, head: bytes) -> bool:
        return False  # magic bytes unknown (layout not public)

    def _fail(self, path: Path) -> UnsupportedFormat:
        return UnsupportedFormat(
            "WCO Unified File Format (UFF) is not supported: its layout is not public. Implement the "
            "ScanReader protocol in a vendor adapter and register it with "
            "mainport.imaging.io.register_reader(adapter, first=True)",
            path,
        )

    def read(self, path: Path) -> ScanImage:
        raise self._fail(path)

    def write(self, scan: ScanImage, path: Path) -> None:
        raise self._fail(path)


for _r in (DicosReader(), PngReader(), TiffReader(), NpyReader(), UffReader()):
    register_reader(_r)


def reader_for(path: str | Path, *, sniff: bool = True) -> ScanReader:
    """Pick a reader by extension, else by sniffing the first bytes."""
    p = Path(path)
    ext = p.suffix.lower()
    for r in _READERS:
        if ext in r.extensions:
            return r
    if sniff and p.exists():
        try:
            with p.open("rb") as fh:
                head = fh.read(256)
        except OSError as exc:
            raise ScanFileError(f"cannot open: {exc}", p) from None
        for r in _READERS:
            if r.sniff(head):
                return r
    raise UnsupportedFormat(f"no reader for extension {ext or '(none)'}", p)


def read_scan(path: str | Path) -> ScanImage:
    """Read any supported scan file. Raises :class:`ScanFileError` (never a raw exception)."""
    p = Path(path)
    if not p.exists():
        raise ScanFileError("file not found", p)
    reader = reader_for(p)
    try:
        return reader.read(p)
    except ScanFileError:
        raise
    except Exception as exc:  # last line of defence: a corrupt file must never crash a batch
        raise ScanFileError(f"unreadable {reader.name} file: {type(exc).__name__}: {exc}", p) from None


def write_scan(scan: ScanImage, path: str | Path) -> Path:
    """Write a scan, format chosen by extension (sidecar JSON written next to 16-bit/.npy files)."""
    p = Path(path)
    reader = reader_for(p, sniff=False)
    p.parent.mkdir(parents=True, exist_ok=True)
    reader.write(scan, p)
    return p


def quarantine_scan(path: str | Path, reason: str, quarantine_dir: str | Path, *, move: bool = True) -> Path:
    """Move (or copy) a bad scan and its sidecar into ``quarantine_dir/<name>/`` with a ``reason.json``.

    Returns the quarantine folder. A DB record of the quarantine is the caller's job.
    """
    src = Path(path)
    dest = Path(quarantine_dir) / f"{src.stem}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
    dest.mkdir(parents=True, exist_ok=False)
    op: Callable[[Path, Path], object] = shutil.move if move else shutil.copy2
    side = sidecar_path(src)
    files = [src] + ([side] if side.exists() and side != src else [])
    moved = []
    for f in files:
        if f.exists():
            op(f, dest / f.name)
            moved.append(f.name)
    info = {
        "source": str(src),
        "reason": reason,
        "files": moved,
        "quarantined_at": datetime.now(UTC).isoformat(),
        "action": "moved" if move else "copied",
    }
    (dest / "reason.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return dest
