from __future__ import annotations

import numpy as np

from mainport.imaging.render import render_scan
from mainport.imaging.scanner import SCANNERS
from mainport.imaging.scene import Concealment, ContainerContents, ScanState, build_phantom

C20 = ContainerContents(size_ft=20, commodity="cocoa", fill_fraction=0.5, layout_seed=3)


def test_deterministic() -> None:
    a = render_scan(C20, "GYE-DT6", seed=1)
    b = render_scan(C20, "GYE-DT6", seed=1)
    c = render_scan(C20, "GYE-DT6", seed=2)
    np.testing.assert_array_equal(a.pixels, b.pixels)
    assert not np.array_equal(a.pixels, c.pixels)
    assert a.pixels.dtype == np.uint16


def test_more_mass_less_intensity() -> None:
    light = ContainerContents(
        size_ft=20,
        commodity="empty",
        fill_fraction=0.1,
        layout_seed=3,
        concealments=(Concealment("door", 10.0, (1.0, 0.2)),),
    )
    heavy = ContainerContents(
        size_ft=20,
        commodity="empty",
        fill_fraction=0.1,
        layout_seed=3,
        concealments=(Concealment("door", 60.0, (1.0, 0.2)),),
    )
    sc = SCANNERS["GYE-DT6"]
    ph_l, ph_h = build_phantom(light), build_phantom(heavy)
    assert ph_h.channels["organic"].sum() > ph_l.channels["organic"].sum()
    a = render_scan(light, sc, seed=4)
    b = render_scan(heavy, sc, seed=4)
    # same seed -> same noise and geometry: the extra 50 kg can only lower the transmitted intensity
    la = -np.log(np.maximum(a.pixels, 1.0)).sum()
    lb = -np.log(np.maximum(b.pixels, 1.0)).sum()
    assert lb > la
    x0, y0, x1, y1 = b.extra["concealment_boxes_px"][0]
    assert b.pixels[y0:y1, x0:x1].mean() < a.pixels[y0:y1, x0:x1].mean()


def test_flip() -> None:
    sc = SCANNERS["RTM-GANTRY9"]  # nearly uniform speed: the flip is an exact mirror up to noise
    f = render_scan(C20, sc, seed=9, reverse=False)
    r = render_scan(C20, sc, seed=9, reverse=True)
    assert r.meta.direction == "reverse"
    pf = f.pixels.astype(float).mean(axis=0)
    pr = r.pixels.astype(float).mean(axis=0)
    n = min(len(pf), len(pr))
    direct = np.corrcoef(pf[:n], pr[:n])[0, 1]
    # allow the margins to differ: compare the mirrored profile with a small shift search
    mirrored = max(np.corrcoef(pf[: n - 40], pr[::-1][s : s + n - 40])[0, 1] for s in range(0, 40))
    assert mirrored > 0.9 > direct


def test_settling_moves_cargo() -> None:
    a = build_phantom(C20, ScanState())
    b = build_phantom(C20, ScanState(settle_seed=5))
    assert not np.allclose(a.channels["organic"], b.channels["organic"])
    np.testing.assert_allclose(a.channels["organic"].sum(), b.channels["organic"].sum(), rtol=1e-3)
