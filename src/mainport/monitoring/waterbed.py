"""Waterbed detection: after enforcement rises at hub A, did smuggling move to hub B?

Pure computation on a periods x hubs matrix (pandas DataFrame, one column per hub, rows in time order).
For each candidate target B we build a counterfactual from B's own pre-period level moving with the other hubs
(a log-linear interrupted time series with common time effects: the other hubs pooled, with a learnt slope, or
slope 1 = difference-in-differences when there are too few earlier periods to learn it). B's post-period
excess over that counterfactual is tested against how large such excesses are at placebo dates inside B's own
pre-period. docs/waterbed.md explains the choice and its limits.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class DetectorConfig:
    window: int = 12  # post periods watched after the change
    pre: int = 104  # at most this many pre periods are used
    min_pre_placebo: int = 16  # below this, uncertainty comes from a t interval on the residual spread
    min_post: int = 2  # never flag on the first period alone
    z_threshold: float = 3.5
    min_ratio: float = 1.25  # an excess below +25% is not reported as displacement
    min_source_rise: float = 1.1  # the source hub's enforcement must have risen at least 10% to attribute


@dataclass(frozen=True)
class EnforcementChange:
    hub: str
    start: Hashable  # the first period (index label) with the raised enforcement
    note: str = ""


@dataclass
class Finding:
    source_hub: str
    target_hub: str
    metric: str
    change_start: Hashable
    break_start: Hashable | None  # the period at which the excess first became significant
    delay_periods: int | None  # periods from the change to the flag (1 = first post period)
    periods_used: int  # post periods behind the reported size
    ratio: float  # observed / counterfactual (geometric mean over the post periods used)
    ratio_low: float
    ratio_high: float
    excess_units: float  # observed minus counterfactual, summed, in the metric's own unit
    z: float
    p_value: float
    flagged: bool
    source_rise: float | None  # enforcement after/before at the source hub, when given
    method: str
    n_pre: int
    donors: list[str] = field(default_factory=list)
    slope: float = 0.0  # how strongly the target moves with the pooled donors (1 = one for one)
    explanation: str = ""


def _fit_slope(yb: np.ndarray, common: np.ndarray) -> tuple[float, bool]:
    """How the target moves with the pooled donors (demeaned logs): least squares, kept within [0, 2].

    With fewer than 5 earlier periods the slope is fixed at 1 (plain difference-in-differences); with more
    it is learnt, so noisy donors (small hubs, weekly counts) are down-weighted instead of adding their noise.
    """
    if yb.size < 5:
        return 1.0, False
    sxx = float(common @ common)
    if sxx <= 1e-12:
        return 0.0, True
    return float(np.clip(common @ yb / sxx, 0.0, 2.0)), True


def _moving_means(values: np.ndarray, k: int) -> np.ndarray:
    if values.size < k:
        return np.empty(0)
    c = np.concatenate([[0.0], np.cumsum(values)])
    return (c[k:] - c[:-k]) / k


@dataclass
class _Fit:
    residual_pre: np.ndarray
    residual_post: np.ndarray
    counterfactual_post: np.ndarray  # on the log1p scale
    observed_post: np.ndarray
    donors: list[str]
    slope: float
    n_params: int
    post_index: list[Hashable]


def _fit_pair(values: pd.DataFrame, source: str, target: str, t0: int, cfg: DetectorConfig) -> _Fit | None:
    lo, hi = max(0, t0 - cfg.pre), min(len(values), t0 + cfg.window)
    block = values.iloc[lo:hi]
    block = block[block[target].notna()]
    candidates = [h for h in values.columns if h not in (source, target)]
    donors = [h for h in candidates if block[h].notna().all()]
    pre = block[block.index < values.index[t0]]
    post = block[block.index >= values.index[t0]]
    if len(pre) < 2 or post.empty:
        return None
    yb = np.log1p(pre[target].to_numpy(float))
    level = yb.mean()
    obs_post = np.log1p(post[target].to_numpy(float))
    if donors:
        # The other hubs pooled into one series: their common drivers without each small hub's noise.
        common_pre = np.log1p(pre[donors].to_numpy(float).sum(axis=1))
        common_post = np.log1p(post[donors].to_numpy(float).sum(axis=1))
        c_mean = common_pre.mean()
        slope, learnt = _fit_slope(yb - level, common_pre - c_mean)
        cf_pre = level + slope * (common_pre - c_mean)
        cf_post = level + slope * (common_post - c_mean)
        n_params = 2 if learnt else 1
    else:
        slope = 0.0
        cf_pre = np.full(len(pre), level)
        cf_post = np.full(len(post), level)
        n_params = 1
    return _Fit(
        residual_pre=yb - cf_pre,
        residual_post=obs_post - cf_post,
        counterfactual_post=cf_post,
        observed_post=obs_post,
        donors=[str(d) for d in donors],
        slope=round(float(slope), 3),
        n_params=n_params,
        post_index=list(post.index),
    )


def _spread(fit: _Fit, k: int, cfg: DetectorConfig) -> tuple[float, float]:
    """Standard error of a k-period mean excess, and degrees of freedom for its interval (inf = normal)."""
    n = fit.residual_pre.size
    inflate = math.sqrt(1.0 + k / n)  # the counterfactual level itself is estimated from n periods
    if n >= cfg.min_pre_placebo:
        # Placebo-in-time: k-period mean residuals at every earlier date carry the real autocorrelation.
        placebo = _moving_means(fit.residual_pre, k)
        sd = float(np.std(placebo, ddof=1)) if placebo.size > 2 else float("nan")
        sd_iid = float(np.std(fit.residual_pre, ddof=fit.n_params)) / math.sqrt(k)
        return max(sd, sd_iid) * inflate, math.inf
    dof = n - fit.n_params
    if dof < 1:
        return float("nan"), 0.0
    sd = float(np.sqrt(np.sum(fit.residual_pre**2) / dof))
    return sd * math.sqrt(1.0 / k + 1.0 / n), float(dof)


def _source_rise(enforcement: pd.DataFrame | None, source: str, t0: int, cfg: DetectorConfig) -> float | None:
    if enforcement is None or source not in enforcement.columns:
        return None
    series = enforcement[source].to_numpy(float)
    before = series[max(0, t0 - cfg.pre) : t0]
    after = series[t0 : t0 + cfg.window]
    before, after = before[~np.isnan(before)], after[~np.isnan(after)]
    if before.size == 0 or after.size == 0 or before.mean() <= 0:
        return None
    return float(after.mean() / before.mean())


def _label(value: Hashable) -> str:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def _explain(f: Finding, unit: str) -> str:
    src, tgt = f.source_hub, f.target_hub
    when = _label(f.change_start)
    donors = (
        f"the pooled {', '.join(f.donors)} (slope {f.slope:.2f})"
        if f.donors
        else "nothing else (no comparable hub)"
    )
    if math.isnan(f.ratio_low):
        size = (
            f"{f.ratio:.2f}x what was expected; the uncertainty cannot be estimated from {f.n_pre} earlier "
            "periods"
        )
    else:
        size = f"{f.ratio:.2f}x (95% interval {f.ratio_low:.2f}x to {f.ratio_high:.2f}x) what was expected"
    rise = (
        "" if f.source_rise is None else f" Enforcement at {src} was {f.source_rise:.2f}x its earlier level."
    )
    basis = (
        f"Expected = {tgt}'s own level over {f.n_pre} earlier periods, moving with "
        f"{donors}; the uncertainty comes from {f.method}."
    )
    if f.flagged:
        lead = (
            f"Displacement signal: after enforcement rose at {src} from {when}, {f.metric} at {tgt} rose to "
            f"{size}, first significant {f.delay_periods} period(s) later, at {_label(f.break_start)} "
            f"(z = {f.z:.1f}, one-sided p = {f.p_value:.2g}); about {f.excess_units:,.0f} {unit} more than "
            "expected over "
            f"{f.periods_used} period(s)."
        )
    else:
        lead = (
            f"No displacement flagged from {src} to {tgt} after {when}: {f.metric} at {tgt} was {size} over "
            f"{f.periods_used} period(s) (z = {f.z:.1f}, one-sided p = {f.p_value:.2g})."
        )
    return f"{lead}{rise} {basis}"


def assess_pair(
    values: pd.DataFrame,
    change: EnforcementChange,
    target: str,
    *,
    metric: str = "seizures",
    unit: str = "",
    enforcement: pd.DataFrame | None = None,
    config: DetectorConfig | None = None,
) -> Finding | None:
    """Test one source -> target pair after one change; None when there is too little data to say anything."""
    cfg = config or DetectorConfig()
    if change.start not in values.index:
        raise ValueError(f"change start {change.start!r} is not a period of the series")
    if change.hub not in values.columns or target not in values.columns:
        raise ValueError(f"unknown hub in {change.hub!r} -> {target!r}")
    t0 = int(values.index.get_loc(change.start))  # type: ignore[arg-type]
    fit = _fit_pair(values.astype(float).clip(lower=0), change.hub, target, t0, cfg)
    if fit is None:
        return None
    rise = _source_rise(enforcement, change.hub, t0, cfg)
    attributable = rise is None or rise >= cfg.min_source_rise
    flag_k: int | None = None
    for k in range(cfg.min_post, fit.residual_post.size + 1):
        sd, _dof = _spread(fit, k, cfg)
        mean = float(fit.residual_post[:k].mean())
        if sd > 0 and mean / sd > cfg.z_threshold and math.exp(mean) >= cfg.min_ratio and attributable:
            flag_k = k
            break
    k_used = flag_k or fit.residual_post.size
    sd, dof = _spread(fit, k_used, cfg)
    mean = float(fit.residual_post[:k_used].mean())
    if math.isnan(sd) or sd <= 0:
        z, p, lo, hi = float("nan"), float("nan"), float("nan"), float("nan")
    else:
        z = mean / sd
        dist = stats.norm if math.isinf(dof) else stats.t(dof)
        p = float(dist.sf(z))
        q = float(dist.ppf(0.975))
        lo, hi = math.exp(mean - q * sd), math.exp(mean + q * sd)
    expected = np.expm1(fit.counterfactual_post[:k_used])
    observed = np.expm1(fit.observed_post[:k_used])
    finding = Finding(
        source_hub=change.hub,
        target_hub=target,
        metric=metric,
        change_start=change.start,
        break_start=fit.post_index[flag_k - 1] if flag_k else None,
        delay_periods=flag_k,
        periods_used=k_used,
        ratio=math.exp(mean),
        ratio_low=lo,
        ratio_high=hi,
        excess_units=float(np.sum(observed - expected)),
        z=z,
        p_value=p,
        flagged=flag_k is not None,
        source_rise=rise,
        method=(
            f"placebo dates in the {fit.residual_pre.size} earlier periods"
            if math.isinf(dof)
            else f"a t interval on the pre-period residual spread ({dof:.0f} degree(s) of freedom)"
            if dof > 0
            else "nothing: too few earlier periods"
        ),
        n_pre=int(fit.residual_pre.size),
        donors=fit.donors,
        slope=fit.slope,
    )
    finding.explanation = _explain(finding, unit)
    return finding


def excess_path(
    values: pd.DataFrame, change: EnforcementChange, target: str, *, config: DetectorConfig | None = None
) -> list[tuple[int, float, float]]:
    """(k, z, ratio) of the k-period mean excess at `target` for every k the detector looks at.

    Used to calibrate the z threshold on runs without displacement: the largest z over the looks and the
    targets is what a threshold must stay above for the run to stay quiet.
    """
    cfg = config or DetectorConfig()
    t0 = int(values.index.get_loc(change.start))  # type: ignore[arg-type]
    fit = _fit_pair(values.astype(float).clip(lower=0), change.hub, target, t0, cfg)
    if fit is None:
        return []
    path = []
    for k in range(cfg.min_post, fit.residual_post.size + 1):
        sd, _dof = _spread(fit, k, cfg)
        mean = float(fit.residual_post[:k].mean())
        if sd > 0 and not math.isnan(sd):
            path.append((k, mean / sd, math.exp(mean)))
    return path


def detect(
    values: pd.DataFrame,
    changes: Sequence[EnforcementChange],
    *,
    metric: str = "seizures",
    unit: str = "",
    enforcement: pd.DataFrame | None = None,
    config: DetectorConfig | None = None,
) -> list[Finding]:
    """Every source -> target test after every change, strongest first (flagged ones before the rest)."""
    findings = []
    for change in changes:
        for target in values.columns:
            if target == change.hub:
                continue
            f = assess_pair(
                values, change, str(target), metric=metric, unit=unit, enforcement=enforcement, config=config
            )
            if f is not None:
                findings.append(f)
    return sorted(findings, key=lambda f: (not f.flagged, -(f.z if not math.isnan(f.z) else -math.inf)))


def _step(series: np.ndarray, t: int, before: int, after: int) -> float:
    return float(series[t : t + after].mean() - series[t - before : t].mean())


def find_enforcement_rises(
    enforcement: pd.DataFrame, *, before: int = 12, after: int = 4, min_rise: float = 1.3, z: float = 4.0
) -> list[EnforcementChange]:
    """Where a hub's enforcement (inspections) stepped up: the first period of each sustained rise."""
    changes: list[EnforcementChange] = []
    for hub in enforcement.columns:
        series = enforcement[hub].to_numpy(float)
        t = before
        while t + after <= series.size:
            pre, post = series[t - before : t], series[t : t + after]
            spread = max(float(np.std(pre, ddof=1)), math.sqrt(max(pre.mean(), 1.0)))
            rise = post.mean() / max(pre.mean(), 1e-9)
            if rise >= min_rise and (post.mean() - pre.mean()) / (spread / math.sqrt(after)) >= z:
                # The first window to clear the bar may straddle the step: move to where it is sharpest.
                candidates = range(t, min(t + after, series.size - after + 1))
                t = max(candidates, key=lambda u: _step(series, u, before, after))
                rise = series[t : t + after].mean() / max(series[t - before : t].mean(), 1e-9)
                changes.append(
                    EnforcementChange(str(hub), enforcement.index[t], note=f"inspections x{rise:.2f}")
                )
                t += before + after  # one change per step, not one per period of it
            else:
                t += 1
    return changes
