"""Per-scan preparation (orientation, bad rows, channels) and finding the container without the vehicle."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from mainport.imaging.compare import compare
from mainport.imaging.errors import ComparisonError
from mainport.imaging.locate import locate
from mainport.imaging.meta import ScanImage
from mainport.imaging.prepare import bad_rows, channel_offset, is_transposed, prepare, repair_rows
from mainport.imaging.sim2 import Sim2Pair, simulate_pair


@pytest.fixture(scope="module")
def truck_pair() -> Sim2Pair:
    """Origin through a drive-through portal (a truck in the image), arrival at a gantry (none); the
    gantry vendor writes one detector line per row (transposed raster)."""
    return simulate_pair(
        21,
        origin_scanner="PEPAI-P1",
        arrival_scanner="ECPSJ-G3",
        commodity="furniture",
        pitch_scale=3.0,
        size_ft=20,
    )


def test_dead_and_hot_rows_are_found_and_repaired() -> None:
    rng = np.random.default_rng(0)
    img = (30000 + 2000 * rng.standard_normal((80, 300))).clip(1, 65535)
    img[:, 100:200] *= 0.05  # a dense object: its edges are not bad rows
    img[17] = 40.0  # dead
    img[50, :] = np.maximum(img[50, :], 60000)  # hot: bright where everything else is dark
    found = bad_rows(img.astype(np.uint16))
    assert 17 in found and 50 in found and len(found) <= 4
    fixed = repair_rows(img, [17])
    assert np.allclose(fixed[17], 0.5 * (img[16] + img[18]))


def test_channel_offset_recovers_the_interleave_shift() -> None:
    rng = np.random.default_rng(3)
    a = np.cumsum(rng.standard_normal((40, 400)), axis=1).astype(np.float32)
    from scipy.ndimage import shift

    b = shift(a, (0.0, 0.6), order=1, mode="nearest")  # b(col) = a(col - 0.6)
    assert channel_offset(a, b) == pytest.approx(-0.6, abs=0.15)


def test_a_transposed_raster_is_turned_back(truck_pair: Sim2Pair) -> None:
    scan = truck_pair.arrival
    assert scan.extra["raster"] == "rows"
    assert is_transposed(scan.pixels.shape, scan.meta.pixel_pitch_mm)
    p = prepare(scan)
    assert p.transposed and p.a.shape == scan.pixels.shape[::-1]
    assert p.pitch == (scan.meta.pixel_pitch_mm[1], scan.meta.pixel_pitch_mm[0])
    assert p.to_input_box((1, 2, 3, 4)) == (2, 1, 4, 3)
    assert not prepare(truck_pair.origin).transposed


def test_container_found_without_the_truck(truck_pair: Sim2Pair) -> None:
    assert truck_pair.vehicles[0] != "none" and truck_pair.vehicles[1] == "none"
    boxes = []
    for scan in (truck_pair.origin, truck_pair.arrival):
        p = prepare(scan)
        loc = locate(p.a, p.pitch)
        length = (loc.x1 - loc.x0) * p.pitch[0]
        height = (loc.y1 - loc.y0) * p.pitch[1]
        if loc.cut_left or loc.cut_right:  # this gantry stopped before the container's end
            assert 3000 < length < 6058, scan.meta.scanner_id
        else:
            assert length == pytest.approx(6058, rel=0.08), scan.meta.scanner_id
        assert 2300 < height < 3500, scan.meta.scanner_id
        boxes.append(height)
    # the truck's chassis and wheels are below the box: both views end up about the same height
    assert abs(boxes[0] - boxes[1]) < 500


def test_cut_off_end_is_flagged_and_still_compared(truck_pair: Sim2Pair) -> None:
    a = truck_pair.origin
    cols = a.pixels.shape[1]
    cut = ScanImage(np.ascontiguousarray(a.pixels[:, : int(cols * 0.7)]), a.meta, second=None)
    p = prepare(cut)
    loc = locate(p.a, p.pitch)
    assert loc.cut_right and not loc.cut_left
    c = compare(cut, truck_pair.arrival)
    assert "origin scan cut off at one end" in c.notes
    assert 0.4 < c.coverage < 0.95


def test_no_container_gets_a_reason(truck_pair: Sim2Pair) -> None:
    a = truck_pair.arrival
    air = ScanImage(np.full_like(a.pixels, 60000), a.meta)
    with pytest.raises(ComparisonError, match="no container found in the arrival scan"):
        compare(truck_pair.origin, air)
    wrong_pitch = ScanImage(a.pixels, replace(a.meta, pixel_pitch_mm=(0.4, 0.4)))
    with pytest.raises(ComparisonError, match="wrong pixel pitch"):
        compare(truck_pair.origin, wrong_pitch)


def test_pair_across_vendors_compares_with_regions_in_stored_pixels(truck_pair: Sim2Pair) -> None:
    c = compare(truck_pair.origin, truck_pair.arrival)
    assert c.channels == "single" and 0.0 <= c.score <= 1.0
    h, w = truck_pair.arrival.pixels.shape
    for r in c.regions:  # boxes come back in the arrival file's own (transposed) raster
        x0, y0, x1, y1 = r.box_arrival
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert r.zone


def test_single_scan_analysis_reads_transposed_and_truck_scans(truck_pair: Sim2Pair) -> None:
    from mainport.imaging.declared import check_declared

    for scan in (truck_pair.origin, truck_pair.arrival):  # a truck in the portal; a transposed raster
        r = check_declared(scan, "furniture")
        assert 0.0 <= r.score <= 1.0 and len(r.zones) == len(r.regions)
        h, w = scan.pixels.shape
        assert all(0 <= x0 < x1 <= w + 1 and 0 <= y0 < y1 <= h + 1 for x0, y0, x1, y1 in r.regions)
    empty = check_declared(truck_pair.origin, "empty")  # furniture declared as an empty box
    assert empty.score > 0.5 and any("declared empty" in why for why in empty.reasons)
    air = ScanImage(np.full_like(truck_pair.arrival.pixels, 60000), truck_pair.arrival.meta)
    with pytest.raises(ComparisonError, match="no container found"):
        check_declared(air, "furniture")
