from __future__ import annotations

import numpy as np

from mainport.imaging.compare import compare
from mainport.imaging.declared import check_declared
from mainport.imaging.overlay import render_overlay
from mainport.imaging.register import estimate_vshift, estimate_warp, warp_image
from mainport.imaging.render import PairSample


def _iou(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_registration_recovers_stretch_and_shift() -> None:
    rng = np.random.default_rng(0)
    base = np.cumsum(rng.standard_normal((120, 700)), axis=1).astype(np.float32)
    base += np.cumsum(rng.standard_normal((120, 1)), axis=0).astype(np.float32)
    cols = np.arange(700)
    true_d = (6.0 * np.sin(2 * np.pi * cols / 700)).astype(np.float32)  # smooth stretch, +-6 px
    moved = warp_image(base, -true_d, -2.0)  # arrival(col) = base(col - d)
    vs = estimate_vshift(base, moved)
    d = estimate_warp(base, warp_image(moved, np.zeros(700, np.float32), vs))
    assert abs(vs - 2.0) < 0.5
    inner = slice(60, 640)
    assert np.abs(d[inner] - true_d[inner]).max() < 1.5


def test_detects_door_bag(door_pair: PairSample) -> None:
    c = compare(door_pair.origin, door_pair.arrival)
    assert c.score > 0.9
    best = c.best
    assert best is not None and best.sign == "added"
    assert door_pair.box_arrival is not None
    assert _iou(best.box_arrival, door_pair.box_arrival) > 0.3
    assert 10 < best.mass_kg < 90
    img = render_overlay(c)
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3


def test_benign_pair_low_score(benign_pair: PairSample) -> None:
    c = compare(benign_pair.origin, benign_pair.arrival)
    assert c.score < 0.3
    assert c.flipped == (benign_pair.origin.meta.direction != benign_pair.arrival.meta.direction)


def test_check_declared_empty(door_pair: PairSample) -> None:
    r = check_declared(door_pair.origin, "empty")  # furniture declared as empty
    assert r.score > 0.5 and r.reasons
    r2 = check_declared(door_pair.origin, "furniture")
    assert r2.score < r.score


def test_check_declared_bananas_block() -> None:
    from mainport.imaging.render import render_scan
    from mainport.imaging.scene import Concealment, ContainerContents

    kw = dict(size_ft=20, reefer=True, commodity="bananas", fill_fraction=0.9, high_cube=True, layout_seed=3)
    clean = render_scan(ContainerContents(**kw), "GYE-DT6", seed=3)  # type: ignore[arg-type]
    bad = render_scan(
        ContainerContents(**kw, concealments=(Concealment("cargo", 40.0, (3.0, 1.2)),)),  # type: ignore[arg-type]
        "GYE-DT6",
        seed=3,
    )
    r_clean, r_bad = check_declared(clean, "bananas"), check_declared(bad, "bananas")
    assert r_bad.score > 0.5 > r_clean.score
    truth = bad.extra["concealment_boxes_px"][0]
    assert _iou(r_bad.regions[0], truth) > 0.3
