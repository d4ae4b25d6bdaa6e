"""Registration of an arrival scan onto the origin scan (both already cropped to the container and
resampled to the same working grid, rows x cols = height x length).

* direction: flip test by correlating coarse images,
* intensity: monotone mapping (quantile matching, then binned medians on co-registered pixels),
* geometry: global vertical shift + smooth 1-D warp along the travel axis (block matching of multi-band
  column profiles, solved jointly with a smoothness penalty by dynamic programming).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.ndimage import gaussian_filter1d, uniform_filter1d


def _z(x: np.ndarray) -> np.ndarray:
    x = x - x.mean()
    s = x.std()
    return x / s if s > 0 else x


def _coarse(a: np.ndarray, f: int) -> np.ndarray:
    h, w = (a.shape[0] // f) * f, (a.shape[1] // f) * f
    return a[:h, :w].reshape(h // f, f, w // f, f).mean(axis=(1, 3))


def detect_flip(origin: np.ndarray, arrival: np.ndarray) -> tuple[bool, float]:
    """True if ``arrival`` must be flipped along the travel axis to match ``origin``.

    Uses ranks (robust to the monotone intensity difference between scanners) of 4x-coarse images and
    a small shift search. Returns (flip, margin) where margin = corr(best) - corr(other).
    """
    o = _coarse(origin, 4)
    a = _coarse(arrival, 4)

    def rank(x: np.ndarray) -> np.ndarray:
        r = np.empty(x.size, np.float32)
        r[np.argsort(x, axis=None)] = np.arange(x.size, dtype=np.float32)
        return _z(r.reshape(x.shape))

    ro, ra = rank(o), rank(a)

    def best(b: np.ndarray) -> float:
        out = -1.0
        for s in range(-6, 7, 2):
            x = np.roll(b, s, axis=1)
            out = max(out, float((ro[:, 8:-8] * x[:, 8:-8]).mean()))
        return out

    c0, c1 = best(ra), best(ra[:, ::-1])
    return (c1 > c0), abs(c1 - c0)


def quantile_map(src: np.ndarray, ref: np.ndarray, n: int = 101) -> tuple[np.ndarray, np.ndarray]:
    """Monotone mapping (knots) that gives ``src`` the value distribution of ``ref``."""
    q = np.linspace(0.5, 99.5, n)
    ks = np.percentile(src[::2, ::2], q)
    kr = np.percentile(ref[::2, ::2], q)
    ks = np.maximum.accumulate(ks + np.arange(n) * 1e-6)
    return ks, np.maximum.accumulate(kr)


def fit_monotone(src: np.ndarray, ref: np.ndarray, nbins: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Binned-median regression ref ~ f(src) on co-registered pixels, forced monotone."""
    s, r = src[::3, ::3].ravel(), ref[::3, ::3].ravel()
    # quantile bins follow the bulk of the pixels; uniform bins add knots in sparsely populated ranges
    # (e.g. between thin walls and dense cargo) where a straight line between far knots would be wrong
    q = np.percentile(s, np.linspace(0, 100, nbins + 1))
    edges = np.unique(np.concatenate([q, np.linspace(q[0], q[-1], nbins // 4 + 1)]).round(4))
    idx = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, len(edges) - 2)
    counts = np.bincount(idx, minlength=len(edges) - 1)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    keep = counts > 20
    mid = (starts + counts // 2)[keep]
    xs = s[np.lexsort((s, idx))][mid]  # per-bin medians of src and of ref, vectorised
    ys = r[np.lexsort((r, idx))][mid]
    if len(xs) < 3:
        return quantile_map(src, ref)
    x = np.maximum.accumulate(xs + np.arange(len(xs)) * 1e-6)
    w = np.sqrt(counts[keep].astype(float))
    smooth = _robust_poly(x, ys, w)
    if smooth is not None:
        return smooth
    return x, isotonic(ys, w)


def _robust_poly(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, deg: int = 3
) -> tuple[np.ndarray, np.ndarray] | None:
    """Smooth monotone map through the bin medians: a cubic fitted with Huber re-weighting.

    Both scans measure the same line integrals through monotone, smooth response curves (beam
    hardening, detector gamma), so the true map is smooth; bins in sparsely populated attenuation
    ranges (reefer machinery, floor cavity) are noisy and must not bend it locally."""
    if len(x) < 8:
        return None
    wt = w.copy()
    coef = np.polyfit(x, y, deg, w=wt)
    for _ in range(4):
        res = y - np.polyval(coef, x)
        s = 1.4826 * float(np.median(np.abs(res))) + 1e-3
        wt = w * np.minimum(1.0, 2.0 * s / np.maximum(np.abs(res), 1e-9))
        coef = np.polyfit(x, y, deg, w=wt)
    gx = np.linspace(float(x[0]), float(x[-1]), 64)
    gy = np.polyval(coef, gx)
    if np.any(np.diff(gy) < -1e-3):  # not monotone over the data range: fall back
        return None
    return gx + np.arange(64) * 1e-7, np.maximum.accumulate(gy)


def isotonic(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted isotonic (non-decreasing) regression by pool-adjacent-violators. Unlike a running
    maximum, one outlying bin is averaged with its neighbours instead of lifting every later knot."""
    vals: list[float] = []
    wts: list[float] = []
    sizes: list[int] = []
    for yi, wi in zip(y.tolist(), w.tolist(), strict=True):
        vals.append(yi)
        wts.append(wi)
        sizes.append(1)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            tw = wts[-2] + wts[-1]
            vals[-2] = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / tw
            wts[-2] = tw
            sizes[-2] += sizes[-1]
            del vals[-1], wts[-1], sizes[-1]
    return np.repeat(np.array(vals), sizes)


def apply_map(a: np.ndarray, knots: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Piecewise-linear monotone map with linear extrapolation, evaluated through a lookup table."""
    x, y = knots
    lo_v, hi_v, n = -1.0, 10.0, 4096
    grid = np.linspace(lo_v, hi_v, n)
    lut = np.interp(grid, x, y)
    if len(x) >= 4:
        lo = (y[1] - y[0]) / max(x[1] - x[0], 1e-6)
        hi = (y[-1] - y[-3]) / max(x[-1] - x[-3], 1e-6)
        lut = np.where(grid < x[0], y[0] + (grid - x[0]) * lo, lut)
        lut = np.where(grid > x[-1], y[-1] + (grid - x[-1]) * hi, lut)
    pos = (np.clip(a, lo_v, hi_v) - lo_v) * np.float32((n - 1) / (hi_v - lo_v))
    i0 = np.minimum(pos.astype(np.intp), n - 2)
    w = pos - i0
    lut32 = lut.astype(np.float32)
    return np.asarray(lut32[i0] * (1 - w) + lut32[i0 + 1] * w, dtype=np.float32)


def _profiles(a: np.ndarray, bands: int = 4) -> np.ndarray:
    """Multi-band column profiles, high-passed and normalised: shape (bands, cols)."""
    edges = np.linspace(0, a.shape[0], bands + 1).astype(int)
    p = np.stack([a[edges[i] : edges[i + 1]].mean(axis=0) for i in range(bands)])
    p = p - uniform_filter1d(p, 41, axis=1)
    p = gaussian_filter1d(p, 1.0, axis=1)
    return p / (p.std(axis=1, keepdims=True) + 1e-6)


def estimate_warp(
    origin: np.ndarray,
    arrival: np.ndarray,
    max_shift: int = 40,
    step: int = 20,
    half: int = 32,
    smooth_penalty: float = 0.08,
) -> np.ndarray:
    """Displacement d (per origin column, in columns): arrival column = col + d(col).

    Block-matching scores for windows every ``step`` columns over shifts +-``max_shift`` are combined
    by a Viterbi pass that penalises changes of shift between neighbouring windows (the line speed
    changes smoothly), then interpolated and smoothed.
    """
    po, pa = _profiles(origin), _profiles(arrival)
    n = po.shape[1]
    shifts = np.arange(-max_shift, max_shift + 1)
    # windows reach the very ends (zero padding adds nothing to the correlation): the container ends
    # are where a linear crop is most wrong under a non-uniform line speed
    centres = np.arange(step // 2, n, step)
    if centres.size < 2:
        return np.zeros(n, np.float32)
    pad = max_shift + half + 1
    po_p = np.pad(po, ((0, 0), (half + 1, half + 1)))
    pa_p = np.pad(pa, ((0, 0), (pad, pad)))
    win = np.arange(-half, half + 1)
    # o: (W, B, K) ; a: (W, S, B, K)
    o = po_p[:, centres[:, None] + win[None, :] + half + 1].transpose(1, 0, 2)
    idx = centres[:, None, None] + shifts[None, :, None] + win[None, None, :] + pad
    a = pa_p[:, idx].transpose(1, 2, 0, 3)
    o = o - o.mean(axis=2, keepdims=True)
    a = a - a.mean(axis=3, keepdims=True)
    num = np.einsum("wbk,wsbk->ws", o, a)
    den = np.sqrt(np.einsum("wbk,wbk->w", o, o)[:, None] * np.einsum("wsbk,wsbk->ws", a, a)) + 1e-6
    score = num / den  # (W, S) NCC in [-1, 1]
    # Viterbi: maximise sum(score) - penalty * |shift change|
    trans = smooth_penalty * np.abs(shifts[:, None] - shifts[None, :])
    acc = score[0].copy()
    back = np.zeros(score.shape, np.intp)
    for w in range(1, len(centres)):
        cand = acc[:, None] - trans  # from s' (rows) to s (cols)
        back[w] = np.argmax(cand, axis=0)
        acc = cand[back[w], np.arange(len(shifts))] + score[w]
    path = np.empty(len(centres), np.intp)
    path[-1] = int(np.argmax(acc))
    for w in range(len(centres) - 1, 0, -1):
        path[w - 1] = back[w, path[w]]
    # sub-pixel refinement by a parabola through the best score
    d = shifts[path].astype(np.float64)
    for w, s in enumerate(path):
        if 0 < s < len(shifts) - 1:
            y0, y1, y2 = score[w, s - 1], score[w, s], score[w, s + 1]
            den2 = y0 - 2 * y1 + y2
            if den2 < 0:
                d[w] += 0.5 * (y0 - y2) / den2
    d = gaussian_filter1d(d, 1.0, mode="nearest")
    return np.interp(np.arange(n), centres, d).astype(np.float32)


def estimate_vshift(origin: np.ndarray, arrival: np.ndarray, max_shift: int = 12) -> float:
    """Vertical offset (rows) such that arrival row = row + shift; from high-passed row profiles."""
    po = origin.mean(axis=1)
    pa = arrival.mean(axis=1)
    po, pa = po - uniform_filter1d(po, 31), pa - uniform_filter1d(pa, 31)
    m = max_shift
    core = po[m:-m]
    sc = np.array([float(np.dot(_z(core), _z(pa[m + s : len(pa) - m + s]))) for s in range(-m, m + 1)])
    k = int(np.argmax(sc))
    off = float(k - m)
    if 0 < k < len(sc) - 1:
        den = sc[k - 1] - 2 * sc[k] + sc[k + 1]
        if den < 0:
            off += 0.5 * (sc[k - 1] - sc[k + 1]) / den
    return off


def warp_image(a: np.ndarray, d_cols: np.ndarray, d_row: float | np.ndarray) -> np.ndarray:
    """Sample ``a`` at (row + d_row[row], col + d_cols[col]) with bilinear interpolation (edge clamped);
    ``d_row`` is one shift or one per row."""
    from mainport.imaging.normalise import resample

    rows = np.arange(a.shape[0], dtype=np.float64) + d_row
    cols = np.arange(a.shape[1], dtype=np.float64) + d_cols
    return resample(a, np.clip(rows, 0, a.shape[0] - 1), np.clip(cols, 0, a.shape[1] - 1), (1.0, 1.0))


def estimate_vwarp(origin: np.ndarray, arrival: np.ndarray, max_shift: int = 12) -> np.ndarray:
    """Displacement per row (arrival row = row + d(row)): the travel-axis warp applied to the transposed
    images. Fan-beam magnification differs between scanners, so the vertical offset varies with height."""
    n = origin.shape[0]
    if n < 40:
        return np.full(n, estimate_vshift(origin, arrival, max_shift), np.float32)
    return estimate_warp(origin.T, arrival.T, max_shift=max_shift, step=12, half=20, smooth_penalty=0.15)


def fit_material_map(
    u: np.ndarray, v: np.ndarray, ref: np.ndarray, valid: np.ndarray, nbins: int = 24
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Map a dual-energy scan (first channel ``u``, second ``v``) into another scan's attenuation ``ref``.

    At MeV energies two channels fix two basis-material thicknesses, so any other scanner's attenuation is
    a smooth function of both: ``ref ~ f(u) + g(u) * (v - h(u))``, where ``h(u)`` is the typical second
    channel at first-channel level ``u`` and the deviation from it says how much of the path is low-Z
    (organic) rather than steel. ``f`` is the monotone map of one channel; ``g`` a per-level slope fitted
    robustly. Steel machinery that a single-channel map gets wrong is mapped right."""
    sel = valid[::3, ::3] & (u[::3, ::3] < 7.5) & (ref[::3, ::3] < 7.5)
    us, vs, rs = u[::3, ::3][sel], v[::3, ::3][sel], ref[::3, ::3][sel]
    if us.size < 200:
        knots = fit_monotone(u, ref)
        return lambda a, _b: apply_map(a, knots)
    f_knots = fit_monotone(us[None, :], rs[None, :])
    edges = np.unique(np.percentile(us, np.linspace(0, 100, nbins + 1)))
    idx = np.clip(np.searchsorted(edges, us, side="right") - 1, 0, len(edges) - 2)
    centres, h_med, slopes = [], [], []
    res_f = rs - apply_map(us, f_knots)
    for b in range(len(edges) - 1):
        m = idx == b
        if m.sum() < 40:
            continue
        hv = float(np.median(vs[m]))
        w = vs[m] - hv
        y = res_f[m] - float(np.median(res_f[m]))
        wt = np.ones_like(w)
        g = 0.0
        for _ in range(4):  # Huber-reweighted slope through the origin
            den = float((wt * w * w).sum())
            if den <= 1e-9:
                break
            g = float((wt * w * y).sum()) / den
            r = y - g * w
            s = 1.4826 * float(np.median(np.abs(r))) + 1e-4
            wt = np.minimum(1.0, 2.0 * s / np.maximum(np.abs(r), 1e-9))
        centres.append(0.5 * (edges[b] + edges[b + 1]))
        h_med.append(hv)
        slopes.append(g)
    if len(centres) < 3:
        return lambda a, _b: apply_map(a, f_knots)
    cx = np.array(centres)
    hv_a = np.array(h_med)
    g_a = gaussian_filter1d(np.array(slopes), 1.0, mode="nearest")

    def mapped(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        h = np.interp(a, cx, hv_a).astype(np.float32)
        g = np.interp(a, cx, g_a).astype(np.float32)
        return (apply_map(a, f_knots) + g * (b - h)).astype(np.float32)

    return mapped


def affine_search(
    ref: np.ndarray,
    mov: np.ndarray,
    valid: np.ndarray,
    axis: int,
    scales: np.ndarray,
    max_offset: int,
) -> tuple[float, float, float]:
    """Global (scale, offset, score) with mov(scale * k + offset) ~ ref(k) along ``axis`` (0 = rows).

    Profiles are medians across the other axis over pixels valid in both, high-passed and normalised,
    so only edges (roof rails, floor band, cargo tops and ends) decide; the score is their correlation."""
    other = 1 - axis

    def profile(a: np.ndarray) -> np.ndarray:
        # mean of the valid pixels across the other axis (a median would cost a sort per line)
        w = valid.astype(np.float32)
        cnt = w.sum(axis=other)
        p = (np.where(valid, a, 0.0)).sum(axis=other) / np.maximum(cnt, 1.0)
        if (cnt > 0).any():
            p[cnt == 0] = float(np.median(p[cnt > 0]))
        return p - uniform_filter1d(p, 31)

    pr, pm = profile(ref), profile(mov)
    n = len(pr)
    k = np.arange(n, dtype=np.float64)
    m = max(4, n // 12)
    core = slice(m, n - m)
    rz = pr[core] - pr[core].mean()
    rz /= np.linalg.norm(rz) + 1e-9
    best = (1.0, 0.0, -2.0)
    for s in scales:
        for o in range(-max_offset, max_offset + 1):
            x = np.interp(s * k[core] + o, k, pm)
            x = x - x.mean()
            c = float(np.dot(rz, x) / (np.linalg.norm(x) + 1e-9))
            if c > best[2]:
                best = (float(s), float(o), c)
    return best


def estimate_vwarp_field(
    origin: np.ndarray, arrival: np.ndarray, base: np.ndarray, max_shift: int, band: int = 48, step: int = 24
) -> np.ndarray:
    """Vertical displacement per (row, column): the row warp estimated band by band along the container.

    In a fan beam a stack near the source is magnified more than one at the far wall, and which stack
    dominates a column changes along the container, so two scanners' vertical mappings differ from section
    to section. Each band of columns gets its own row warp (relative to ``base``, the global one) with the
    same smoothness penalty; bands are then median-filtered and smoothed along the container, and bands
    without structure (air, empty space) keep the global warp."""
    rows, cols = origin.shape
    if cols < 2 * band or rows < 40:
        return np.repeat(base[:, None], cols, axis=1)
    centres = np.arange(band // 2, cols - band // 2 + 1, step)
    ea = warp_image(arrival, np.zeros(cols, np.float32), base)
    fields = []
    for cx in centres:
        sl = slice(max(0, cx - band // 2), min(cols, cx + band // 2))
        o, a = origin[:, sl], ea[:, sl]
        texture = float(np.std(np.diff(o.mean(axis=1))))
        if texture < 0.01:
            fields.append(np.zeros(rows, np.float32))
            continue
        fields.append(estimate_warp(o.T, a.T, max_shift=max_shift, step=12, half=20, smooth_penalty=0.2))
    f = np.stack(fields, axis=1)  # (rows, bands)
    from scipy.ndimage import median_filter

    f = median_filter(f, size=(1, 3), mode="nearest")
    f = gaussian_filter1d(f, 1.0, axis=1, mode="nearest")
    full = np.empty((rows, cols), np.float32)
    xc = np.arange(cols)
    for r in range(rows):
        full[r] = np.interp(xc, centres, f[r])
    return (full + base[:, None]).astype(np.float32)


def warp_image_field(a: np.ndarray, d_cols: np.ndarray, d_rows: np.ndarray) -> np.ndarray:
    """Sample ``a`` at (row + d_rows[row, col], col + d_cols[col]) (bilinear, edge clamped)."""
    from scipy.ndimage import map_coordinates

    rr = np.arange(a.shape[0], dtype=np.float32)[:, None] + d_rows
    cc = np.broadcast_to(np.arange(a.shape[1], dtype=np.float32)[None, :] + d_cols[None, :], a.shape)
    rr = np.clip(rr, 0, a.shape[0] - 1)
    cc = np.clip(cc, 0, a.shape[1] - 1)
    return np.asarray(map_coordinates(a, [rr, cc], order=1, mode="nearest"), dtype=np.float32)


def affine_search_2d(
    ref: np.ndarray, mov: np.ndarray, valid: np.ndarray, scales: np.ndarray, max_offset: int, f: int = 3
) -> tuple[float, float, float]:
    """Vertical (scale, offset, score) with mov(scale * r + offset, c) ~ ref(r, c), by normalised
    correlation of whole coarse images (cargo texture, floor marks and pallet edges all take part, so one
    feature seen at a different height by a different fan beam does not decide alone)."""
    o = _coarse(np.where(valid, ref, 0.0), f)
    m_full = np.where(valid, mov, 0.0)
    v = _coarse(valid.astype(np.float64), f) > 0.99
    rows = o.shape[0]
    k = np.arange(rows, dtype=np.float64)
    mov_c = _coarse(m_full, f)
    ov = o[v]
    ov = (ov - ov.mean()) / (ov.std() + 1e-9)
    best = (1.0, 0.0, -2.0)
    src_rows = np.arange(mov_c.shape[0], dtype=np.float64)
    for s in scales:
        for off in range(-max_offset, max_offset + 1):
            pos = s * k + off / f
            r0 = np.clip(np.floor(pos).astype(np.intp), 0, mov_c.shape[0] - 2)
            w = np.clip(pos - r0, 0, 1)[:, None]
            samp = mov_c[r0] * (1 - w) + mov_c[r0 + 1] * w
            inside = (pos >= 0) & (pos <= src_rows[-1])
            vv = v & inside[:, None]
            if vv.sum() < 0.3 * v.sum():
                continue
            x = samp[vv]
            x = (x - x.mean()) / (x.std() + 1e-9)
            c = float(np.mean(x * ((o[vv] - o[vv].mean()) / (o[vv].std() + 1e-9))))
            if c > best[2]:
                best = (float(s), float(off), c)
    return best
