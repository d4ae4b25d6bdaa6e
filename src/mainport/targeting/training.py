"""Rule profiles and risk models: what the scores are made with (loading, adding, training).

The analysts' rule profiles are versioned in the database beside the shipped ones; a model is trained on
the inspection outcomes known so far, each declaration's features rebuilt as of its selection moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from mainport.audit.service import record
from mainport.errors import ValidationFailed
from mainport.identity.principal import Principal
from mainport.shipments.models import Declaration, Inspection
from mainport.targeting import features as feat
from mainport.targeting import learning
from mainport.targeting.frames import RESULTS, day_bounds, declarations_frame, feature_frame
from mainport.targeting.model import RiskModel, train
from mainport.targeting.models import ModelVersion, RuleProfileVersion, Selection, SelectionItem
from mainport.targeting.rules import Rule, latest_versions, load_profiles, parse_profile


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
