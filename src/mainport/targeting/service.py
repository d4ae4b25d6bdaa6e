"""Targeting services: score, select, record outcomes, manage rule profiles and models (the DB edges).

The pure work happens in features/rules/model/selection/learning; this module loads what was known at filing
time from the database, calls them, stores the results and writes audit entries. It never reads world truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from mainport.audit.service import record
from mainport.errors import Conflict, NotFound, ValidationFailed
from mainport.identity.principal import Principal
from mainport.shipments.models import Container, ContainerEvent, Declaration, Inspection, Party, Seizure
from mainport.targeting import features as feat
from mainport.targeting import intelligence, learning
from mainport.targeting.model import RiskModel, train
from mainport.targeting.models import ModelVersion, RiskScore, RuleProfileVersion, Selection, SelectionItem
from mainport.targeting.rules import Rule, apply_rules, latest_versions, load_profiles, parse_profile
from mainport.targeting.selection import DEFAULT_STRATEGY, Capacity, combine
from mainport.targeting.selection import select as select_items
from mainport.targeting.watchlist import tip_hits, watch_hits

HISTORY_DAYS = 400
# Default daily capacity per hub (scanner slots, physical inspections); overridden per call.
DEFAULT_CAPACITY = {
    "rotterdam": Capacity(scan=60, physical=10),
    "zeeland_west_brabant": Capacity(scan=15, physical=3),
    "north_sea_canal": Capacity(scan=8, physical=2),
    "schiphol": Capacity(scan=20, physical=5),
    "flower_auctions": Capacity(scan=4, physical=1),
}
RESULTS = ("found", "not_found")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


# ---- loading what was known ------------------------------------------------------------------------------

_DECL_COLS = (
    "id",
    "filed_at",
    "hub",
    "place_of_loading",
    "place_of_discharge",
    "place_of_delivery",
    "countries_of_routing",
    "hs_code",
    "goods_description",
    "packages",
    "gross_mass_kg",
    "size_type",
    "consignor_id",
    "consignee_id",
    "notify_id",
    "declarant_id",
    "carrier",
    "vessel_imo",
    "mode",
    "amendments",
    "container_number",
)


def declarations_frame(session: Session, where: Any) -> pd.DataFrame:
    cols = [getattr(Declaration, c) for c in _DECL_COLS]
    rows = session.execute(
        select(*cols, Container.shipper_owned)
        .outerjoin(Container, Container.number == Declaration.container_number)
        .where(where)
    ).all()
    frame = pd.DataFrame(rows, columns=[*_DECL_COLS, "shipper_owned"])
    return frame.rename(columns={"id": "declaration_id"})


def _known_before(session: Session, decls: pd.DataFrame, until: datetime) -> dict[str, pd.DataFrame]:
    """Parties, earlier declarations of the same parties, inspection outcomes and container events."""
    since = until - timedelta(days=HISTORY_DAYS)
    party_ids = set(decls["consignee_id"]) | set(decls["consignor_id"]) | set(decls["notify_id"].dropna())
    party_ids |= set(decls["declarant_id"].dropna())
    parties = pd.DataFrame(
        session.execute(
            select(Party.id, Party.country, Party.first_seen).where(Party.id.in_(party_ids))
        ).all(),
        columns=["party_id", "country", "first_seen"],
    )
    outcomes = pd.DataFrame(
        session.execute(
            select(Inspection.declaration_id, Inspection.inspected_at, Inspection.result == "found").where(
                Inspection.declaration_id.is_not(None),
                Inspection.result.in_(RESULTS),
                Inspection.inspected_at >= since,
                Inspection.inspected_at < until,
            )
        ).all(),
        columns=["declaration_id", "inspected_at", "found"],
    )
    history = declarations_frame(
        session,
        (Declaration.filed_at >= since)
        & (Declaration.filed_at < until)
        & or_(
            Declaration.consignee_id.in_(set(decls["consignee_id"])),
            Declaration.consignor_id.in_(set(decls["consignor_id"])),
            Declaration.id.in_(set(outcomes["declaration_id"])),
        ),
    )
    containers = set(decls["container_number"].dropna())
    events = pd.DataFrame(
        session.execute(
            select(
                ContainerEvent.equipment_reference,
                ContainerEvent.event_datetime,
                ContainerEvent.seals,
                ContainerEvent.type_code,
            ).where(
                ContainerEvent.equipment_reference.in_(containers),
                ContainerEvent.event_datetime >= since,
                ContainerEvent.event_datetime < until,
            )
        ).all(),
        columns=["container_number", "event_datetime", "seals", "type_code"],
    )
    return {"parties": parties, "history": history, "outcomes": outcomes, "events": events}


def feature_frame(
    session: Session,
    decls: pd.DataFrame,
    until: datetime,
    *,
    as_of: datetime | pd.Series | None = None,
) -> pd.DataFrame:
    """Features of ``decls`` from what the database knew strictly before ``until``.

    ``as_of``: the moment the features describe: the selection moment when scoring (so seizures and
    inspections since filing count, as an analyst would see them), or one moment per row when a training
    set is rebuilt (each labelled declaration as it was when it was selected: its own outcome stays out).
    ``None``: as of filing."""
    if decls.empty:
        empty = feat.build_features(decls.assign(filed_at=pd.Series(dtype="datetime64[ns, UTC]")))
        return empty.assign(profile=pd.Series(dtype=str))
    known = _known_before(session, decls, until)
    frame = feat.build_features(
        decls,
        parties=known["parties"],
        history=known["history"],
        outcomes=known["outcomes"],
        events=known["events"],
        as_of=as_of,
    )
    frame["profile"] = feat.profile_key(frame).to_numpy()
    return frame


# ---- rules and models ------------------------------------------------------------------------------------


def active_rules(session: Session) -> list[Rule]:
    """Shipped profiles plus the analysts' profiles in the database; the highest version of a rule id wins."""
    rules = load_profiles(known_features=_known_features())
    stored = session.scalars(select(RuleProfileVersion).where(RuleProfileVersion.active)).all()
    latest: dict[str, RuleProfileVersion] = {}
    for p in stored:
        if p.name not in latest or p.version > latest[p.name].version:
            latest[p.name] = p
    for p in latest.values():
        rules.extend(parse_profile(p.yaml_text))
    return latest_versions(rules)


def _known_features() -> set[str]:
    return {*feat.FEATURES, *feat.CONTEXT, *feat.HISTORY_FEATURES, "commodity_group", "loading_country"}


def add_rule_profile(*, session: Session, actor: Principal, yaml_text: str) -> RuleProfileVersion:
    actor.require("targeting:admin")
    rules = parse_profile(yaml_text, known_features=_known_features())
    name = rules[0].profile
    current = session.scalar(
        select(func.max(RuleProfileVersion.version)).where(RuleProfileVersion.name == name)
    )
    profile = RuleProfileVersion(
        name=name,
        version=(current or 0) + 1,
        owner=rules[0].owner,
        yaml_text=yaml_text,
        created_by=actor.username,
    )
    session.add(profile)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="targeting.rules.add",
        entity_type="rule_profile",
        entity_id=str(profile.id),
        detail={"name": name, "version": profile.version, "rules": [r.ref for r in rules]},
    )
    return profile


def list_rules(*, session: Session, actor: Principal) -> list[Rule]:
    actor.require("intel:read")
    return active_rules(session)


_MODEL_CACHE: dict[int, RiskModel] = {}


def active_model(session: Session) -> tuple[ModelVersion, RiskModel] | None:
    mv = session.scalar(
        select(ModelVersion).where(ModelVersion.active).order_by(ModelVersion.id.desc()).limit(1)
    )
    if mv is None:
        return None
    if mv.id not in _MODEL_CACHE:
        _MODEL_CACHE[mv.id] = RiskModel.from_bytes(mv.blob)
    return mv, _MODEL_CACHE[mv.id]


@dataclass
class TrainingSet:
    features: pd.DataFrame
    labels: np.ndarray
    weights: np.ndarray
    until: datetime
    propensity: np.ndarray | None = None
    weighting: str = "unweighted"


def training_set(
    session: Session,
    until: datetime,
    *,
    weighting: str = "unweighted",
    half_life_days: float | None = None,
) -> TrainingSet:
    """Inspected declarations filed before ``until`` with their outcome, propensity and training weight.

    Features are rebuilt as of each declaration's selection moment (the earlier of the selection's creation
    and the end of its day: what scoring saw), or just before the inspection for inspections made outside
    targeting, never as of ``until``: the declaration's own outcome must not leak into its features.
    Weights: ``learning.training_weights`` (default unweighted; see learning.py for why). Inspections
    outside targeting (tip-offs, manual picks) have no recorded propensity and count with propensity 1
    (stated approximation)."""
    labelled = pd.DataFrame(
        session.execute(
            select(
                Inspection.declaration_id,
                Inspection.result == "found",
                func.min(SelectionItem.propensity),
                func.min(Selection.created_at),
                func.min(Selection.day),
                func.min(Inspection.inspected_at),
            )
            .outerjoin(SelectionItem, SelectionItem.inspection_id == Inspection.id)
            .outerjoin(Selection, Selection.id == SelectionItem.selection_id)
            .join(Declaration, Declaration.id == Inspection.declaration_id)
            .where(
                Inspection.result.in_(RESULTS),
                Declaration.filed_at < until,
                # A tip forced the inspection on outside information: its outcome says nothing about
                # P(found | what the declaration shows) and would bias the model.
                or_(SelectionItem.strategy.is_(None), SelectionItem.strategy != "tip"),
            )
            .group_by(Inspection.declaration_id, Inspection.result)
        ).all(),
        columns=["declaration_id", "found", "propensity", "created_at", "day", "inspected_at"],
    ).drop_duplicates("declaration_id", keep="last")
    labelled["as_of"] = [
        _selection_moment(c, d, i)
        for c, d, i in labelled[["created_at", "day", "inspected_at"]].itertuples(index=False)
    ]
    decls = declarations_frame(session, Declaration.id.in_(set(labelled["declaration_id"])))
    decls = decls.sort_values("filed_at", kind="stable").reset_index(drop=True)
    joined = decls[["declaration_id"]].merge(labelled, on="declaration_id", how="left")
    frame = feature_frame(session, decls, until, as_of=joined["as_of"])
    propensity = joined["propensity"].astype(float).fillna(1.0).to_numpy()
    weights = learning.training_weights(
        propensity,
        method=weighting,
        times=joined["as_of"],
        now=until,
        half_life_days=half_life_days,
    )
    return TrainingSet(frame, joined["found"].astype(float).to_numpy(), weights, until, propensity, weighting)


def _selection_moment(created_at: Any, day: Any, inspected_at: Any) -> datetime:
    """When the declaration was chosen: the selection's creation, capped at the end of its day (a selection
    made later for an earlier day used data up to that day's end); without a selection, the inspection."""
    moments = []
    if created_at is not None and not pd.isna(created_at):
        moments.append(
            pd.Timestamp(created_at).tz_convert(UTC)
            if pd.Timestamp(created_at).tzinfo
            else pd.Timestamp(created_at, tz=UTC)
        )
    if day is not None and not pd.isna(day):
        moments.append(pd.Timestamp(day_bounds(pd.Timestamp(day).date())[1]))
    if not moments:
        t = pd.Timestamp(inspected_at)
        return (t if t.tzinfo else t.tz_localize(UTC)).to_pydatetime()
    return min(moments).to_pydatetime()


def profile_stats(session: Session, until: datetime, *, days: int = 90) -> pd.DataFrame:
    """Inspections and hits per declaration profile (``features.profile_key``) over the ``days`` before
    ``until``: the evidence the ``thompson`` exploration weighs against the model's prior."""
    ts = training_set(session, until)
    if not len(ts.labels):
        return pd.DataFrame(columns=["profile", "inspections", "hits"])
    f = ts.features
    recent = (f["filed_at"] >= pd.Timestamp(until) - pd.Timedelta(days=days)).to_numpy()
    data = pd.DataFrame({"profile": f["profile"].to_numpy(), "inspections": 1.0, "hits": ts.labels})[recent]
    return data.groupby("profile", as_index=False)[["inspections", "hits"]].sum()


def train_model(
    *,
    session: Session,
    actor: Principal,
    until: datetime | None = None,
    rounds: int = 200,
    weighting: str = "unweighted",
    half_life_days: float | None = None,
) -> ModelVersion:
    actor.require("targeting:admin")
    if weighting not in learning.WEIGHTINGS:
        raise ValidationFailed(f"weighting must be one of {learning.WEIGHTINGS}")
    until = until or datetime.now(UTC)
    ts = training_set(session, until, weighting=weighting, half_life_days=half_life_days)
    if len(ts.labels) < 30 or ts.labels.sum() < 3:
        raise ValidationFailed(
            f"too few inspection outcomes to train ({len(ts.labels)} outcomes, {int(ts.labels.sum())} found)"
        )
    model = train(
        ts.features,
        ts.labels,
        weights=ts.weights,
        rounds=rounds,
        meta={"weighting": weighting, "half_life_days": half_life_days},
    )
    for old in session.scalars(select(ModelVersion).where(ModelVersion.active)):
        old.active = False
    mv = ModelVersion(
        created_by=actor.username,
        trained_until=until,
        rows=len(ts.labels),
        positives=int(ts.labels.sum()),
        weighting=weighting,
        blob=model.to_bytes(),
        meta=model.meta,
    )
    session.add(mv)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="targeting.model.train",
        entity_type="model_version",
        entity_id=str(mv.id),
        detail={"rows": mv.rows, "positives": mv.positives, "until": until, "weighting": weighting},
    )
    return mv


# ---- scoring and selection -------------------------------------------------------------------------------


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
    start, end = day_bounds(day)
    decls = declarations_frame(
        session, (Declaration.hub == hub) & (Declaration.filed_at >= start) & (Declaration.filed_at < end)
    )
    # Features as of the selection moment (now, or the end of a past day): what is known when choosing.
    moment = min(end, datetime.now(UTC))
    scored = score_frame(session, feature_frame(session, decls, end, as_of=moment), day)
    _watch(session, scored, hub=hub, start=start, end=end, moment=moment)
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
    if session.scalar(select(Selection.id).where(Selection.hub == hub, Selection.day == day)) is not None:
        raise Conflict(f"a selection for {hub} on {day} exists already")
    cap = capacity or DEFAULT_CAPACITY.get(hub, Capacity(scan=10, physical=2))
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


def declaration_detail(*, session: Session, actor: Principal, declaration_id: int) -> dict[str, Any]:
    """The declaration, why it was selected, its container journey (events) and the inspections so far."""
    actor.require("intel:read")
    actor.require("declarations:read")
    decl = session.get(Declaration, declaration_id)
    if decl is None:
        raise NotFound(f"declaration {declaration_id} not found")
    items = session.scalars(
        select(SelectionItem)
        .where(SelectionItem.declaration_id == declaration_id)
        .order_by(SelectionItem.id.desc())
    ).all()
    events = (
        session.scalars(
            select(ContainerEvent)
            .where(ContainerEvent.equipment_reference == decl.container_number)
            .order_by(ContainerEvent.event_datetime)
        ).all()
        if decl.container_number
        else []
    )
    inspections = session.scalars(
        select(Inspection)
        .where(Inspection.declaration_id == declaration_id)
        .order_by(Inspection.inspected_at)
    ).all()
    record(
        session=session,
        actor=actor,
        action="targeting.declaration.view",
        entity_type="declaration",
        entity_id=str(declaration_id),
    )
    return {
        "declaration": decl,
        "items": list(items),
        "events": list(events),
        "inspections": list(inspections),
    }


def record_outcome(
    *,
    session: Session,
    actor: Principal,
    declaration_id: int,
    result: str,
    kg_found: float = 0.0,
    kind: str | None = None,
    notes: str = "",
    inspected_at: datetime | None = None,
) -> Inspection:
    """Record an inspection's outcome; it flows back to training through the selection item it closes."""
    actor.require("intel:write")
    if result not in RESULTS:
        raise ValidationFailed(f"result must be one of {RESULTS}")
    if kg_found < 0 or (result == "not_found" and kg_found > 0):
        raise ValidationFailed("kg found must be 0 for not_found and not negative")
    decl = session.get(Declaration, declaration_id)
    if decl is None:
        raise NotFound(f"declaration {declaration_id} not found")
    item = session.scalar(
        select(SelectionItem)
        .where(SelectionItem.declaration_id == declaration_id, SelectionItem.inspection_id.is_(None))
        .order_by(SelectionItem.id.desc())
        .limit(1)
    )
    when = inspected_at or datetime.now(UTC)
    insp = Inspection(
        container_number=decl.container_number,
        declaration_id=declaration_id,
        hub=decl.hub,
        kind=kind or (item.kind if item else "scan"),
        inspected_at=when,
        result=result,
        kg_found=kg_found,
        recorded_by=actor.username,
        notes=notes,
    )
    session.add(insp)
    session.flush()
    if result == "found" and kg_found > 0:
        session.add(
            Seizure(
                inspection_id=insp.id,
                hub=decl.hub or "unknown",
                seized_at=when,
                kg=kg_found,
                container_number=decl.container_number,
            )
        )
    if item is not None:
        item.inspection_id = insp.id
    session.flush()
    record(
        session=session,
        actor=actor,
        action="targeting.outcome.record",
        entity_type="inspection",
        entity_id=str(insp.id),
        detail={
            "declaration_id": declaration_id,
            "result": result,
            "kg": kg_found,
            "selection_item_id": item.id if item else None,
        },
    )
    return insp


def hit_rates(*, session: Session, actor: Principal, hub: str | None = None) -> dict[str, Any]:
    """Hit rate per strategy, and the unbiased random-audit estimate."""
    actor.require("intel:read")
    q = (
        select(
            SelectionItem.strategy,
            SelectionItem.propensity,
            Inspection.result == "found",
            Inspection.kg_found,
        )
        .join(Inspection, Inspection.id == SelectionItem.inspection_id)
        .join(Selection)
    )
    if hub:
        q = q.where(Selection.hub == hub)
    frame = pd.DataFrame(session.execute(q).all(), columns=["strategy", "propensity", "found", "kg"])
    by = frame.groupby("strategy")["found"].agg(["count", "sum"]).to_dict("index") if len(frame) else {}
    audit = learning.random_audit_hit_rate(frame) if len(frame) else learning.wilson(0, 0)
    return {
        "by_strategy": {k: {"inspected": int(v["count"]), "found": int(v["sum"])} for k, v in by.items()},
        "random_audit_estimate": {"value": audit.value, "low": audit.low, "high": audit.high, "n": audit.n},
    }
