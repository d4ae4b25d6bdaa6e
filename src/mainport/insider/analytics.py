"""Insider-risk signals from staff look-ups: pure computation (dataframes in, dataframes out; no database).

Each person is held against their own baseline and their peers (the other staff of their organisation, or of
their hub for what happens to boxes). A signal counts events (k) and asks how many a peer with the same volume
would show (lambda = volume x the peers' rate); its strength is the Poisson surprise -log10 P(X >= k). The
score is a weighted sum of capped surprises, so a person who looks up more is not suspect for volume alone,
and every score comes with the signals that made it, in words.

Signals: look-ups outside the person's own terminal; off-shift look-ups (hours where the person's own other
look-ups are rare); bursts (the busiest hour against the person's own rate); release-code look-ups; look-ups
from devices and places the person hardly uses; and the boxes they looked up that were later selected,
seized, found with a broken seal or emptied (extracted) - against the share of such boxes among all boxes
looked up in the hub.

Contract: `lookups` has columns user, org, facility, hub, container, kind, at (UTC, datetime64), device, place
(device/place may be missing or empty); `outcomes` has columns container, flag (one of OUTCOME_FLAGS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import poisson

OUTCOME_FLAGS = ("seized", "extracted", "seal_broken", "selected")
BEHAVIOUR = ("off_shift", "release_code", "rare_kind", "new_device", "new_place", "outside_terminal", "burst")
SIGNALS = (*OUTCOME_FLAGS, *BEHAVIOUR)

# Weights of the signals in the score (tuned on world seeds 0-9, reported on held-out seeds; see
# benchmarks/insider_ranking.py). What happened to the boxes weighs most: it is what a careful insider
# cannot hide.
WEIGHTS: dict[str, float] = {
    "seized": 6.0,
    "extracted": 4.0,
    "seal_broken": 3.0,
    "selected": 0.0,  # shown as evidence, not scored: customs selects many clean boxes
    "off_shift": 1.5,
    "release_code": 1.0,
    "rare_kind": 3.0,
    "new_device": 0.25,
    "new_place": 0.25,
    "outside_terminal": 1.0,
    "burst": 0.0,  # shown as evidence, not scored: busy hours are ordinary in the logs
}
CAP = 8.0  # one signal never contributes more than this surprise (a data error must not dominate)
MIN_LOOKUPS = 15  # fewer look-ups than this: no own baseline for hours, devices and places
OFF_SHIFT_DENSITY = 0.03  # a look-up in an hour (+-1 h) that holds under 3% of the person's other look-ups
RARE_KIND_SHARE = 0.01
VOLUME_FLOOR = 0.25
RARE_USES = 2  # a device or place used this often or less by the person is "new"

WORDS = {
    "seized": "boxes looked up that were later seized",
    "extracted": "boxes looked up that were later found emptied",
    "seal_broken": "boxes looked up later found with a broken seal",
    "selected": "boxes looked up later selected for inspection",
    "off_shift": "look-ups outside the person's own hours",
    "release_code": "release-code look-ups",
    "rare_kind": "look-ups of a kind the person's peers hardly make",
    "new_device": "look-ups from a device the person hardly uses",
    "new_place": "look-ups from a place the person hardly uses",
    "outside_terminal": "look-ups of boxes at another terminal",
    "burst": "look-ups in the busiest hour",
}


@dataclass(frozen=True)
class Evidence:
    signal: str
    observed: int
    expected: float
    surprise: float

    @property
    def text(self) -> str:
        return f"{self.observed} {WORDS[self.signal]} (peers: {self.expected:.2f})"


@dataclass
class Ranking:
    people: pd.DataFrame  # one row per user: user, org, hub, lookups, score, rank, k_*, exp_*, s_*
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)  # user -> strongest signals first
    organisations: pd.DataFrame = field(default_factory=pd.DataFrame)


def _mode(values: pd.Series) -> Any:
    """The most frequent value (the first of equals)."""
    return values.mode().iat[0]


def surprise(k: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """-log10 P(X >= k) for X ~ Poisson(lam); 0 where k == 0."""
    k = np.asarray(k, dtype=float)
    lam = np.maximum(np.asarray(lam, dtype=float), 1e-6)
    tail = poisson.sf(k - 1, lam)
    out = -np.log10(np.maximum(tail, 1e-300))
    return np.where(k > 0, out, 0.0)


def _pooled_rate(k: pd.Series, n: pd.Series, group: pd.Series) -> pd.Series:
    """Each person's peers' rate: the group's events over its volume, the person left out."""
    gk = k.groupby(group).transform("sum") - k
    gn = n.groupby(group).transform("sum") - n
    overall = k.sum() / max(n.sum(), 1)
    rate = gk / gn.where(gn > 0)
    return rate.fillna(overall).clip(lower=1e-4)


def _off_shift(df: pd.DataFrame) -> pd.Series:
    """Per user: look-ups in hours where the user's other look-ups are rare (circular +-1 h window)."""
    hours = df["at"].dt.hour.to_numpy()
    users = df["user"].to_numpy()
    codes, uniq = pd.factorize(users)
    hist = np.zeros((len(uniq), 24))
    np.add.at(hist, (codes, hours), 1.0)
    smooth = hist + np.roll(hist, 1, axis=1) + np.roll(hist, -1, axis=1)
    n = hist.sum(axis=1)
    # Leave out the look-ups of the same day near that hour (a night's errand does not make its own habit).
    day = df["at"].dt.floor("D").to_numpy()
    near = pd.DataFrame({"u": codes, "d": day, "h": hours})
    same = np.zeros(len(df))
    for shift in (-1, 0, 1):
        key = pd.DataFrame({"u": codes, "d": day, "h": (hours + shift) % 24})
        counts = near.groupby(["u", "d", "h"]).size()
        same += counts.reindex(pd.MultiIndex.from_frame(key)).fillna(0).to_numpy()
    own = smooth[codes, hours] - same
    density = own / np.maximum(n[codes] - same, 1.0)
    off = (density < OFF_SHIFT_DENSITY) & (n[codes] >= MIN_LOOKUPS)
    return pd.Series(off, index=df.index).groupby(df["user"]).sum()


def _rare(df: pd.DataFrame, column: str) -> pd.Series:
    """Per user: look-ups from a value of `column` the user used RARE_USES times or less."""
    values = df[column].fillna("").astype(str)
    key = df["user"] + "\x1f" + values
    uses = key.map(key.value_counts())
    n = df["user"].map(df["user"].value_counts())
    rare = (uses <= RARE_USES) & (values != "") & (n >= MIN_LOOKUPS)
    return rare.groupby(df["user"]).sum()


def _rare_kind(df: pd.DataFrame) -> pd.Series:
    """Per user: look-ups of a kind (other than release codes, a signal of their own) that makes up under
    RARE_KIND_SHARE of the look-ups of the rest of the organisation."""
    pair: Any = df.groupby(["org", "kind"]).size()
    org_total: Any = df.groupby("org").size()
    own: Any = df.groupby(["user", "kind"]).size()
    user_org: Any = df.groupby("user")["org"].agg(_mode)
    own_total: Any = df.groupby("user").size()
    rare = pd.Series(0, index=own_total.index, dtype=float)
    for (user, kind), k in own.items():
        if kind == "release_code":
            continue
        org = user_org[user]
        others = pair.get((org, kind), 0) - k
        rest = org_total[org] - own_total[user]
        if rest <= 0 or others / rest < RARE_KIND_SHARE:
            rare[user] += k
    return rare


def _burst(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per user: the most look-ups in one clock hour, and the user's mean per active hour."""
    slot = df["at"].dt.floor("h")
    per = df.groupby([df["user"], slot]).size()
    peak = per.groupby(level=0).max()
    mean = per.groupby(level=0).mean()
    return peak, mean


def rank(
    lookups: pd.DataFrame, outcomes: pd.DataFrame, *, weights: dict[str, float] | None = None
) -> Ranking:
    """Score and rank every person in `lookups` (see the module docstring)."""
    w = {**WEIGHTS, **(weights or {})}
    df = lookups.reset_index(drop=True).copy()
    if df.empty:
        return Ranking(pd.DataFrame(columns=["user", "org", "hub", "lookups", "score", "rank"]))
    for col in ("device", "place", "facility", "container"):
        if col not in df:
            df[col] = ""
    df["container"] = df["container"].fillna("").astype(str)
    df["facility"] = df["facility"].fillna("").astype(str)
    g = df.groupby("user")
    people = pd.DataFrame(
        {
            "org": g["org"].agg(_mode),
            "hub": g["hub"].agg(_mode),
            "lookups": g.size(),
        }
    )
    n = people["lookups"].astype(float)
    home = df.loc[df["facility"] != ""].groupby("user")["facility"].agg(_mode)
    df["home"] = df["user"].map(home).fillna("")
    counts = {
        "off_shift": _off_shift(df),
        "rare_kind": _rare_kind(df),
        "release_code": (df["kind"] == "release_code").groupby(df["user"]).sum(),
        "new_device": _rare(df, "device"),
        "new_place": _rare(df, "place"),
        "outside_terminal": ((df["facility"] != df["home"]) & (df["facility"] != ""))
        .groupby(df["user"])
        .sum(),
    }
    for name, series in counts.items():
        k = series.reindex(people.index).fillna(0).astype(float)
        lam = n * _pooled_rate(k, n, people["org"])
        people[f"k_{name}"], people[f"exp_{name}"] = k, lam
    peak, mean = _burst(df)
    people["k_burst"] = peak.reindex(people.index).fillna(0).astype(float)
    people["exp_burst"] = mean.reindex(people.index).fillna(1.0).astype(float)
    _outcome_signals(df, outcomes, people)
    score = np.zeros(len(people))
    for name in SIGNALS:
        s = np.minimum(surprise(people[f"k_{name}"].to_numpy(), people[f"exp_{name}"].to_numpy()), CAP)
        if name == "burst":  # one busy hour is ordinary: only what a peer would hardly ever show counts
            s = np.where(people["k_burst"] >= 4, s, 0.0)
        people[f"s_{name}"] = s
        score += w.get(name, 0.0) * s
    people["score"] = np.round(score, 3)
    people = people.sort_values(["score", "lookups"], ascending=[False, True])
    people["rank"] = np.arange(1, len(people) + 1)
    people = people.reset_index(names="user")
    head: list[dict[str, Any]] = people.head(max(50, len(people) // 10)).to_dict("records")  # type: ignore[assignment]
    evidence = {str(row["user"]): explain(row) for row in head}
    return Ranking(people, evidence, organisations(people))


def _outcome_signals(df: pd.DataFrame, outcomes: pd.DataFrame, people: pd.DataFrame) -> None:
    boxes = df.loc[df["container"] != "", ["user", "hub", "container"]].drop_duplicates()
    hub_boxes = boxes[["hub", "container"]].drop_duplicates()
    per_user = boxes.groupby("user").size().reindex(people.index).fillna(0).astype(float)
    # Volume is floored at a share of the hub's typical volume: among many people who hardly look anything
    # up, one will have looked up a seized box by chance (the multiple-testing of small counts).
    typical = per_user.groupby(people["hub"]).transform("median")
    per_user = pd.Series(
        np.maximum(per_user.to_numpy(), VOLUME_FLOOR * typical.to_numpy()), index=per_user.index
    )
    flagged = outcomes.drop_duplicates() if len(outcomes) else pd.DataFrame(columns=["container", "flag"])
    for flag in OUTCOME_FLAGS:
        hit = set(flagged.loc[flagged["flag"] == flag, "container"])
        k = boxes["container"].isin(hit).groupby(boxes["user"]).sum().reindex(people.index).fillna(0)
        share = hub_boxes["container"].isin(hit).groupby(hub_boxes["hub"]).mean()
        rate = people["hub"].map(share).fillna(0.0).clip(lower=1e-5)
        people[f"k_{flag}"], people[f"exp_{flag}"] = k.astype(float), per_user * rate


def explain(row: dict[str, object]) -> list[Evidence]:
    """The signals of one person's row with a surprise, strongest first."""
    out = [
        Evidence(
            name,
            int(float(str(row[f"k_{name}"]))),
            float(str(row[f"exp_{name}"])),
            float(str(row[f"s_{name}"])),
        )
        for name in SIGNALS
        if float(str(row[f"s_{name}"])) > 0.5
    ]
    return sorted(out, key=lambda e: -e.surprise * WEIGHTS[e.signal])


def organisations(people: pd.DataFrame, *, threshold: float = 10.0) -> pd.DataFrame:
    """Per organisation: staff, mean and top score, people over `threshold`, and its outcome-linked look-ups
    against what its volume predicts (an organisation compromised as a whole)."""
    if people.empty:
        return pd.DataFrame()
    linked = sum(people[f"k_{f}"] for f in ("seized", "extracted", "seal_broken"))
    expected = sum(people[f"exp_{f}"] for f in ("seized", "extracted", "seal_broken"))
    frame = pd.DataFrame(
        {
            "org": people["org"],
            "score": people["score"],
            "over": people["score"] >= threshold,
            "linked": linked,
            "expected": expected,
        }
    )
    out = frame.groupby("org").agg(
        staff=("score", "size"),
        mean_score=("score", "mean"),
        top_score=("score", "max"),
        over_threshold=("over", "sum"),
        linked=("linked", "sum"),
        expected=("expected", "sum"),
    )
    out["surprise"] = surprise(out["linked"].to_numpy(), out["expected"].to_numpy())
    return out.sort_values("surprise", ascending=False).reset_index()
