"""Targeting services: score a hub's day, select within capacity, raise the alerts (the DB edges).

The pure work happens in features/rules/model/selection/learning; what was known before a moment is loaded
by frames.py, rule profiles and models live in training.py, reads and outcomes in outcomes.py (all reachable
as ``service.X``). This module stores scores and selections and writes audit entries. It never reads world
truth.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from mainport.audit.service import record
from mainport.errors import Conflict, ValidationFailed
from mainport.identity.principal import Principal
from mainport.shipments.models import Declaration
from mainport.targeting import insider_feature, intelligence
from mainport.targeting.frames import (
    HISTORY_DAYS,
    RESULTS,
    day_bounds,
    declarations_frame,
    feature_frame,
    known_hub,
)
from mainport.targeting.model import RiskModel
from mainport.targeting.models import RiskScore, Selection, SelectionItem
from mainport.targeting.outcomes import declaration_detail, hit_rates
from mainport.targeting.rules import Rule, apply_rules
from mainport.targeting.selection import DEFAULT_STRATEGY, MAX_SEED, STRATEGIES, Capacity, combine
from mainport.targeting.selection import select as select_items
from mainport.targeting.training import (
    TrainingSet,
    active_model,
    active_rules,
    add_rule_profile,
    list_rules,
    profile_stats,
    train_model,
    training_set,
)
from mainport.targeting.watchlist import tip_hits, watch_hits

# The service's surface, as before the split into frames / training / outcomes (callers use service.X).
__all__ = [
    "DEFAULT_CAPACITY",
    "HISTORY_DAYS",
    "RESULTS",
    "TrainingSet",
    "active_model",
    "active_rules",
    "add_rule_profile",
    "day_bounds",
    "declaration_detail",
    "declarations_frame",
    "feature_frame",
    "get_selection",
    "hit_rates",
    "known_hub",
    "list_rules",
    "profile_stats",
    "raise_targeting_alert",
    "run_selection",
    "score_day",
    "score_frame",
    "train_model",
    "training_set",
]

# Default daily capacity per hub (scanner slots, physical inspections); overridden per call.
DEFAULT_CAPACITY = {
    "rotterdam": Capacity(scan=60, physical=10),
    "zeeland_west_brabant": Capacity(scan=15, physical=3),
    "north_sea_canal": Capacity(scan=8, physical=2),
    "schiphol": Capacity(scan=20, physical=5),
    "flower_auctions": Capacity(scan=4, physical=1),
}


# ---- scoring and selection -------------------------------------------------------------------------------


def _check_selection_args(exploration_share: float, strategy: str, seed: int | None, cap: Capacity) -> None:
    # Numbers that reach numpy are checked here, so a bad one is a user's mistake (422), not a crash (500).
    if strategy not in STRATEGIES:
        raise ValidationFailed(f"strategy: {strategy!r} is not one of {', '.join(STRATEGIES)}")
    if not 0.0 <= exploration_share <= 1.0:
        raise ValidationFailed(f"exploration share: {exploration_share} is not between 0 and 1")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise ValidationFailed(f"seed: {seed} is not a whole number from 0 to {MAX_SEED}")
    if cap.scan < 0 or cap.physical < 0:
        raise ValidationFailed(f"capacity: {cap.scan} scans, {cap.physical} physical must not be negative")


def score_frame(session: Session, frame: pd.DataFrame, day: date) -> pd.DataFrame:
    """Add model_p, rule_score, score, rule_hits and reasons to a feature frame."""
    out = frame.copy()
    rr = apply_rules(active_rules(session), frame, on=day)
    found = active_model(session)
    model_p = found[1].predict(frame) if found is not None and len(frame) else None
    out["model_p"] = model_p if model_p is not None else np.nan
    out["rule_score"] = rr.score
    out["rule_hits"] = rr.hits
    out["score"] = combine(model_p, rr.score) if len(frame) else []
    out["model_version_id"] = found[0].id if found is not None else None
    return out


def _reasons(
    session: Session, scored: pd.DataFrame, rules: dict[str, Rule], model: RiskModel | None
) -> list[list[str]]:
    texts: list[list[str]] = [
        [f"rule {ref}: {rules[ref.split('@')[0]].rationale}" for ref in hits] for hits in scored["rule_hits"]
    ]
    if model is not None and len(scored):
        for i, reasons in enumerate(model.explain(scored)):
            texts[i].extend(f"model: {r.text}" for r in reasons)
    return texts


def _opt(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _watch(
    session: Session, scored: pd.DataFrame, *, hub: str, start: datetime, end: datetime, moment: datetime
) -> None:
    """Watch-list entries in force at the selection moment raise the score of what they match (noisy-or of
    their weights) and say why (``watch_score``, ``watch_reasons``)."""
    scored["watch_score"] = 0.0
    scored["watch_reasons"] = [[] for _ in range(len(scored))]
    entries, _ = intelligence.in_force(session, start=start, end=end, hub=hub)
    if not entries or scored.empty:
        return
    keys = intelligence.declaration_keys(session, [int(i) for i in scored["declaration_id"]])
    score, reasons, _ = watch_hits(keys, entries, moment=moment)
    scored["watch_score"] = score
    scored["watch_reasons"] = reasons
    scored["score"] = combine(scored["score"].to_numpy(dtype=float), score)


def _tips(
    session: Session, scored: pd.DataFrame, *, hub: str, day: date
) -> tuple[np.ndarray, list[list[str]]]:
    """Which of the day's declarations a tip in force forces into the selection, and the tips' words."""
    start, end = day_bounds(day)
    _, tips = intelligence.in_force(session, start=start, end=end, hub=hub)
    if not tips or scored.empty:
        return np.zeros(len(scored), dtype=bool), [[] for _ in range(len(scored))]
    keys = intelligence.declaration_keys(session, [int(i) for i in scored["declaration_id"]])
    forced, reasons, _ = tip_hits(keys, tips)
    return forced, reasons


def score_day(*, session: Session, actor: Principal, hub: str, day: date) -> pd.DataFrame:
    """Score every declaration filed for ``hub`` on ``day`` and store a RiskScore per declaration."""
    actor.require("targeting:admin")
    hub = known_hub(hub)
    start, end = day_bounds(day)
    decls = declarations_frame(
        session, (Declaration.hub == hub) & (Declaration.filed_at >= start) & (Declaration.filed_at < end)
    )
    # Features as of the selection moment (now, or the end of a past day): what is known when choosing.
    moment = min(end, datetime.now(UTC))
    scored = score_frame(session, feature_frame(session, decls, end, as_of=moment), day)
    _watch(session, scored, hub=hub, start=start, end=end, moment=moment)
    insider_feature.apply(session, scored, moment=moment)  # raises and explains; says never who
    records: list[dict[str, Any]] = scored.to_dict("records")  # type: ignore[assignment]
    for row in records:
        session.add(
            RiskScore(
                declaration_id=int(row["declaration_id"]),
                hub=hub,
                day=day,
                model_version_id=row["model_version_id"],
                model_p=_opt(row["model_p"]),
                rule_score=float(row["rule_score"]),
                score=float(row["score"]),
                rule_hits=list(row["rule_hits"]),
                reasons=list(row["watch_reasons"]),
            )
        )
    session.flush()
    record(
        session=session,
        actor=actor,
        action="targeting.score",
        entity_type="hub_day",
        entity_id=f"{hub}/{day}",
        detail={"declarations": len(scored)},
    )
    return scored


def run_selection(
    *,
    session: Session,
    actor: Principal,
    hub: str,
    day: date,
    capacity: Capacity | None = None,
    exploration_share: float = 0.10,
    strategy: str = DEFAULT_STRATEGY,
    seed: int | None = None,
) -> Selection:
    """Score the hub's declarations of the day, select within capacity, record why, raise alerts."""
    actor.require("targeting:admin")
    hub = known_hub(hub)
    if session.scalar(select(Selection.id).where(Selection.hub == hub, Selection.day == day)) is not None:
        raise Conflict(f"a selection for {hub} on {day} exists already")
    cap = capacity or DEFAULT_CAPACITY.get(hub, Capacity(scan=10, physical=2))
    _check_selection_args(exploration_share, strategy, seed, cap)
    scored = score_day(session=session, actor=actor, hub=hub, day=day)
    stats = profile_stats(session, day_bounds(day)[1]) if strategy == "thompson" else None
    # Tips force their declarations in first (propensity 1, the physical slots first); the rest of the
    # capacity is selected as usual over the other declarations.
    forced, tip_reasons = _tips(session, scored, hub=hub, day=day)
    tip_why = {int(i): r for i, r, f in zip(scored["declaration_id"], tip_reasons, forced, strict=True) if f}
    n_forced = int(forced.sum())
    rest_cap = Capacity(
        scan=max(0, cap.scan - max(0, n_forced - cap.physical)), physical=max(0, cap.physical - n_forced)
    )
    picked = select_items(
        scored[~forced],
        rest_cap,
        exploration_share=exploration_share,
        strategy=strategy,
        seed=seed,
        profile_stats=stats,
    )
    if n_forced:
        tipped = scored[forced].sort_values("score", ascending=False, kind="stable")
        forced_rows = pd.DataFrame(
            {
                "declaration_id": tipped["declaration_id"].to_numpy(),
                "rank": np.arange(1, n_forced + 1),
                "score": tipped["score"].to_numpy(dtype=float),
                "strategy": "tip",
                "propensity": 1.0,
                "kind": np.where(np.arange(n_forced) < cap.physical, "physical", "scan"),
            }
        )
        picked = pd.concat([forced_rows, picked.assign(rank=picked["rank"] + n_forced)], ignore_index=True)
    found = active_model(session)
    sel = Selection(
        hub=hub,
        day=day,
        capacity_scan=cap.scan,
        capacity_physical=cap.physical,
        exploration_share=exploration_share,
        strategy=strategy,
        candidates=len(scored),
        model_version_id=found[0].id if found else None,
        created_by=actor.username,
    )
    session.add(sel)
    session.flush()
    rows = scored.set_index("declaration_id").loc[picked["declaration_id"]].reset_index()
    rules = {r.id: r for r in active_rules(session)}
    reasons = _reasons(session, rows, rules, found[1] if found else None)
    decl_info = dict(
        session.execute(
            select(Declaration.id, Declaration.container_number).where(
                Declaration.id.in_(list(rows["declaration_id"]))
            )
        ).all()
    )
    picks: list[dict[str, Any]] = picked.to_dict("records")  # type: ignore[assignment]
    context: list[dict[str, Any]] = rows.to_dict("records")  # type: ignore[assignment]
    for pick, row, why in zip(picks, context, reasons, strict=True):
        why = [*tip_why.get(int(pick["declaration_id"]), []), *row["watch_reasons"], *why]
        if pick["strategy"] == "random_audit":
            why = [f"random audit (propensity {pick['propensity']:.3f})", *why]
        elif pick["strategy"] == "uncertainty":
            why = [f"exploration: model uncertain (propensity {pick['propensity']:.3f})", *why]
        elif pick["strategy"] == "thompson":
            why = [
                f"exploration: few outcomes yet for profile {row['profile']} "
                f"(propensity {pick['propensity']:.3f})",
                *why,
            ]
        item = SelectionItem(
            selection=sel,
            declaration_id=int(pick["declaration_id"]),
            rank=int(pick["rank"]),
            score=float(pick["score"]),
            model_p=_opt(row["model_p"]),
            rule_score=float(row["rule_score"]),
            strategy=pick["strategy"],
            propensity=float(pick["propensity"]),
            kind=pick["kind"],
            reasons=why,
            rule_hits=list(row["rule_hits"]),
        )
        session.add(item)
        session.flush()
        item.alert_id = raise_targeting_alert(
            session=session, actor=actor, hub=hub, item=item, container=decl_info.get(item.declaration_id)
        )
    session.flush()
    record(
        session=session,
        actor=actor,
        action="targeting.select",
        entity_type="selection",
        entity_id=str(sel.id),
        detail={
            "hub": hub,
            "day": day,
            "items": len(picked),
            "candidates": len(scored),
            "strategy": strategy,
            "exploration_share": exploration_share,
            "by_strategy": picked["strategy"].value_counts().to_dict(),
            "tips_forced": n_forced,
            "watch_list_hits": int((scored["watch_score"] > 0).sum()),
        },
    )
    return sel


def raise_targeting_alert(
    *, session: Session, actor: Principal, hub: str, item: SelectionItem, container: str | None
) -> int:
    """One alert in the cases queue per selected item (a re-selection of an open one is counted)."""
    from mainport.cases.service import raise_alert

    alert = raise_alert(
        session=session,
        actor=actor,
        source="targeting",
        kind="selected_for_inspection",
        container_number=container,
        declaration_id=item.declaration_id,
        hub=hub,
        severity=4 if item.strategy == "tip" else 3 if item.strategy == "risk" and item.score >= 0.5 else 2,
        title=f"Selected for {item.kind} ({item.strategy}), rank {item.rank}, score {item.score:.2f}",
        detail={"selection_id": item.selection_id, "reasons": item.reasons, "propensity": item.propensity},
        dedup_key=f"targeting:{item.declaration_id}",
    )
    return alert.id


# ---- reading and outcomes --------------------------------------------------------------------------------


def get_selection(*, session: Session, actor: Principal, hub: str, day: date) -> Selection | None:
    actor.require("intel:read")
    hub = known_hub(hub)
    sel = session.scalar(select(Selection).where(Selection.hub == hub, Selection.day == day))
    record(
        session=session,
        actor=actor,
        action="targeting.selection.view",
        entity_type="hub_day",
        entity_id=f"{hub}/{day}",
        detail={"found": sel is not None},
    )
    return sel
