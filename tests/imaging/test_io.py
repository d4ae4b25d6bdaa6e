from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from mainport.imaging.errors import ScanFileError, UnsupportedFormat
from mainport.imaging.io import quarantine_scan, read_scan, write_scan
from mainport.imaging.meta import ScanImage, ScanMeta, _iso6346_valid, iso6346_check_digit


def _scan(dtype: type = np.uint16) -> ScanImage:
    rng = np.random.default_rng(0)
    px = rng.integers(0, 65535, size=(40, 90)).astype(dtype)
    meta = ScanMeta(
        "CSQU3054383", "GYE-DT6", (5.0, 6.0), 6.0, datetime(2026, 3, 1, 12, 30, tzinfo=UTC), "reverse"
    )
    return ScanImage(px, meta)


def test_iso6346() -> None:
    assert iso6346_check_digit("CSQU305438") == 3
    assert _iso6346_valid("CSQU3054383")
    assert not _iso6346_valid("CSQU3054384")
    assert not _iso6346_valid("CSQ3054383")


@pytest.mark.parametrize("ext", [".npy", ".png", ".tif", ".dcs"])
def test_round_trip(tmp_path: Path, ext: str) -> None:
    scan = _scan()
    p = write_scan(scan, tmp_path / f"scan{ext}")
    back = read_scan(p)
    assert back.pixels.dtype == np.uint16
    np.testing.assert_array_equal(back.pixels, scan.pixels)
    assert back.meta == scan.meta
    assert (tmp_path / "scan.json").exists() == (ext != ".dcs")


def test_float_npy_round_trip(tmp_path: Path) -> None:
    scan = _scan(np.float32)
    back = read_scan(write_scan(scan, tmp_path / "f.npy"))
    assert back.pixels.dtype == np.float32


def test_dicos_sop_class(tmp_path: Path) -> None:
    import pydicom

    p = write_scan(_scan(), tmp_path / "s.dcs")
    ds = pydicom.dcmread(p)
    assert ds.SOPClassUID.name == "DICOS Digital X-Ray Image Storage - For Processing"
    assert ds.PatientID == "CSQU3054383"


def test_truncated_dicos(tmp_path: Path) -> None:
    p = write_scan(_scan(), tmp_path / "s.dcs")
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ScanFileError, match="DICOS"):
        read_scan(p)


def test_garbage_dicos(tmp_path: Path) -> None:
    p = tmp_path / "x.dcs"
    p.write_bytes(b"\0" * 128 + b"DICM" + b"\xff" * 50)
    with pytest.raises(ScanFileError):
        read_scan(p)


def test_missing_sidecar(tmp_path: Path) -> None:
    p = write_scan(_scan(), tmp_path / "s.png")
    (tmp_path / "s.json").unlink()
    with pytest.raises(ScanFileError, match="missing JSON sidecar"):
        read_scan(p)


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("container_id", "CSQU3054384", "ISO 6346"),
        ("pixel_pitch_mm", [0.0, 5.0], "positive"),
        ("scan_time", "2026-03-01T12:00:00", "time zone"),
        ("direction", "sideways", "direction"),
    ],
)
def test_bad_sidecar(tmp_path: Path, key: str, value: object, match: str) -> None:
    p = write_scan(_scan(), tmp_path / "s.npy")
    side = tmp_path / "s.json"
    data = json.loads(side.read_text())
    data[key] = value
    side.write_text(json.dumps(data))
    with pytest.raises(ScanFileError, match=match):
        read_scan(p)


def test_missing_key_and_wrong_dtype(tmp_path: Path) -> None:
    p = write_scan(_scan(), tmp_path / "s.npy")
    side = tmp_path / "s.json"
    data = json.loads(side.read_text())
    del data["energy_mev"]
    side.write_text(json.dumps(data))
    with pytest.raises(ScanFileError, match="energy_mev"):
        read_scan(p)
    np.save(p, np.zeros((40, 90), np.int32))
    side.write_text(json.dumps(_scan().meta.to_json()))
    with pytest.raises(ScanFileError, match="uint16"):
        read_scan(p)


def test_truncated_npy_and_png(tmp_path: Path) -> None:
    for ext in (".npy", ".png", ".tif"):
        p = write_scan(_scan(), tmp_path / f"t{ext}")
        p.write_bytes(p.read_bytes()[:60])
        with pytest.raises(ScanFileError):
            read_scan(p)


def test_uff_placeholder(tmp_path: Path) -> None:
    p = tmp_path / "scan.uff"
    p.write_bytes(b"whatever")
    with pytest.raises(UnsupportedFormat, match="not public"):
        read_scan(p)


def test_unknown_extension(tmp_path: Path) -> None:
    p = tmp_path / "scan.xyz"
    p.write_bytes(b"hello")
    with pytest.raises(UnsupportedFormat):
        read_scan(p)


def test_quarantine(tmp_path: Path) -> None:
    p = write_scan(_scan(), tmp_path / "in" / "s.npy")
    dest = quarantine_scan(p, "bad container id", tmp_path / "q")
    assert not p.exists()
    assert (dest / "s.npy").exists() and (dest / "s.json").exists()
    info = json.loads((dest / "reason.json").read_text())
    assert info["reason"] == "bad container id"


def test_iso6346_matches_shared_helper() -> None:
    ref = pytest.importorskip("mainport.reference")
    for code in ("CSQU305438", "MSKU123456", "TGHU000001"):
        assert ref.iso6346_check_digit(code) == iso6346_check_digit(code)


def test_vendor_adapter_seam(tmp_path: Path) -> None:
    from mainport.imaging import io as scan_io

    class FakeUff:
        name = "fake-uff"
        extensions = (".uff",)

        def sniff(self, head: bytes) -> bool:
            return head.startswith(b"UFF!")

        def read(self, path: Path) -> ScanImage:
            return _scan()

        def write(self, scan: ScanImage, path: Path) -> None:
            path.write_bytes(b"UFF!")

    p = tmp_path / "scan.uff"
    p.write_bytes(b"UFF!")
    adapter = FakeUff()
    assert isinstance(adapter, scan_io.ScanReader)
    scan_io.register_reader(adapter, first=True)
    try:
        assert read_scan(p).meta.container_id == "CSQU3054383"
    finally:
        scan_io._READERS.remove(adapter)
    with pytest.raises(UnsupportedFormat):
        read_scan(p)


def _dual() -> ScanImage:
    base = _scan()
    low = (base.pixels // 2).astype(np.uint16)
    meta = ScanMeta(
        base.meta.container_id,
        base.meta.scanner_id,
        base.meta.pixel_pitch_mm,
        6.0,
        base.meta.scan_time,
        base.meta.direction,
        second_energy_mev=4.0,
    )
    return ScanImage(base.pixels, meta, second=low)


@pytest.mark.parametrize("ext", [".npy", ".tif", ".dcs"])
def test_dual_energy_round_trip(tmp_path: Path, ext: str) -> None:
    scan = _dual()
    back = read_scan(write_scan(scan, tmp_path / f"dual{ext}"))
    assert back.meta.second_energy_mev == 4.0 and back.meta.energy_mev == 6.0
    assert back.second is not None
    np.testing.assert_array_equal(back.pixels, scan.pixels)
    np.testing.assert_array_equal(back.second, scan.second)


def test_dual_energy_png_refused_and_mismatch_explained(tmp_path: Path) -> None:
    with pytest.raises(ScanFileError, match="one channel"):
        write_scan(_dual(), tmp_path / "dual.png")
    p = write_scan(_scan(), tmp_path / "single.npy")
    side = json.loads((tmp_path / "single.json").read_text())
    side["second_energy_mev"] = 4.0  # the sidecar promises a channel the file does not hold
    (tmp_path / "single.json").write_text(json.dumps(side))
    with pytest.raises(ScanFileError, match="second energy"):
        read_scan(p)
    side["second_energy_mev"] = 6.0  # equal to the first energy
    (tmp_path / "single.json").write_text(json.dumps(side))
    with pytest.raises(ScanFileError, match="differ from energy_mev"):
        read_scan(p)
